import { describe, expect, it } from "vitest";
import { InvalidInputError, K2Client, OAuth2Client } from "../../src/index.ts";
import { clientSecretBasic } from "../../src/oauth/client-authentication.ts";
import { retryAfterMs } from "../../src/transport/transport.ts";
import { DEV_CLIENT } from "../../sandbox/credentials.ts";
import { SAMPLE_POLLING } from "../../sandbox/samples.ts";
import { K2Sandbox } from "../../sandbox/server.ts";

const POLLING = JSON.stringify(SAMPLE_POLLING);

describe("Retry-After", () => {
  const now = Date.UTC(2026, 10, 22, 10, 0, 0);
  it.each([
    ["120", 120_000],
    [" 0 ", 0],
    ["Sun, 22 Nov 2026 10:00:05 GMT", 5_000],
    ["Sun, 22 Nov 2026 09:59:00 GMT", 0],
    ["soon", undefined],
    ["-5", undefined],
  ])("reads %j as %j ms", (header, expected) => {
    expect(retryAfterMs(header, now)).toBe(expected);
  });
  it("is undefined when absent", () => expect(retryAfterMs(null, now)).toBeUndefined());
});

describe("client_secret_basic", () => {
  it("form-encodes id and secret before Base64 (RFC 6749 section 2.3.1)", () => {
    const headers = new Headers();
    clientSecretBasic("my client", "p:a+s/s%w&o=rd ü")(new URLSearchParams(), headers);
    const decoded = atob(headers.get("authorization")!.replace(/^Basic /, ""));
    expect(decoded).toBe("my+client:p%3Aa%2Bs%2Fs%25w%26o%3Drd+%C3%BC");
  });
});

describe("fetch", () => {
  it("is never called as a method of a stored object (no Illegal invocation on Workers)", async () => {
    const server = await new K2Sandbox().listen();
    try {
      // Behaves like the Workers runtime: refuses to run with any `this` but the global one.
      function strictFetch(this: unknown, input: string | URL | Request, init?: RequestInit): Promise<Response> {
        if (this !== undefined && this !== globalThis) throw new TypeError("Illegal invocation");
        return globalThis.fetch(input, init);
      }
      const k2 = new K2Client({ ...DEV_CLIENT, baseUrl: server.url, fetch: strictFetch });
      await k2.getAccessToken();
      await k2.introspectToken();
      await k2.tokenInfo();
      expect((await k2.fetch("/api/v2/polling", { method: "POST", body: POLLING })).status).toBe(201);
      await k2.revokeToken();
    } finally {
      await server.close();
    }
  });

  it("uses the global fetch looked up at call time by default", async () => {
    const seen: string[] = [];
    const original = globalThis.fetch;
    globalThis.fetch = async (input) => {
      seen.push(String(input));
      return new Response('{"access_token":"t","token_type":"Bearer","expires_in":60}', {
        headers: { "content-type": "application/json" },
      });
    };
    try {
      const oauth = new OAuth2Client({ clientId: "c", clientSecret: "s", tokenEndpoint: "https://auth.example/token" });
      expect((await oauth.clientCredentials()).accessToken).toBe("t");
      expect(seen).toEqual(["https://auth.example/token"]);
    } finally {
      globalThis.fetch = original;
    }
  });

  it("refuses nonsensical transport settings at construction", () => {
    for (const bad of [{ timeoutMs: -1 }, { retries: Number.NaN }, { maxRetryDelayMs: Infinity }]) {
      expect(
        () => new OAuth2Client({ clientId: "c", clientSecret: "s", tokenEndpoint: "https://a.example/t", ...bad }),
      ).toThrow(InvalidInputError);
    }
  });
});
