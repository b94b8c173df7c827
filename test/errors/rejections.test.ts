/**
 * Every promise-returning function and method of the public API, given bad input, returns a
 * promise that rejects: it never throws synchronously, so `.catch()` and `await` alone see every
 * failure. Each call below is made with `.catch` only, no try/catch around it; a synchronous throw
 * fails the test. The sweeps at the end call every method and api function found on the public
 * surface with nonsense arguments, so a new method cannot slip past.
 */
import { describe, expect, it } from "vitest";
import * as api from "../../src/api/index.ts";
import {
  CachedTokenSource,
  copper,
  InvalidInputError,
  K2Client,
  K2EdgeError,
  KvTokenCache,
  MemoryTokenCache,
  NetworkError,
  OAuth2Client,
  readK2Error,
  RefreshingTokenSource,
  signWebhook,
  verifyWebhookSignature,
} from "../../src/index.ts";

/** A fetch that never reaches anything: any call that gets as far as sending fails as offline. */
const offline = () => Promise.reject(new TypeError("offline"));
const aborted = AbortSignal.abort(new Error("caller gave up"));
const bad: any = Symbol("bad input");

function k2Client(): K2Client {
  return new K2Client({
    clientId: "id",
    clientSecret: "secret",
    baseUrl: "http://127.0.0.1:9",
    fetch: offline,
    retries: 0,
  });
}
function oauthClient(): OAuth2Client {
  return new OAuth2Client({
    clientId: "id",
    clientSecret: "secret",
    tokenEndpoint: "https://auth.example/token",
    fetch: offline,
    retries: 0,
  });
}
function crmClient() {
  return copper({
    clientId: "id",
    clientSecret: "secret",
    redirectUri: "https://app.example/cb",
    fetch: offline,
    retries: 0,
  });
}
const stale = { accessToken: "old", tokenType: "Bearer", expiresIn: 60, expiresAt: 0, raw: {} };
/** A connection for the api calls: its fetch must never be reached with bad input. */
const connection = { baseUrl: "https://sandbox.kopokopo.com", fetch: offline };

