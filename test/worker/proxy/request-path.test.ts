import { beforeEach, describe, expect, it } from "vitest";
import {
  baseEnv,
  countedKv,
  emptyTokenCache,
  isolate,
  pollingBody,
  proxyRequest,
  stkPush,
} from "../support/harness.ts";
import { TEST_PROXY_KEYS } from "../support/keys.ts";
import { sandboxUrl, upstream } from "../support/sandbox-control.ts";

beforeEach(async () => {
  await upstream.reset();
  // Storage is per test file, not per test: start each test with an empty token tier.
  await emptyTokenCache();
});

const post = (path: string, body: unknown, init: RequestInit & { key?: string | null } = {}) =>
  proxyRequest(path, {
    method: "POST",
    body: JSON.stringify(body),
    headers: { "content-type": "application/json" },
    ...init,
  });

describe("the request path", () => {
  it("fetches one token and reuses it across 500 requests, reading KV once", async () => {
    const { kv, calls } = countedKv();
    const env = { ...baseEnv, TOKEN_CACHE: kv };
    const { proxy, logs } = isolate();

    const statuses: number[] = [];
    for (let batch = 0; batch < 5; batch++) {
      const responses = await Promise.all(
        Array.from({ length: 100 }, () => proxy(post("/api/v2/polling", pollingBody), env)),
      );
      statuses.push(...responses.map((r) => r.status));
    }

    expect(statuses).toEqual(Array(500).fill(201));
    expect(await upstream.requestsTo("/oauth/token")).toHaveLength(1);
    expect(await upstream.requestsTo("/api/v2/polling")).toHaveLength(500);
    expect(calls.get).toHaveLength(1);
    expect(logs.filter((line) => line.tokenSource === "fetched")).toHaveLength(100); // the first batch waited on the one request
    expect(logs.filter((line) => line.tokenSource === "memory")).toHaveLength(400);
  });

  it("reads its settings once per isolate, not on every request", async () => {
    let reads = 0;
    const env = new Proxy(baseEnv, {
      get(target, property, receiver) {
        reads++;
        return Reflect.get(target, property, receiver);
      },
    });
    const { proxy } = isolate();
    expect((await proxy(post("/api/v2/polling", pollingBody), env)).status).toBe(201);
    const afterFirst = reads;
    expect(afterFirst).toBeGreaterThan(0);
    for (let i = 0; i < 20; i++) expect((await proxy(post("/api/v2/polling", pollingBody), env)).status).toBe(201);
    expect(reads).toBe(afterFirst);
  });

  it("takes new settings that leave the credentials alone without dropping the warm token", async () => {
    const { proxy } = isolate();
    expect((await proxy(post("/api/v2/polling", pollingBody), baseEnv)).status).toBe(201);
    const smallBodies = { ...baseEnv, MAX_BODY_BYTES: String(JSON.stringify(pollingBody).length) };
    expect(
      (await proxy(post("/api/v2/polling", { ...pollingBody, padding: "x".repeat(32) }), smallBodies)).status,
    ).toBe(413);
    expect((await proxy(post("/api/v2/polling", pollingBody), smallBodies)).status).toBe(201);
    expect(await upstream.requestsTo("/oauth/token")).toHaveLength(1);
  });

  it("writes the token to KV with a TTL, under a key and value that hold no secret", async () => {
    const { kv, calls } = countedKv();
    const { proxy } = isolate();
    await proxy(post("/api/v2/polling", pollingBody), { ...baseEnv, TOKEN_CACHE: kv });

    expect(calls.put).toHaveLength(1);
    const [{ key, value, options }] = calls.put;
    expect(options?.expirationTtl).toBeGreaterThanOrEqual(3590);
    expect(options?.expirationTtl).toBeLessThanOrEqual(3600);
    const listed = (await baseEnv.TOKEN_CACHE.list()).keys;
    expect(listed.map((k) => k.name)).toEqual([key]);
    expect(listed[0].expiration).toBeGreaterThan(Date.now() / 1000 + 3500);
    for (const secret of [baseEnv.K2_CLIENT_SECRET, baseEnv.K2_CLIENT_ID, ...TEST_PROXY_KEYS]) {
      expect(key).not.toContain(secret);
      expect(value).not.toContain(secret);
    }
  });

  it("lets a second isolate start from KV without a token request", async () => {
    const first = isolate();
    await first.proxy(post("/api/v2/polling", pollingBody), baseEnv);
    const { kv, calls } = countedKv();
    const second = isolate();

    for (let i = 0; i < 20; i++)
      expect((await second.proxy(post("/api/v2/polling", pollingBody), { ...baseEnv, TOKEN_CACHE: kv })).status).toBe(
        201,
      );

    expect(await upstream.requestsTo("/oauth/token")).toHaveLength(1);
    expect(calls.get).toHaveLength(1);
    expect(second.logs[0].tokenSource).toBe("kv");
    expect(second.logs[1].tokenSource).toBe("memory");
  });

  it("on a 401 from K2 drops the token from both tiers, fetches one new token and replays once with an identical body", async () => {
    const { kv, calls } = countedKv();
    const env = { ...baseEnv, TOKEN_CACHE: kv };
    const { proxy, logs } = isolate();
    await proxy(post("/api/v2/polling", pollingBody), env);
    const [{ key, value: oldValue }] = calls.put;
    await upstream.expireTokens();
    await upstream.reset();

    const response = await proxy(post("/api/v2/incoming_payments", stkPush), env);

    expect(response.status).toBe(201);
    const attempts = await upstream.requestsTo("/api/v2/incoming_payments");
    expect(attempts).toHaveLength(2);
    expect(attempts[1].body).toBe(attempts[0].body);
    expect(JSON.parse(attempts[1].body)).toEqual(stkPush);
    expect(attempts[1].headers.authorization).not.toBe(attempts[0].headers.authorization);
    expect(await upstream.requestsTo("/oauth/token")).toHaveLength(1);
    expect(calls.delete).toEqual([key]);
    const stored = await baseEnv.TOKEN_CACHE.get(key);
    expect(stored).not.toBe(oldValue);
    expect(`Bearer ${JSON.parse(stored!).accessToken}`).toBe(attempts[1].headers.authorization);
    expect(logs.at(-1)).toMatchObject({ status: 201, replayed: true, tokenSource: "fetched" });
  });

  it("creates an STK push and reads its status through the rewritten Location", async () => {
    const { proxy } = isolate();
    const created = await proxy(post("/api/v2/incoming_payments", stkPush), baseEnv);
    expect(created.status).toBe(201);
    const location = created.headers.get("location")!;
    expect(location).toMatch(/^https:\/\/proxy\.example\/api\/v2\/incoming_payments\/[0-9a-f-]{36}$/);

    const status = await proxy(proxyRequest(new URL(location).pathname), baseEnv);
    expect(status.status).toBe(200);
    expect((await status.json<any>()).data).toMatchObject({
      type: "incoming_payment",
      attributes: { till_number: "K000000", status: "Pending" },
    });
  });

  it("puts /api/vN back into a Location that K2 gave without it, and leaves foreign ones alone", async () => {
    const { proxy } = isolate();
    await upstream.inject("/api/v1/payments", {
      status: 201,
      headers: { location: `${sandboxUrl()}/payments/abc-123?x=1` },
    });
    await upstream.inject("/api/v1/payments", { status: 302, headers: { location: "https://evil.example/steal" } });

    const created = await proxy(post("/api/v1/payments", {}), baseEnv);
    expect(created.headers.get("location")).toBe("https://proxy.example/api/v1/payments/abc-123?x=1");
    const redirected = await proxy(post("/api/v1/payments", {}), baseEnv);
    expect(redirected.status).toBe(302);
    expect(redirected.headers.get("location")).toBe("https://evil.example/steal");
    expect(await upstream.requestsTo("/api/v1/payments")).toHaveLength(2); // the redirect was not followed
  });

  it("passes K2's errors back as K2 sent them", async () => {
    const { proxy } = isolate();
    const response = await proxy(post("/api/v2/incoming_payments", { till_number: "K1" }), baseEnv);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      error_code: 400,
      error_message: expect.arrayContaining([expect.stringMatching(/^Currency /)]),
    });
  });

  it("answers /healthz without authentication and without revealing anything", async () => {
    const { proxy } = isolate();
    const response = await proxy(proxyRequest("/healthz", { key: null }), baseEnv);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
    expect(await upstream.requests()).toHaveLength(0);
  });

  it("logs one JSON line per request, with its fields and no token, key or secret", async () => {
    const { proxy, logs, rawLogs } = isolate();
    await proxy(post("/api/v2/polling", pollingBody), baseEnv);
    await proxy(proxyRequest("/api/v2/polling", { key: "wrong-key-wrong-key-wrong" }), baseEnv);
    await proxy(proxyRequest("/oauth/authorize", { method: "POST" }), baseEnv);

    expect(logs).toHaveLength(3);
    expect(logs[0]).toMatchObject({
      method: "POST",
      path: "/api/v2/polling",
      status: 201,
      tokenSource: "fetched",
      replayed: false,
    });
    expect(typeof logs[0].upstreamMs).toBe("number");
    expect(typeof logs[0].requestId).toBe("string");
    expect(logs[1]).toMatchObject({ status: 401, error: "unauthorized" });
    expect(logs[2]).toMatchObject({ status: 404, error: "not_found" });
    const [token] = await upstream.requestsTo("/api/v2/polling");
    const accessToken = token.headers.authorization.replace("Bearer ", "");
    for (const line of rawLogs) {
      for (const secret of [accessToken, baseEnv.K2_CLIENT_SECRET, ...TEST_PROXY_KEYS, "wrong-key-wrong-key-wrong"])
        expect(line).not.toContain(secret);
    }
  });

  it("gives every answer a request id", async () => {
    const { proxy } = isolate();
    for (const request of [
      post("/api/v2/polling", pollingBody),
      proxyRequest("/nope"),
      proxyRequest("/api/v1/x", { key: null }),
      proxyRequest("/healthz"),
    ]) {
      expect((await proxy(request, baseEnv)).headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it("accepts the Bearer scheme in any case and either of two rotated keys", async () => {
    const { proxy } = isolate();
    for (const authorization of [
      `bearer ${TEST_PROXY_KEYS[0]}`,
      `Bearer ${TEST_PROXY_KEYS[1]}`,
      `BEARER ${TEST_PROXY_KEYS[1]}`,
    ]) {
      expect((await proxy(post("/api/v2/polling", pollingBody, { headers: { authorization } }), baseEnv)).status).toBe(
        201,
      );
    }
  });
});
