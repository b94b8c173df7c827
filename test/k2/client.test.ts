import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  InvalidInputError,
  K2ApiError,
  K2Client,
  MemoryTokenCache,
  OAuth2Error,
  readK2Error,
} from "../../src/index.ts";
import { SAMPLE_POLLING, SAMPLE_STK_PUSH } from "../../sandbox/samples.ts";

const POLLING = JSON.stringify(SAMPLE_POLLING);
import { DEV_CLIENT } from "../../sandbox/credentials.ts";
import { K2Sandbox, type K2SandboxOptions } from "../../sandbox/server.ts";

const sandboxes: K2Sandbox[] = [];

async function sandbox(options: K2SandboxOptions = {}): Promise<K2Sandbox> {
  const server = await new K2Sandbox(options).listen();
  sandboxes.push(server);
  return server;
}

function clientFor(server: K2Sandbox, extra: Partial<ConstructorParameters<typeof K2Client>[0]> = {}): K2Client {
  return new K2Client({ ...DEV_CLIENT, baseUrl: server.url, retryBaseDelayMs: 1, ...extra });
}

afterAll(async () => {
  await Promise.all(sandboxes.map((server) => server.close()));
});

describe("token from the K2-shaped server", () => {
  for (const createdAt of ["iso", "unix", "absent"] as const) {
    it(`fixes expiry at receipt with created_at ${createdAt}`, async () => {
      const issuedAt = Date.UTC(2026, 10, 22, 10, 0, 0);
      const server = await sandbox({ createdAt, now: () => issuedAt });
      const k2 = clientFor(server, { now: () => issuedAt + 5_000 });

      const token = await k2.getToken();

      expect(token.tokenType).toBe("Bearer");
      expect(token.expiresIn).toBe(3600);
      // With created_at, K2's own issue time counts; without it, the receipt time does.
      const start = createdAt === "absent" ? issuedAt + 5_000 : issuedAt;
      expect(token.expiresAt).toBe(start + 3600_000);
      expect(token.createdAt).toBe(createdAt === "absent" ? undefined : issuedAt);
      expect(token.raw.access_token).toBe(token.accessToken);
      expect(await k2.getAccessToken()).toBe(token.accessToken);
    });
  }

  it("sends credentials in the form body with grant_type=client_credentials", async () => {
    const server = await sandbox();
    await clientFor(server).getAccessToken();
    const [request] = server.requestsTo("/oauth/token");
    expect(request.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(Object.fromEntries(new URLSearchParams(request.body))).toEqual({
      grant_type: "client_credentials",
      client_id: DEV_CLIENT.clientId,
      client_secret: DEV_CLIENT.clientSecret,
    });
  });

  it("reports a wrong secret as OAuth2Error invalid_client", async () => {
    const server = await sandbox();
    const k2 = new K2Client({ clientId: DEV_CLIENT.clientId, clientSecret: "wrong-secret-value", baseUrl: server.url });
    const error = await k2.getAccessToken().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OAuth2Error);
    expect(error).toMatchObject({ error: "invalid_client", status: 401 });
    expect(server.requestsTo("/oauth/token")).toHaveLength(1); // 4xx is never retried
  });
});

describe("revoke", () => {
  for (const revokeBody of ["{}", ""] as const) {
    it(`drops the cached token when K2 answers ${JSON.stringify(revokeBody)}`, async () => {
      const server = await sandbox({ revokeBody });
      const k2 = clientFor(server);
      const first = await k2.getAccessToken();

      await k2.revokeToken();

      expect(Object.fromEntries(new URLSearchParams(server.requestsTo("/oauth/revoke")[0].body))).toEqual({
        token: first,
        client_id: DEV_CLIENT.clientId,
        client_secret: DEV_CLIENT.clientSecret,
      });
      expect((await k2.introspectToken(first)).active).toBe(false);
      const second = await k2.getAccessToken();
      expect(second).not.toBe(first);
      expect(server.requestsTo("/oauth/token")).toHaveLength(2);
    });
  }

  it("revokes an explicit token and keeps a different cached one", async () => {
    const server = await sandbox();
    const other = clientFor(server);
    const foreign = await other.getAccessToken();
    const k2 = clientFor(server);
    const mine = await k2.getAccessToken();

    await k2.revokeToken(foreign);

    expect(await k2.getAccessToken()).toBe(mine);
    expect((await k2.introspectToken(foreign)).active).toBe(false);
  });

  it("does nothing when no token was given and none is cached", async () => {
    const server = await sandbox();
    await clientFor(server).revokeToken();
    expect(server.requests).toHaveLength(0);
  });
});

