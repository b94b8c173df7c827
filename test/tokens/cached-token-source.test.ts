import { describe, expect, it, vi } from "vitest";
import {
  CachedTokenSource,
  InvalidInputError,
  MemoryTokenCache,
  type TokenCache,
  type TokenSet,
} from "../../src/index.ts";

function tokenSource(lifetimeSeconds: number | undefined, now: () => number) {
  let issued = 0;
  const getToken = vi.fn(async (): Promise<TokenSet> => {
    issued++;
    const token: Record<string, unknown> = { accessToken: `token-${issued}`, tokenType: "Bearer", raw: {} };
    if (lifetimeSeconds !== undefined)
      Object.assign(token, { expiresIn: lifetimeSeconds, expiresAt: now() + lifetimeSeconds * 1000 });
    return token as unknown as TokenSet;
  });
  return { getToken };
}

describe("CachedTokenSource", () => {
  it("reports where each token came from: fetched, then memory", async () => {
    let now = 0;
    const source = tokenSource(3600, () => now);
    const tokens = new CachedTokenSource({ source, now: () => now });
    expect((await tokens.resolve()).origin).toBe("fetched");
    expect((await tokens.resolve()).origin).toBe("memory");
    expect(source.getToken).toHaveBeenCalledTimes(1);
  });

  it("renews a short-lived token at half its life when the skew is longer than that", async () => {
    let now = 0;
    const source = tokenSource(60, () => now);
    const tokens = new CachedTokenSource({ source, now: () => now, expirySkewSeconds: 60 });
    expect(await tokens.getAccessToken()).toBe("token-1");
    now = 29_999;
    expect(await tokens.getAccessToken()).toBe("token-1");
    now = 30_000;
    expect(await tokens.getAccessToken()).toBe("token-2");
  });

  it("never renews a token without expiry (Copper's tokens have none)", async () => {
    let now = 0;
    const source = tokenSource(undefined, () => now);
    const tokens = new CachedTokenSource({ source, now: () => now });
    await tokens.getAccessToken();
    now = 10 * 365 * 86_400_000;
    expect(await tokens.getAccessToken()).toBe("token-1");
    expect(source.getToken).toHaveBeenCalledTimes(1);
  });

  it("stores fetched tokens in the cache with their remaining life as TTL, and serves the next isolate from it", async () => {
    let now = 1_000_000;
    const cache = new MemoryTokenCache({ now: () => now });
    const set = vi.spyOn(cache, "set");
    const source = tokenSource(3600, () => now);
    const first = new CachedTokenSource({ source, cache, cacheKey: "k", now: () => now });
    await first.getAccessToken();
    expect(set).toHaveBeenCalledWith("k", expect.objectContaining({ accessToken: "token-1" }), 3600);

    now += 1000;
    const second = new CachedTokenSource({ source, cache, cacheKey: Promise.resolve("k"), now: () => now });
    expect(await second.resolve()).toMatchObject({ origin: "cache", token: { accessToken: "token-1" } });
    expect((await second.resolve()).origin).toBe("memory");
    expect(source.getToken).toHaveBeenCalledTimes(1);
  });

  it("ignores a stale or malformed cache entry and fetches", async () => {
    let now = 0;
    const stored = new Map<string, unknown>([
      ["k", { accessToken: "old", tokenType: "Bearer", expiresIn: 3600, expiresAt: 30_000, raw: {} }],
    ]);
    const cache: TokenCache = {
      get: async (key) => stored.get(key) as TokenSet | undefined,
      set: async (key, token) => void stored.set(key, token),
      delete: async (key) => void stored.delete(key),
    };
    const source = tokenSource(3600, () => now);
    expect(await new CachedTokenSource({ source, cache, cacheKey: "k", now: () => now }).getAccessToken()).toBe(
      "token-1",
    );
    stored.set("k", { hello: "world" });
    expect(await new CachedTokenSource({ source, cache, cacheKey: "k", now: () => now }).getAccessToken()).toBe(
      "token-2",
    );
  });

  it("keeps working when every cache operation throws, and reports each failure", async () => {
    const failures: string[] = [];
    const broken: TokenCache = {
      get: () => Promise.reject(new Error("KV get 429")),
      set: () => Promise.reject(new Error("KV put 429")),
      delete: () => Promise.reject(new Error("KV delete 500")),
    };
    let now = 0;
    const source = tokenSource(3600, () => now);
    const tokens = new CachedTokenSource({
      source,
      cache: broken,
      now: () => now,
      onCacheError: (_e, op) => failures.push(op),
    });
    expect(await tokens.getAccessToken()).toBe("token-1");
    expect(await tokens.getAccessToken()).toBe("token-1");
    await tokens.invalidate();
    expect(await tokens.getAccessToken()).toBe("token-2");
    expect(failures).toEqual(["get", "set", "delete", "get", "set"]);
  });

  it("invalidate(token) forgets only that token, in memory and cache", async () => {
    let now = 0;
    const cache = new MemoryTokenCache({ now: () => now });
    const source = tokenSource(3600, () => now);
    const tokens = new CachedTokenSource({ source, cache, cacheKey: "k", now: () => now });
    await tokens.getAccessToken();
    await tokens.invalidate("some-older-token");
    expect(await tokens.getAccessToken()).toBe("token-1");
    expect((await cache.get("k"))?.accessToken).toBe("token-1");
    await tokens.invalidate("token-1");
    expect(await cache.get("k")).toBeUndefined();
    expect(await tokens.getAccessToken()).toBe("token-2");
  });

  it("peek shows the held token without fetching one", async () => {
    let now = 0;
    const source = tokenSource(3600, () => now);
    const tokens = new CachedTokenSource({ source, now: () => now });
    expect(await tokens.peek()).toBeUndefined();
    await tokens.getAccessToken();
    now = 3600_000 + 1;
    expect((await tokens.peek())?.accessToken).toBe("token-1");
    expect(source.getToken).toHaveBeenCalledTimes(1);
  });

  it("refuses a negative or non-numeric skew", () => {
    const source = tokenSource(3600, Date.now);
    expect(() => new CachedTokenSource({ source, expirySkewSeconds: -1 })).toThrow(InvalidInputError);
    expect(() => new CachedTokenSource({ source, expirySkewSeconds: Number.NaN })).toThrow(InvalidInputError);
  });
});

describe("MemoryTokenCache", () => {
  it("expires entries after their TTL and keeps TTL-less ones", async () => {
    let now = 0;
    const cache = new MemoryTokenCache({ now: () => now });
    const token = { accessToken: "a", tokenType: "Bearer", raw: {} } as TokenSet;
    await cache.set("short", token, 10);
    await cache.set("forever", token);
    now = 9_999;
    expect(await cache.get("short")).toBe(token);
    now = 10_000;
    expect(await cache.get("short")).toBeUndefined();
    expect(await cache.get("forever")).toBe(token);
    await cache.delete("forever");
    expect(await cache.get("forever")).toBeUndefined();
  });
});
