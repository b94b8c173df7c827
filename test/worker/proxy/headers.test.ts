/**
 * Which headers cross the proxy, end to end inside workerd against the K2 sandbox: toward K2 only
 * the allow-list (worker/proxy/forwarded-headers.ts), whatever the caller adds; the pure rules are
 * in headers.node.test.ts.
 */
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { baseEnv, emptyTokenCache, isolate, KEY, poll, proxyRequest } from "../support/harness.ts";
import { sandboxUrl, upstream } from "../support/sandbox-control.ts";

beforeEach(async () => {
  await upstream.reset();
  await emptyTokenCache();
});

const valid = `Bearer ${KEY}`;

describe("request headers cross by allow-list", () => {
  const dropped: Record<string, string> = {
    "x-http-method-override": "DELETE",
    "x-http-method": "DELETE",
    "x-method-override": "DELETE",
    "x-original-url": "/oauth/token",
    "x-rewrite-url": "/oauth/token",
    // What a runtime leaves when it strips `Connection` but not the headers it named.
    "x-named-by-a-stripped-connection": "1",
    "x-internal-debug": "true",
    origin: "https://evil.example",
    referer: "https://evil.example/page",
    via: "1.1 evil.example",
    "x-forwarded-for": "203.0.113.9",
    "x-forwarded-host": "evil.example",
    "x-real-ip": "203.0.113.9",
    "true-client-ip": "203.0.113.9",
    "cf-connecting-ip": "203.0.113.9",
    forwarded: "for=203.0.113.9",
    cookie: "session=secret-cookie",
    "proxy-authorization": "Basic c2VjcmV0",
    "accept-encoding": "br",
    prefer: "respond-async",
    range: "bytes=0-10",
    "max-forwards": "0",
    // The proxy's own (idempotency.ts): it decides at the edge, and K2 has no such header.
    "idempotency-key": "7b3c4a4e-2f59-4d8e-9d43-0c1f0b9a1e11",
  };
  // The allow-list, as docs/proxy-worker.md gives it.
  const allowed: Record<string, string> = {
    accept: "application/json",
    "accept-language": "sw-KE",
    "content-encoding": "identity",
    "content-language": "en",
    "content-type": "application/json",
    "if-match": '"v1"',
    "if-modified-since": "Wed, 21 Oct 2015 07:28:00 GMT",
    "if-none-match": '"v1"',
    "if-unmodified-since": "Wed, 21 Oct 2015 07:28:00 GMT",
    "user-agent": "caller-app/1.0",
  };
  let forwarded: Record<string, string>;

  beforeAll(async () => {
    await upstream.reset();
    const { proxy } = isolate();
    const response = await proxy(poll({ headers: { ...dropped, ...allowed } }), baseEnv);
    expect(response.status).toBe(201);
    [{ headers: forwarded }] = await upstream.requestsTo("/api/v2/polling");
  });

  for (const name of Object.keys(dropped)) {
    it(`drops ${name}`, () => {
      expect(forwarded[name]).toBeUndefined();
    });
  }

  it("forwards every header on the allow-list, and the proxy's own Authorization and X-Request-Id", () => {
    for (const [name, value] of Object.entries(allowed)) expect(forwarded[name], name).toBe(value);
    expect(forwarded.authorization).toMatch(/^Bearer /);
    expect(forwarded.authorization).not.toContain(KEY);
    expect(forwarded["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("drops an allowed header that Connection names as hop-by-hop", async () => {
    const { proxy } = isolate();
    const headers = { connection: "accept-language", "accept-language": "sw-KE", "content-type": "application/json" };
    expect((await proxy(poll({ headers }), baseEnv)).status).toBe(201);
    const [request] = await upstream.requestsTo("/api/v2/polling");
    expect(request.headers["accept-language"]).toBeUndefined();
    expect(request.headers["content-type"]).toBe("application/json");
  });
});

describe("a request sent on to K2", () => {
  it("forwards method, query, body and content headers, and nothing of the caller's identity", async () => {
    const { proxy } = isolate();
    const subscription =
      '{"event_type":"buygoods_transaction_received","url":"https://example.com/hook","scope":"company"}';
    const response = await proxy(
      proxyRequest("/api/v2/webhook_subscriptions?page=2&filter=a%20b", {
        method: "POST",
        body: subscription,
        headers: {
          "content-type": "application/json",
          accept: "application/json",
          "idempotency-key": "abc-123",
          cookie: "session=secret-cookie",
          "x-forwarded-for": "203.0.113.9",
          "x-forwarded-host": "evil.example",
          "cf-connecting-ip": "203.0.113.9",
          forwarded: "for=203.0.113.9",
          connection: "keep-alive, x-drop-me",
          "x-drop-me": "1",
          "x-request-id": "caller-id-42",
        },
      }),
      baseEnv,
    );
    expect(response.status).toBe(201);
    const [forwarded] = await upstream.requestsTo("/api/v2/webhook_subscriptions");
    expect(forwarded.method).toBe("POST");
    expect(forwarded.path).toBe("/api/v2/webhook_subscriptions?page=2&filter=a%20b");
    expect(forwarded.body).toBe(subscription);
    expect(forwarded.headers).toMatchObject({
      "content-type": "application/json",
      accept: "application/json",
      "x-request-id": "caller-id-42",
    });
    expect(forwarded.headers.authorization).toMatch(/^Bearer /);
    expect(forwarded.headers.authorization).not.toContain(KEY);
    expect(new URL(sandboxUrl()).host).toBe(forwarded.headers.host);
    for (const name of [
      "cookie",
      "x-forwarded-for",
      "x-forwarded-host",
      "cf-connecting-ip",
      "forwarded",
      "x-drop-me",
      "idempotency-key", // the proxy's own (worker/idempotency.ts)
    ]) {
      expect(forwarded.headers[name], name).toBeUndefined();
    }
    expect(response.headers.get("x-request-id")).toBe("caller-id-42");
  });
});

describe("allowed requests carrying tricks", () => {
  it("reach only the sandbox, on the allowed path, with hostile headers dropped", async () => {
    await upstream.reset();
    const { proxy } = isolate();
    const requests = [
      new Request("https://proxy.example/api/v1/incoming_payments?next=//evil.example/x&u=https://evil.example", {
        method: "POST",
        body: "{}",
        headers: {
          authorization: valid,
          "x-forwarded-host": "evil.example",
          "x-forwarded-proto": "http",
          host: "evil.example",
        },
      }),
      new Request("https://proxy.example/api/v2/./polling", {
        method: "POST",
        body: "{}",
        headers: { authorization: valid },
      }),
      new Request("https://proxy.example/api/v2/polling#/../../oauth/token", {
        method: "POST",
        body: "{}",
        headers: { authorization: valid },
      }),
    ];
    for (const request of requests) expect((await proxy(request, baseEnv)).status).toBeLessThan(500);

    const recorded = await upstream.requests();
    const allowed = /^\/(oauth\/token|api\/v[12](\/[A-Za-z0-9_-]+)+)(\?.*)?$/;
    for (const request of recorded) {
      expect(request.path).toMatch(allowed);
      expect(request.headers.host).toBe(new URL(sandboxUrl()).host);
      expect(request.headers["x-forwarded-host"]).toBeUndefined();
      expect(request.headers["x-forwarded-proto"]).toBeUndefined();
    }
    expect(recorded.map((r) => r.path)).toEqual([
      "/oauth/token",
      "/api/v1/incoming_payments?next=//evil.example/x&u=https://evil.example",
      "/api/v2/polling",
      "/api/v2/polling",
    ]);
  });
});
