/**
 * A caching source tells its source which token was refused, so that a source shared by many
 * caches (the proxy's token broker) can renew once however many of them report the refusal.
 */
import { describe, expect, it } from "vitest";
import { CachedTokenSource, MemoryTokenCache, type TokenRequestOptions, type TokenSet } from "../../src/index.ts";

function recordingSource(now: () => number) {
  const calls: Array<TokenRequestOptions | undefined> = [];
  let issued = 0;
  return {
    calls,
    getToken: async (options?: TokenRequestOptions): Promise<TokenSet> => {
      calls.push(options);
      issued++;
      return {
        accessToken: `token-${issued}`,
        tokenType: "Bearer",
        expiresIn: 3600,
        expiresAt: now() + 3_600_000,
        raw: {},
      };
    },
  };
}

describe("CachedTokenSource and the refused token", () => {
  it("passes the refused access token to the renewal after invalidate(token), and only to that one", async () => {
    let now = 0;
    const source = recordingSource(() => now);
    const tokens = new CachedTokenSource({ source, now: () => now });

    expect(await tokens.getAccessToken()).toBe("token-1");
    await tokens.invalidate("token-1");
    expect(await tokens.getAccessToken()).toBe("token-2");
    now += 3_600_000; // plain expiry: nothing was refused
    expect(await tokens.getAccessToken()).toBe("token-3");

    expect(source.calls).toEqual([undefined, { refused: "token-1" }, undefined]);
  });

  it("tells one renewal, shared by every concurrent caller, when many report the same refusal", async () => {
    const source = recordingSource(Date.now);
    const tokens = new CachedTokenSource({ source, cache: new MemoryTokenCache(), cacheKey: "refused-to-source" });
    const first = await tokens.getAccessToken();

    await Promise.all(Array.from({ length: 20 }, () => tokens.invalidate(first)));
    const renewed = await Promise.all(Array.from({ length: 20 }, () => tokens.getAccessToken()));

    expect(new Set(renewed)).toEqual(new Set(["token-2"]));
    expect(source.calls).toEqual([undefined, { refused: first }]);
  });

  it("does not ask the source when the shared cache already holds another fresh token", async () => {
    const cache = new MemoryTokenCache();
    const source = recordingSource(Date.now);
    const tokens = new CachedTokenSource({ source, cache, cacheKey: "refused-to-source:cached" });
    const first = await tokens.getAccessToken();
    const other = {
      accessToken: "from-another-isolate",
      tokenType: "Bearer",
      expiresIn: 3600,
      expiresAt: Date.now() + 3_600_000,
      raw: {},
    };
    await cache.set("refused-to-source:cached", other, 3600);

    await tokens.invalidate(first);
    expect(await tokens.getAccessToken()).toBe("from-another-isolate");
    expect(source.calls).toEqual([undefined]);
  });
});