describe("introspection", () => {
  for (const introspectionTimes of ["iso", "unix"] as const) {
    it(`reads exp and iat given as ${introspectionTimes}`, async () => {
      const issuedAt = Date.UTC(2026, 10, 22, 9, 30, 0);
      const server = await sandbox({ introspectionTimes, now: () => issuedAt });
      const k2 = clientFor(server, { now: () => issuedAt });

      const result = await k2.introspectToken();

      expect(result).toMatchObject({
        active: true,
        scope: "",
        clientId: DEV_CLIENT.clientId,
        tokenType: "Bearer",
        issuedAt,
        expiresAt: issuedAt + 3600_000,
      });
    });
  }

  it("answers active: false for an unknown token", async () => {
    const server = await sandbox();
    const result = await clientFor(server).introspectToken("not-a-token");
    expect(result.active).toBe(false);
    expect(result.expiresAt).toBeUndefined();
  });
});

describe("token info", () => {
  it("reads scope, seconds left, application uid and created_at", async () => {
    const issuedAt = Date.UTC(2026, 10, 22, 8, 0, 0);
    let serverNow = issuedAt;
    const server = await sandbox({ now: () => serverNow });
    const k2 = clientFor(server, { now: () => issuedAt });
    const token = await k2.getAccessToken();
    serverNow = issuedAt + 600_000;

    const info = await k2.tokenInfo();

    expect(info).toMatchObject({
      scope: [],
      expiresIn: 3000,
      applicationUid: DEV_CLIENT.clientId,
      createdAt: issuedAt,
      resourceOwnerId: null,
    });
    expect(server.requestsTo("/oauth/token/info")[0].headers.authorization).toBe(`Bearer ${token}`);
  });

  it("reports an invalid token as OAuth2Error invalid_token", async () => {
    const server = await sandbox();
    await expect(clientFor(server).tokenInfo("nope")).rejects.toMatchObject({
      name: "OAuth2Error",
      error: "invalid_token",
      status: 401,
    });
  });
});

describe("k2.fetch", () => {
  const payment = SAMPLE_STK_PUSH;

  for (const locationStyle of ["prefixed", "unprefixed"] as const) {
    it(`creates a resource and reads it back through a ${locationStyle} Location`, async () => {
      const server = await sandbox({ locationStyle });
      const k2 = clientFor(server);

      const created = await k2.fetch("/api/v2/incoming_payments", { method: "POST", body: JSON.stringify(payment) });
      expect(created.status).toBe(201);
      const location = created.headers.get("location")!;
      expect(location.startsWith(server.url)).toBe(true);
      expect(location.includes("/api/v2/")).toBe(locationStyle === "prefixed");

      const status = await k2.fetch(location);
      const body = await status.json();
      expect(body.data).toMatchObject({
        type: "incoming_payment",
        attributes: { till_number: "K000000", status: "Pending" },
      });

      const [post] = server.requestsTo("/api/v2/incoming_payments");
      expect(post.headers["content-type"]).toBe("application/json");
      expect(post.headers.accept).toBe("application/json");
      expect(post.headers.authorization).toMatch(/^Bearer .+/);
      expect(JSON.parse(post.body)).toEqual(payment);
    });
  }

  it("replays once with an identical body after a 401 on an expired token", async () => {
    const server = await sandbox();
    const k2 = clientFor(server);
    const stale = await k2.getAccessToken();
    server.expireAllTokens(); // K2 expired it although our clock says it still lives
    const body = new Blob([JSON.stringify(payment)]).stream(); // a stream, readable only once

    const response = await k2.fetch("/api/v1/incoming_payments", {
      method: "POST",
      body,
      headers: { "content-type": "application/json" },
    });

    expect(response.status).toBe(201);
    const attempts = server.requestsTo("/api/v1/incoming_payments");
    expect(attempts).toHaveLength(2);
    expect(attempts[0].headers.authorization).toBe(`Bearer ${stale}`);
    expect(attempts[1].headers.authorization).not.toBe(`Bearer ${stale}`);
    expect(attempts[1].body).toBe(attempts[0].body);
    expect(JSON.parse(attempts[1].body)).toEqual(payment);
    expect(server.requestsTo("/oauth/token")).toHaveLength(2);
    expect(await k2.getAccessToken()).not.toBe(stale);
  });

  it("replays bytes (the proxy's ArrayBuffer, a Uint8Array) as they were, without copying them first", async () => {
    for (const body of [
      new TextEncoder().encode(JSON.stringify(payment)).buffer,
      new TextEncoder().encode(JSON.stringify(payment)),
    ]) {
      const server = await sandbox();
      const k2 = clientFor(server);
      await k2.getAccessToken();
      server.expireAllTokens();
      const response = await k2.fetch("/api/v1/incoming_payments", {
        method: "POST",
        body,
        headers: { "content-type": "application/json" },
      });
      expect(response.status).toBe(201);
      const attempts = server.requestsTo("/api/v1/incoming_payments");
      expect(attempts.map((attempt) => JSON.parse(attempt.body))).toEqual([payment, payment]);
    }
  });

  it("shares one renewal among concurrent requests that all met a 401", async () => {
    const server = await sandbox();
    const k2 = clientFor(server);
    await k2.getAccessToken();
    server.expireAllTokens();

    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        k2.fetch("/api/v2/incoming_payments", { method: "POST", body: JSON.stringify(payment) }),
      ),
    );

    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(201));
    expect(server.requestsTo("/oauth/token")).toHaveLength(2);
  });

  it("gives back K2's answer when the replay is refused too", async () => {
    const server = await sandbox();
    const k2 = clientFor(server);
    await k2.getAccessToken();
    server.inject("/api/v2/incoming_payments", {
      status: 401,
      body: '{"error_code":401,"error_message":"InvalidAccessToken"}',
    });
    server.inject("/api/v2/incoming_payments", {
      status: 401,
      body: '{"error_code":401,"error_message":"InvalidAccessToken"}',
    });

    const response = await k2.fetch("/api/v2/incoming_payments", { method: "POST", body: JSON.stringify(payment) });

    expect(response.status).toBe(401);
    expect(server.requestsTo("/api/v2/incoming_payments")).toHaveLength(2);
    await expect(readK2Error(response)).resolves.toMatchObject({
      name: "K2ApiError",
      errorCode: 401,
      messages: ["InvalidAccessToken"],
    });
  });

  it("reads K2 errors whose message is a string or an array", async () => {
    const server = await sandbox();
    const k2 = clientFor(server);

    const invalidJson = await k2.fetch("/api/v2/incoming_payments", { method: "POST", body: "{not json" });
    const stringError = await readK2Error(invalidJson);
    expect(stringError).toBeInstanceOf(K2ApiError);
    expect(stringError).toMatchObject({ status: 400, errorCode: 400, messages: ["Request body is not valid JSON"] });

    const missing = await k2.fetch("/api/v2/incoming_payments", {
      method: "POST",
      body: JSON.stringify({ amount: { currency: "USD", value: 0 } }),
    });
    const arrayError = (await readK2Error(missing)) as K2ApiError;
    expect(arrayError).toBeInstanceOf(K2ApiError);
    expect(arrayError.messages).toEqual([
      "Payment channel can't be blank",
      "Till number can't be blank",
      "Phone number can't be blank",
      "Currency must be KES",
      "Amount must be greater than 0",
      "Callback url can't be blank",
    ]);
    expect(arrayError.message).toContain("Currency must be KES");
  });

  it("refuses absolute URLs and protocol-relative tricks that leave the K2 origin, sending nothing", async () => {
    const server = await sandbox();
    const k2 = clientFor(server);
    for (const target of [
      "https://evil.example/api/v1/x",
      "//evil.example/api/v1/x",
      "/\\evil.example/x",
      new URL("http://127.0.0.2:1/x"),
    ]) {
      await expect(k2.fetch(target)).rejects.toBeInstanceOf(InvalidInputError);
    }
    expect(server.requests).toHaveLength(0);
  });

  it("returns redirects instead of following them with the token", async () => {
    const server = await sandbox();
    const k2 = clientFor(server);
    server.inject("/api/v2/polling", { status: 302, headers: { location: "https://evil.example/steal" } });
    const response = await k2.fetch("/api/v2/polling", { method: "POST", body: "{}" });
    expect(response.status).toBe(302);
    expect(server.requestsTo("/api/v2/polling")).toHaveLength(1);
  });
});