/** The rejection of `promise`, failing the test if it resolves. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  expect(promise).toBeInstanceOf(Promise);
  return promise.then(
    (value) => expect.unreachable(`resolved with ${String(value)}`),
    (error: unknown) => error,
  );
}

describe("bad input is a typed rejection, never a synchronous throw", () => {
  const cases: [string, () => Promise<unknown>, abstract new (...args: any[]) => Error][] = [
    ["k2.fetch to another origin", () => k2Client().fetch("https://evil.example/x"), InvalidInputError],
    ["k2.fetch with a non-URL", () => k2Client().fetch(bad), InvalidInputError],
    ["k2.request with a backslash path", () => k2Client().request("/\\evil.example/x"), InvalidInputError],
    ["k2.revokeToken with an empty token", () => k2Client().revokeToken(""), InvalidInputError],
    ["k2.introspectToken with an empty token", () => k2Client().introspectToken(""), InvalidInputError],
    ["k2.getAccessToken with an aborted signal", () => k2Client().getAccessToken({ signal: aborted }), Error],
    ["k2.getToken when K2 cannot be reached", () => k2Client().getToken(), NetworkError],
    ["oauth.revokeToken without a revocation endpoint", () => oauthClient().revokeToken("t"), InvalidInputError],
    [
      "oauth.introspectToken without an introspection endpoint",
      () => oauthClient().introspectToken("t"),
      InvalidInputError,
    ],
    [
      "oauth.createAuthorizationURL without an authorization endpoint",
      () => oauthClient().createAuthorizationURL(),
      InvalidInputError,
    ],
    [
      "oauth.clientCredentials with a scope that is not a string or list",
      () => oauthClient().clientCredentials({ scope: bad }),
      InvalidInputError,
    ],
    ["oauth.requestToken without a grant_type", () => oauthClient().requestToken({}), InvalidInputError],
    ["oauth.requestToken with no parameters", () => oauthClient().requestToken(bad), InvalidInputError],
    [
      "oauth.exchangeAuthorizationCode without a code",
      () => oauthClient().exchangeAuthorizationCode(bad),
      InvalidInputError,
    ],
    ["oauth.refreshToken without a refresh token", () => oauthClient().refreshToken(""), InvalidInputError],
    ["oauth.validateCallback with a number", () => oauthClient().validateCallback(bad, "state"), InvalidInputError],
    [
      "copper apiFetch to another origin",
      () => crmClient().apiFetch("token", "https://evil.example/x"),
      InvalidInputError,
    ],
    ["copper apiFetch without a token", () => crmClient().apiFetch("", "account"), InvalidInputError],
    ["copper revokeToken (Copper has no endpoint)", () => crmClient().revokeToken("t"), InvalidInputError],
    [
      "RefreshingTokenSource with a stale token and no refresh token",
      () => new RefreshingTokenSource({ client: oauthClient(), token: stale }).getToken(),
      InvalidInputError,
    ],
    [
      "verifyWebhookSignature without an API key",
      () => verifyWebhookSignature("{}", "0".repeat(64), ""),
      InvalidInputError,
    ],
    ["signWebhook without an API key", () => signWebhook("{}", ""), InvalidInputError],
    ["readK2Error with something that is not a Response", () => readK2Error(bad), InvalidInputError],
    ["createStkPush with an empty request", () => api.createStkPush(connection, bad), K2EdgeError],
    [
      "getStkPushStatus on another origin",
      () => api.getStkPushStatus(connection, "https://evil.example/x"),
      InvalidInputError,
    ],
    // null means absent: the read goes ahead, and the connection's own failure comes back.
    ["getStkPushStatus with null options", () => api.getStkPushStatus(connection, "id", null as never), TypeError],
    ["cancelPaymentLink without a location", () => api.cancelPaymentLink(connection, ""), InvalidInputError],
    ["parseWebhook without an API key", () => api.parseWebhook("{}", "0".repeat(64), ""), K2EdgeError],
  ];
  for (const [name, call, type] of cases) {
    it(name, async () => {
      expect(await rejection(call())).toBeInstanceOf(type);
    });
  }
});

describe("every promise-returning method and api function, called with nonsense", () => {
  // Methods that answer synchronously by design; everything else on these objects returns a promise.
  const SYNCHRONOUS = new Set(["constructor", "isFresh"]);
  const objects: [string, object][] = [
    ["K2Client", k2Client()],
    ["OAuth2Client", oauthClient()],
    ["Copper preset", crmClient()],
    ["CachedTokenSource", new CachedTokenSource({ source: { getToken: offline } })],
    ["RefreshingTokenSource", new RefreshingTokenSource({ client: oauthClient(), token: stale })],
    ["MemoryTokenCache", new MemoryTokenCache()],
    ["KvTokenCache", new KvTokenCache({ get: offline, put: offline, delete: offline })],
  ];
  for (const [label, object] of objects) {
    const methods = new Set<string>();
    for (
      let proto = Object.getPrototypeOf(object);
      proto && proto !== Object.prototype;
      proto = Object.getPrototypeOf(proto)
    ) {
      for (const name of Object.getOwnPropertyNames(proto)) {
        const descriptor = Object.getOwnPropertyDescriptor(proto, name);
        if (typeof descriptor?.value === "function" && !SYNCHRONOUS.has(name)) methods.add(name);
      }
    }
    it(`${label}: ${[...methods].join(", ")}`, async () => {
      expect(methods.size).toBeGreaterThan(0);
      for (const name of methods) {
        const method = (object as Record<string, (...args: unknown[]) => Promise<unknown>>)[name]!;
        const result = method.call(object, bad, bad, bad);
        expect(result, name).toBeInstanceOf(Promise);
        await result.catch(() => undefined);
      }
    });
  }

  const functions = Object.entries(api).filter(
    ([name, value]) => typeof value === "function" && !/^[A-Z]/.test(name) && name !== "settlementDestination",
  );
  it(`every k2-connect-edge/api call (${functions.length})`, async () => {
    expect(functions.length).toBeGreaterThan(25);
    for (const [name, fn] of functions) {
      for (const args of [
        [connection, bad, bad],
        [bad, bad, bad],
        [connection, undefined, null],
      ]) {
        const result = (fn as (...args: unknown[]) => Promise<unknown>)(...args);
        expect(result, name).toBeInstanceOf(Promise);
        expect(
          await result.then(
            () => "resolved",
            () => "rejected",
          ),
          name,
        ).toBe("rejected");
      }
    }
  });
});
