/**
 * The 401 replay race: K2 stops accepting a token (rotation, revocation) while the shared cache
 * still holds it. A source must never hand a refused token out again, so every caller's one replay
 * goes out with a different token, however slow the cache and however the callers interleave.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { CachedTokenSource, K2Client, MemoryTokenCache, type TokenCache, type TokenSet } from "../../src/index.ts";

/** A cache that answers after `latencyMs`, as KV or Redis does. */
function slowCache(latencyMs: number): TokenCache {
  const memory = new MemoryTokenCache();
  return {
    get: async (key) => (await sleep(latencyMs), memory.get(key)),
    set: async (key, value, ttl) => (await sleep(latencyMs), memory.set(key, value, ttl)),
    delete: async (key) => (await sleep(latencyMs), memory.delete(key)),
  };
}

/** A K2 that issues tokens, refuses revoked ones with 401, and counts what it saw; each answer takes a few ms. */
function fakeK2() {
  const live = new Set<string>();
  let serial = 0;
  const seen = { tokenRequests: 0, refused: 0 };
  const fetch = async (input: string | URL | Request, init?: RequestInit) => {
    await sleep(2);
    const url = String(input);
    if (url.endsWith("/oauth/token")) {
      seen.tokenRequests++;
      const token = `token-${++serial}`;
      live.add(token);
      return Response.json({ access_token: token, token_type: "Bearer", expires_in: 3600 });
    }
    const bearer = new Headers(init?.headers).get("authorization")?.slice("Bearer ".length) ?? "";
    if (!live.has(bearer)) {
      seen.refused++;
      return Response.json({ error_code: 401, error_message: "Unauthorized" }, { status: 401 });
    }
    return new Response(null, { status: 201, headers: { location: "https://k2.example/api/v2/incoming_payments/1" } });
  };
  return { fetch, seen, revokeAll: () => live.clear() };
}

describe("a refused token is never handed out again", () => {
  it("200 rounds of a revocation and 20 staggered callers on a slow cache: 0 caller-visible 401s", async () => {
    const k2Server = fakeK2();
    const k2 = new K2Client({
      clientId: "id",
      clientSecret: "secret",
      baseUrl: "https://k2.example",
      cache: slowCache(3),
      fetch: k2Server.fetch,
    });
    await k2.getAccessToken();
    const statuses = new Map<number, number>();
    let replays = 0;
    for (let round = 0; round < 200; round++) {
      k2Server.revokeAll();
      await Promise.all(
        Array.from({ length: 20 }, async (_, caller) => {
          await sleep(caller % 4);
          const { response, replayed } = await k2.request("/api/v2/incoming_payments", { method: "POST", body: "{}" });
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          if (replayed) replays++;
        }),
      );
    }
    expect(Object.fromEntries(statuses)).toEqual({ 201: 4000 });
    // Every round's refusals were real (K2 saw them) and each was answered by a replay.
    expect(replays).toBe(k2Server.seen.refused);
    expect(replays).toBeGreaterThanOrEqual(200);
  });

  it("skips a refused token that the cache still holds, and fetches a different one", async () => {
    const cache = new MemoryTokenCache();
    let serial = 0;
    const make = (n: number): TokenSet => ({
      accessToken: `t${n}`,
      tokenType: "Bearer",
      expiresIn: 3600,
      expiresAt: Date.now() + 3600_000,
      raw: {},
    });
    const source = new CachedTokenSource({ source: { getToken: async () => make(++serial) }, cache, cacheKey: "k" });
    const first = await source.getToken();
    // Another isolate (or a delete not yet done) leaves the refused token in the shared cache.
    const stranded = { ...first };
    await source.invalidate(first.accessToken);
    await cache.set("k", stranded, 3600);
    const next = await source.getToken();
    expect(next.accessToken).not.toBe(first.accessToken);
    expect(serial).toBe(2);
  });

  it("a renewal already under way when the refusal lands does not hand the refused token to the replay", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const memory = new MemoryTokenCache();
    const cache: TokenCache = {
      get: async (key) => {
        const value = await memory.get(key);
        await gate;
        return value;
      },
      set: (key, value, ttl) => memory.set(key, value, ttl),
      delete: (key) => memory.delete(key),
    };
    let serial = 0;
    const source = new CachedTokenSource({
      source: {
        getToken: async () => ({
          accessToken: `t${++serial}`,
          tokenType: "Bearer",
          expiresIn: 3600,
          expiresAt: Date.now() + 3600_000,
          raw: {},
        }),
      },
      cache,
      cacheKey: "k",
    });
    await memory.set("k", { accessToken: "t0", tokenType: "Bearer", expiresAt: Date.now() + 3600_000, raw: {} }, 3600);
    const early = source.getToken(); // reads the cache: will find t0
    const invalidated = source.invalidate("t0");
    const replay = source.getToken();
    release();
    await invalidated;
    expect((await replay).accessToken).not.toBe("t0");
    // The caller that asked before the refusal may get t0 (it was good when asked) or a new one.
    await early;
  });
});