describe("a shared cache", () => {
  it("lets two clients of the same application share one token", async () => {
    const server = await sandbox();
    const cache = new MemoryTokenCache();
    const a = clientFor(server, { cache });
    const b = clientFor(server, { cache });
    expect(await b.getAccessToken()).toBe(await a.getAccessToken());
    expect(server.requestsTo("/oauth/token")).toHaveLength(1);
  });

  it("keys tokens without the client id or secret in the key", async () => {
    const server = await sandbox();
    const keys: string[] = [];
    const inner = new MemoryTokenCache();
    const cache = {
      get: inner.get.bind(inner),
      delete: inner.delete.bind(inner),
      set: async (key: string, token: any, ttl?: number) => {
        keys.push(key);
        await inner.set(key, token, ttl);
      },
    };
    await clientFor(server, { cache }).getAccessToken();
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/^k2-connect-edge:token:[0-9a-f]{32}$/);
    expect(keys[0]).not.toContain(DEV_CLIENT.clientId);
  });
});

afterEach(() => {
  for (const server of sandboxes) server.reset();
});

describe("k2.request", () => {
  it("tells where the token came from and whether a 401 replay happened", async () => {
    const server = await sandbox();
    const k2 = clientFor(server);
    expect(await k2.request("/api/v2/polling", { method: "POST", body: POLLING })).toMatchObject({
      tokenOrigin: "fetched",
      replayed: false,
      response: { status: 201 },
    });
    expect(await k2.request("/api/v2/polling", { method: "POST", body: POLLING })).toMatchObject({
      tokenOrigin: "memory",
      replayed: false,
    });
    server.expireAllTokens();
    expect(await k2.request("/api/v2/polling", { method: "POST", body: POLLING })).toMatchObject({
      tokenOrigin: "fetched",
      replayed: true,
      response: { status: 201 },
    });
  });
});
