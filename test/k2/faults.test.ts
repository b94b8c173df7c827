import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  K2Client,
  K2EdgeError,
  NetworkError,
  OAuth2Error,
  TimeoutError,
  UnexpectedResponseError,
} from "../../src/index.ts";
import { DEV_CLIENT } from "../../sandbox/credentials.ts";
import { K2Sandbox } from "../../sandbox/server.ts";

let server: K2Sandbox;

beforeAll(async () => {
  server = await new K2Sandbox().listen();
});
afterAll(() => server.close());
beforeEach(() => server.reset());

function client(extra: Partial<ConstructorParameters<typeof K2Client>[0]> = {}): K2Client {
  return new K2Client({ ...DEV_CLIENT, baseUrl: server.url, retryBaseDelayMs: 5, ...extra });
}

const HTML_502 =
  "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>";

/** After a failure the cache must hold nothing bad: the next call fetches a token K2 accepts. */
async function expectCleanRecovery(k2: K2Client): Promise<void> {
  const before = server.requestsTo("/oauth/token").length;
  const token = await k2.getAccessToken();
  expect(server.requestsTo("/oauth/token")).toHaveLength(before + 1);
  expect((await k2.introspectToken(token)).active).toBe(true);
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable("expected a failure"),
    (error: unknown) => error,
  );
}

describe("retries on the token endpoint", () => {
  it("retries a 500 and succeeds", async () => {
    server.inject("/oauth/token", { status: 500, body: "oops" });
    const token = await client().getAccessToken();
    expect(token).toMatch(/.+/);
    expect(server.requestsTo("/oauth/token")).toHaveLength(2);
  });

  it("gives a typed error with status, content type and excerpt for a 502 HTML page that persists", async () => {
    server.inject(
      "/oauth/token",
      ...Array(3).fill({ status: 502, headers: { "content-type": "text/html" }, body: HTML_502 }),
    );
    const k2 = client();
    const error = await failure(k2.getAccessToken());
    expect(error).toBeInstanceOf(UnexpectedResponseError);
    expect(error).toMatchObject({ status: 502, contentType: "text/html", excerpt: HTML_502 });
    expect((error as Error).message).toContain("HTTP 502");
    expect(server.requestsTo("/oauth/token")).toHaveLength(3); // first try + 2 retries
    await expectCleanRecovery(k2);
  });

  it("honours Retry-After in seconds on a 503", async () => {
    server.inject("/oauth/token", { status: 503, headers: { "retry-after": "1" } });
    const started = performance.now();
    await client().getAccessToken();
    expect(performance.now() - started).toBeGreaterThanOrEqual(950);
    expect(server.requestsTo("/oauth/token")).toHaveLength(2);
  });

  it("honours Retry-After as an HTTP date on a 429", async () => {
    const at = new Date(Math.ceil((Date.now() + 1500) / 1000) * 1000);
    server.inject("/oauth/token", { status: 429, headers: { "retry-after": at.toUTCString() } });
    await client().getAccessToken();
    expect(Date.now()).toBeGreaterThanOrEqual(at.getTime() - 50);
    expect(server.requestsTo("/oauth/token")).toHaveLength(2);
  });

  it("does not retry when Retry-After asks for longer than the cap", async () => {
    server.inject("/oauth/token", {
      status: 429,
      headers: { "retry-after": "120", "content-type": "application/json" },
      body: '{"error":"slow_down","error_description":"Too many requests"}',
    });
    const k2 = client({ maxRetryDelayMs: 1000 });
    const error = await failure(k2.getAccessToken());
    expect(error).toBeInstanceOf(OAuth2Error);
    expect(error).toMatchObject({ error: "slow_down", status: 429 });
    expect(server.requestsTo("/oauth/token")).toHaveLength(1);
    await expectCleanRecovery(k2);
  });

  it("never retries a 4xx other than 429", async () => {
    server.inject("/oauth/token", {
      status: 400,
      headers: { "content-type": "application/json" },
      body: '{"error":"invalid_request"}',
    });
    const error = await failure(client().getAccessToken());
    expect(error).toMatchObject({ name: "OAuth2Error", error: "invalid_request", status: 400 });
    expect(server.requestsTo("/oauth/token")).toHaveLength(1);
  });

  it("retries the revoke, introspect and info endpoints too", async () => {
    const k2 = client();
    const token = await k2.getAccessToken();
    for (const path of ["/oauth/introspect", "/oauth/token/info", "/oauth/revoke"]) {
      server.inject(path, { status: 503 });
    }
    expect((await k2.introspectToken()).active).toBe(true);
    expect((await k2.tokenInfo()).expiresIn).toBeGreaterThan(3500);
    await k2.revokeToken();
    for (const path of ["/oauth/introspect", "/oauth/token/info", "/oauth/revoke"]) {
      expect(server.requestsTo(path)).toHaveLength(2);
    }
    expect((await k2.introspectToken(token)).active).toBe(false);
  });
});

