/**
 * A one-shot script pays only for what it uses: a fresh client without a shared cache hashes no
 * cache key, and none of the redaction forms is built until an error needs them.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { K2Client, MemoryTokenCache } from "../../src/index.ts";

const answer = async () => Response.json({ access_token: "t", token_type: "Bearer", expires_in: 3600 });

afterEach(() => vi.restoreAllMocks());

describe("a fresh client's first token", () => {
  it("hashes no cache key when no shared cache is configured", async () => {
    const digest = vi.spyOn(crypto.subtle, "digest");
    const k2 = new K2Client({ clientId: "id", clientSecret: "secret", baseUrl: "https://k2.example", fetch: answer });
    expect(await k2.getAccessToken()).toBe("t");
    expect(digest).not.toHaveBeenCalled();
  });

  it("hashes the key once, when a shared cache is first read", async () => {
    const digest = vi.spyOn(crypto.subtle, "digest");
    const k2 = new K2Client({
      clientId: "id",
      clientSecret: "secret",
      baseUrl: "https://k2.example",
      cache: new MemoryTokenCache(),
      fetch: answer,
    });
    expect(digest).not.toHaveBeenCalled();
    await k2.getAccessToken();
    await k2.revokeToken();
    await k2.getAccessToken();
    expect(digest).toHaveBeenCalledTimes(1);
  });

  it("builds no redaction form on the way to a token", async () => {
    const encode = vi.spyOn(globalThis, "encodeURIComponent");
    const toBase64 = vi.spyOn(globalThis, "btoa");
    const k2 = new K2Client({ clientId: "id", clientSecret: "s3cret", baseUrl: "https://k2.example", fetch: answer });
    await k2.getAccessToken();
    expect(encode).not.toHaveBeenCalled();
    expect(toBase64).not.toHaveBeenCalled();
  });
});
