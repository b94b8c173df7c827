/**
 * `K2ClientOptions.tokenSource`: new tokens from another source wrapping K2's token endpoint
 * (`k2TokenSource`), told which token K2 refused; against the K2 sandbox.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { K2Client, k2TokenSource, type TokenRequestOptions, type TokenSet, type TokenSource } from "../../src/index.ts";
import { DEV_CLIENT } from "../../sandbox/credentials.ts";
import { K2Sandbox } from "../../sandbox/server.ts";
import { SAMPLE_POLLING } from "../../sandbox/samples.ts";

let sandbox: K2Sandbox;
beforeAll(async () => {
  sandbox = await new K2Sandbox({ loopbackCallbacksOnly: true, processingDelayMs: Infinity }).listen();
});
afterAll(() => sandbox.close());

/** A source that hands out what `direct` gives, and records what it was asked. */
function recording(direct: TokenSource, asked: Array<TokenRequestOptions | undefined>): TokenSource {
  return {
    getToken: (options) => {
      asked.push(options);
      return direct.getToken(options);
    },
  };
}

describe("K2Client's tokenSource option", () => {
  it("gets new tokens through the wrapper, which is told the refused token after K2's 401", async () => {
    const asked: Array<TokenRequestOptions | undefined> = [];
    const direct = k2TokenSource({ ...DEV_CLIENT, baseUrl: sandbox.url });
    const k2 = new K2Client({ ...DEV_CLIENT, baseUrl: sandbox.url, tokenSource: recording(direct, asked) });
    const post = () => k2.request("/api/v2/polling", { method: "POST", body: JSON.stringify(SAMPLE_POLLING) });

    expect((await post()).response.status).toBe(201);
    const first = await k2.getAccessToken();
    sandbox.revokeAllTokens();
    const replayed = await post();

    expect(replayed.response.status).toBe(201);
    expect(replayed.replayed).toBe(true);
    expect(asked).toEqual([undefined, { refused: first }]);
  });

  it("lets two clients share one source: the second sends no token request of its own", async () => {
    sandbox.reset();
    let shared: Promise<TokenSet> | undefined;
    const direct = k2TokenSource({ ...DEV_CLIENT, baseUrl: sandbox.url });
    const once: TokenSource = { getToken: () => (shared ??= direct.getToken()) };
    const a = new K2Client({ ...DEV_CLIENT, baseUrl: sandbox.url, tokenSource: once });
    const b = new K2Client({ ...DEV_CLIENT, baseUrl: sandbox.url, tokenSource: once });

    expect(await b.getAccessToken()).toBe(await a.getAccessToken());
    expect(sandbox.requestsTo("/oauth/token")).toHaveLength(1);
  });
});

describe("k2TokenSource", () => {
  it("asks K2's token endpoint on every call: caching is the wrapper's job", async () => {
    sandbox.reset();
    const direct = k2TokenSource({ ...DEV_CLIENT, baseUrl: sandbox.url });
    const first = await direct.getToken();
    const second = await direct.getToken();

    expect(first.accessToken).not.toBe(second.accessToken);
    expect(first.expiresIn).toBe(3600);
    expect(sandbox.requestsTo("/oauth/token")).toHaveLength(2);
  });
});
