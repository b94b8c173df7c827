import { describe, expect, it } from "vitest";
import { KvTokenCache, type TokenSet } from "../../../src/index.ts";
import { baseEnv } from "../support/harness.ts";

const token = {
  accessToken: "kv-test-token",
  tokenType: "Bearer",
  expiresIn: 3600,
  expiresAt: Date.now() + 3600_000,
  raw: {},
} as TokenSet;

describe("KvTokenCache on real KV", () => {
  it("writes with the TTL as expirationTtl and reads the token set back", async () => {
    const cache = new KvTokenCache(baseEnv.TOKEN_CACHE);
    await cache.set("kv-test:ttl", token, 600);
    expect(await cache.get("kv-test:ttl")).toEqual(token);
    const [listed] = (await baseEnv.TOKEN_CACHE.list({ prefix: "kv-test:ttl" })).keys;
    expect(listed.expiration! - Date.now() / 1000).toBeGreaterThan(590);
    expect(listed.expiration! - Date.now() / 1000).toBeLessThanOrEqual(601);
  });

  it("does not write a token with less than KV's 60 s minimum left", async () => {
    const cache = new KvTokenCache(baseEnv.TOKEN_CACHE);
    await cache.set("kv-test:short", token, 59);
    expect(await cache.get("kv-test:short")).toBeUndefined();
    await cache.set("kv-test:minimum", token, 60);
    expect(await cache.get("kv-test:minimum")).toEqual(token);
  });

  it("writes a token without expiry without a TTL, and deletes", async () => {
    const cache = new KvTokenCache(baseEnv.TOKEN_CACHE);
    await cache.set("kv-test:forever", token);
    const [listed] = (await baseEnv.TOKEN_CACHE.list({ prefix: "kv-test:forever" })).keys;
    expect(listed.expiration).toBeUndefined();
    await cache.delete("kv-test:forever");
    expect(await cache.get("kv-test:forever")).toBeUndefined();
  });
});