describe("broken transports", () => {
  it("times out a hung server with a TimeoutError and does not retry it", async () => {
    server.inject("/oauth/token", "hang");
    const k2 = client({ timeoutMs: 200 });
    const error = await failure(k2.getAccessToken());
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ timeoutMs: 200 });
    expect((error as Error).cause).toBeDefined();
    expect(server.requestsTo("/oauth/token")).toHaveLength(1);
    await expectCleanRecovery(k2);
  });

  it("retries a dropped connection and succeeds", async () => {
    server.inject("/oauth/token", "drop");
    expect(await client().getAccessToken()).toMatch(/.+/);
    expect(server.requestsTo("/oauth/token")).toHaveLength(2);
  });

  it("reports connections dropped on every try as a NetworkError with its cause", async () => {
    server.inject("/oauth/token", "drop", "drop", "drop");
    const k2 = client();
    const error = await failure(k2.getAccessToken());
    expect(error).toBeInstanceOf(NetworkError);
    expect(error).toBeInstanceOf(K2EdgeError);
    expect((error as Error).cause).toBeInstanceOf(Error);
    await expectCleanRecovery(k2);
  });

  it("treats a body cut off mid-stream as a network failure and retries it", async () => {
    server.inject("/oauth/token", "truncate");
    expect(await client().getAccessToken()).toMatch(/.+/);
    expect(server.requestsTo("/oauth/token")).toHaveLength(2);
  });

  it("reports a complete but truncated JSON body as an UnexpectedResponseError", async () => {
    server.inject("/oauth/token", {
      status: 200,
      headers: { "content-type": "application/json" },
      body: '{"access_token":"abc","token_ty',
    });
    const k2 = client();
    const error = await failure(k2.getAccessToken());
    expect(error).toBeInstanceOf(UnexpectedResponseError);
    expect(error).toMatchObject({ status: 200, excerpt: '{"access_token":"abc","token_ty' });
    // The parser's SyntaxError would quote the body unredacted: it is not kept as the cause.
    expect((error as Error).cause).toBeUndefined();
    await expectCleanRecovery(k2);
  });

  it("reports an unreachable server as a NetworkError", async () => {
    const k2 = new K2Client({ ...DEV_CLIENT, baseUrl: "http://127.0.0.1:1", retries: 1, retryBaseDelayMs: 1 });
    await expect(k2.getAccessToken()).rejects.toBeInstanceOf(NetworkError);
  });
});

describe("malformed successes", () => {
  const cases: [string, string, (error: unknown) => void][] = [
    [
      "a 200 without access_token",
      '{"token_type":"Bearer","expires_in":3600}',
      (e) => expect(e).toBeInstanceOf(UnexpectedResponseError),
    ],
    [
      "a 200 with an empty access_token",
      '{"access_token":"","expires_in":3600}',
      (e) => expect(e).toBeInstanceOf(UnexpectedResponseError),
    ],
    [
      "a non-numeric expires_in",
      '{"access_token":"x","token_type":"Bearer","expires_in":"soon"}',
      (e) => expect(e).toBeInstanceOf(UnexpectedResponseError),
    ],
    [
      "a negative expires_in",
      '{"access_token":"x","token_type":"Bearer","expires_in":-5}',
      (e) => expect(e).toBeInstanceOf(UnexpectedResponseError),
    ],
    [
      "a 200 that carries an OAuth error",
      '{"error":"invalid_scope","error_description":"no"}',
      (e) => expect(e).toMatchObject({ name: "OAuth2Error", error: "invalid_scope", status: 200 }),
    ],
    ["a JSON array", "[1,2,3]", (e) => expect(e).toBeInstanceOf(UnexpectedResponseError)],
  ];
  for (const [name, body, check] of cases) {
    it(`rejects ${name} and caches nothing`, async () => {
      server.inject("/oauth/token", { status: 200, headers: { "content-type": "application/json" }, body });
      const k2 = client();
      check(await failure(k2.getAccessToken()));
      await expectCleanRecovery(k2);
    });
  }

  it("accepts expires_in sent as a digit string", async () => {
    server.inject("/oauth/token", {
      status: 200,
      headers: { "content-type": "application/json" },
      body: '{"access_token":"x","token_type":"Bearer","expires_in":"3600"}',
    });
    expect((await client().getToken()).expiresIn).toBe(3600);
  });

  it("assumes K2's documented hour when expires_in is missing", async () => {
    server.inject("/oauth/token", {
      status: 200,
      headers: { "content-type": "application/json" },
      body: '{"access_token":"x","token_type":"Bearer"}',
    });
    const now = Date.UTC(2026, 0, 1);
    expect(await client({ now: () => now }).getToken()).toMatchObject({ expiresIn: 3600, expiresAt: now + 3600_000 });
  });
});
