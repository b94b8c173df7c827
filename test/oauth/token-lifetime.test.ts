/**
 * A stated lifetime is believed only within bounds: a floor that stops token storms, a ceiling
 * that keeps a cache's TTL in range, and a `created_at` far from the receiving clock ignored.
 */
import { describe, expect, it } from "vitest";
import { K2Client, MemoryTokenCache, TOKEN_LIFETIME_BOUNDS, type TokenCache, type TokenSet } from "../../src/index.ts";

const NOW = Date.UTC(2026, 11, 1, 12, 0, 0);
const HOUR = 3600_000;

/** A K2 whose token answers carry `fields`, and which counts token requests and API calls. */
function k2Answering(fields: Record<string, unknown>, options: { cache?: TokenCache; now?: () => number } = {}) {
  const counts = { tokens: 0, api: 0 };
  let serial = 0;
  const k2 = new K2Client({
    clientId: "id",
    clientSecret: "secret",
    baseUrl: "https://k2.example",
    now: options.now ?? (() => NOW),
    cache: options.cache,
    fetch: async (input) => {
      const url = String(input);
      if (url.endsWith("/oauth/token")) {
        counts.tokens++;
        return Response.json({ access_token: `t${++serial}`, token_type: "Bearer", ...fields });
      }
      counts.api++;
      return new Response(null, { status: 201, headers: { location: "https://k2.example/api/v2/x/1" } });
    },
  });
  return { k2, counts };
}

describe("token lifetime bounds", () => {
  it("holds a token stated to live 0 seconds for the floor: 1,000 calls, one token request", async () => {
    const { k2, counts } = await k2Answering({ expires_in: 0 });
    for (let i = 0; i < 1000; i++) await k2.fetch("/api/v2/incoming_payments", { method: "POST", body: "{}" });
    expect(counts).toEqual({ tokens: 1, api: 1000 });
    const token = await k2.getToken();
    expect(token.expiresIn).toBe(TOKEN_LIFETIME_BOUNDS.minSeconds);
    expect(token.raw.expires_in).toBe(0);
  });

  it("renews a token stated to live 1e20 seconds at the ceiling, and its cache TTL stays in range", async () => {
    const ttls: (number | undefined)[] = [];
    const memory = new MemoryTokenCache({ now: () => NOW });
    const cache: TokenCache = {
      get: (key) => memory.get(key),
      delete: (key) => memory.delete(key),
      set: (key, value, ttl) => {
        ttls.push(ttl);
        return memory.set(key, value, ttl);
      },
    };
    const { k2 } = await k2Answering({ expires_in: 1e20 }, { cache });
    const token = await k2.getToken();
    expect(token.expiresIn).toBe(24 * 3600);
    expect(token.expiresAt).toBe(NOW + 24 * HOUR);
    expect(ttls).toEqual([24 * 3600]);
  });

  it("ignores a created_at an hour or more in the past, counting from the receipt", async () => {
    for (const createdAt of [new Date(NOW - HOUR).toISOString(), Math.floor((NOW - 5 * HOUR) / 1000)]) {
      const { k2, counts } = await k2Answering({ expires_in: 3600, created_at: createdAt });
      for (let i = 0; i < 100; i++) await k2.fetch("/api/v2/polling", { method: "POST", body: "{}" });
      expect(counts.tokens).toBe(1);
      expect((await k2.getToken()).expiresAt).toBe(NOW + HOUR);
    }
  });

  it("ignores a created_at far in the future, and still counts from an earlier one within the skew", async () => {
    const future = await k2Answering({ expires_in: 3600, created_at: Math.floor((NOW + 2 * HOUR) / 1000) });
    expect((await future.k2.getToken()).expiresAt).toBe(NOW + HOUR);
    const twoMinutesBehind = NOW - 120_000;
    const close = await k2Answering({ expires_in: 3600, created_at: new Date(twoMinutesBehind).toISOString() });
    const token: TokenSet = await close.k2.getToken();
    expect(token.expiresAt).toBe(twoMinutesBehind + HOUR);
    expect(token.createdAt).toBe(twoMinutesBehind);
  });

  it("keeps a lifetime within the bounds exactly as stated", async () => {
    const { k2 } = await k2Answering({ expires_in: 600 });
    expect(await k2.getToken()).toMatchObject({ expiresIn: 600, expiresAt: NOW + 600_000 });
  });
});
