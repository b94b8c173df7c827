/**
 * What a red-team run found in the proxy Worker, one finding per block, inside real workerd against
 * the K2 sandbox: request headers cross by an allow-list, misleading answers are told apart, a
 * body that never ends is cut off, and every refusal carries an `error_description`.
 */
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { baseEnv, isolate, KEY, pollingBody, proxyRequest, stkPush } from "./harness.js";
import { sandboxUrl, upstream } from "./sandbox-control.js";

beforeEach(async () => {
  await upstream.reset();
});

const poll = (init: RequestInit & { key?: string | null } = {}) =>
  proxyRequest("/api/v2/polling", {
    method: "POST",
    body: JSON.stringify(pollingBody),
    ...init,
    headers: { "content-type": "application/json", ...(init.headers as Record<string, string>) },
  });

/**
 * A request whose method reads GET or HEAD while it carries a body: what workerd hands the Worker
 * for `curl -X GET -d ...`, which the Request constructor itself refuses to build.
 */
function bodyCarrying(method: "GET" | "HEAD", path: string, body: string, headers: HeadersInit = {}): Request {
  class WithBody extends Request {
    override get method() {
      return method;
    }
  }
  const withKey = new Headers(headers);
  withKey.set("authorization", `Bearer ${KEY}`);
  return new WithBody(`https://proxy.example${path}`, { method: "POST", body, headers: withKey });
}

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

describe("a GET or HEAD with a body", () => {
  for (const method of ["GET", "HEAD"] as const) {
    it(`${method}: 400 body_not_allowed, and nothing is sent to K2`, async () => {
      const { proxy, logs } = isolate();
      const response = await proxy(bodyCarrying(method, "/api/v2/incoming_payments/abc", "{}"), baseEnv);
      expect(response.status).toBe(400);
      if (method === "GET") expect(await response.json()).toMatchObject({ error: "body_not_allowed" });
      expect(logs.at(-1)).toMatchObject({ status: 400, error: "body_not_allowed" });
      expect(await upstream.requests()).toEqual([]);
    });
  }

  it("a GET without a body still passes", async () => {
    const { proxy } = isolate();
    const created = await proxy(poll(), baseEnv);
    const status = await proxy(proxyRequest(new URL(created.headers.get("location")!).pathname), baseEnv);
    expect(status.status).toBe(200);
  });
});

describe("an answer K2 cut short", () => {
  it("is 502 upstream_truncated, not a 200 whose body breaks off", async () => {
    const { proxy, logs } = isolate();
    expect((await proxy(poll(), baseEnv)).status).toBe(201); // a token in memory first
    await upstream.inject("/api/v2/polling", "truncate");

    const response = await proxy(poll(), baseEnv);

    expect(response.status).toBe(502);
    expect(await response.json()).toMatchObject({ error: "upstream_truncated" });
    expect(logs.at(-1)).toMatchObject({ status: 502, error: "upstream_truncated" });
    expect(await upstream.requestsTo("/api/v2/polling")).toHaveLength(2); // not retried
  });

  it("an answer that is whole passes with its bytes", async () => {
    const { proxy } = isolate();
    const body = JSON.stringify({ data: { id: "x", padding: "y".repeat(5000) } });
    await upstream.inject("/api/v2/polling", { status: 200, headers: { "content-type": "application/json" }, body });
    const response = await proxy(poll(), baseEnv);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(body);
  });
});

describe("Location never points at K2", () => {
  const create = (origin: string) =>
    new Request(`${origin}/api/v2/incoming_payments`, {
      method: "POST",
      body: JSON.stringify(stkPush),
      headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
    });

  it("with Host naming K2's own origin, the Location is relative", async () => {
    const { proxy } = isolate();
    for (const origin of [sandboxUrl(), sandboxUrl().replace("127.0.0.1", "localhost")]) {
      const response = await proxy(create(origin), baseEnv);
      expect(response.status).toBe(201);
      expect(response.headers.get("location"), origin).toMatch(/^\/api\/v2\/incoming_payments\/[0-9a-f-]{36}$/);
    }
  });

  it("with PUBLIC_ORIGIN set, the Location is on it whatever Host the caller sent", async () => {
    const { proxy } = isolate();
    const env = { ...baseEnv, PUBLIC_ORIGIN: "https://k2-proxy.example.com" };
    for (const origin of [sandboxUrl(), "https://evil.example", "https://proxy.example"]) {
      const response = await proxy(create(origin), env);
      expect(response.status).toBe(201);
      expect(response.headers.get("location")).toMatch(
        /^https:\/\/k2-proxy\.example\.com\/api\/v2\/incoming_payments\/[0-9a-f-]{36}$/,
      );
    }
  });
});

describe("a request body that never ends", () => {
  const env = { ...baseEnv, BODY_TIMEOUT_MS: "200" };

  it("an unterminated stream: 408 request_body_timeout, and nothing is sent to K2", async () => {
    const { proxy, logs } = isolate();
    const neverEnds = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"scope":'));
      },
    });
    const response = await proxy(poll({ body: neverEnds, duplex: "half" } as RequestInit), env);
    expect(response.status).toBe(408);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await response.json()).toMatchObject({ error: "request_body_timeout" });
    expect(logs.at(-1)).toMatchObject({ status: 408, error: "request_body_timeout" });
    expect(await upstream.requests()).toEqual([]);
  });

  it("a body trickled a byte at a time: 408 once the whole body is late, not per byte", async () => {
    const { proxy } = isolate();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const trickle = new ReadableStream<Uint8Array>({
      pull: (controller) =>
        new Promise<void>((resolve) => {
          timer = setTimeout(() => {
            controller.enqueue(new Uint8Array([0x20]));
            resolve();
          }, 20);
        }),
      cancel: () => clearTimeout(timer),
    });
    const response = await proxy(poll({ body: trickle, duplex: "half" } as RequestInit), env);
    expect(response.status).toBe(408);
    expect(await upstream.requests()).toEqual([]);
  });
});

describe("the Worker's own refusals", () => {
  it("carry their text in both message and error_description", async () => {
    const { proxy } = isolate();
    await upstream.inject("/api/v2/polling", "truncate");
    const answers = [
      await proxy(poll({ key: null }), baseEnv), // 401
      await proxy(proxyRequest("/oauth/token", { method: "POST" }), baseEnv), // 404
      await proxy(proxyRequest("/api/v2/polling", { method: "OPTIONS" }), baseEnv), // 405
      await proxy(bodyCarrying("GET", "/api/v2/polling", "x"), baseEnv), // 400
      await proxy(poll({ body: "x".repeat(64) }), { ...baseEnv, MAX_BODY_BYTES: "16" }), // 413
      await proxy(poll({ body: new ReadableStream(), duplex: "half" } as RequestInit), {
        ...baseEnv,
        BODY_TIMEOUT_MS: "50",
      }), // 408
      await proxy(poll(), { ...baseEnv, PROXY_KEYS: undefined }), // 500
      await proxy(poll(), baseEnv), // 502 truncated
      await proxy(poll(), { ...baseEnv, K2_BASE_URL: "http://127.0.0.1:1" }), // 502 unreachable
    ];
    expect(answers.map((answer) => answer.status)).toEqual([401, 404, 405, 400, 413, 408, 500, 502, 502]);
    for (const answer of answers) {
      const body = await answer.json<Record<string, unknown>>();
      expect(typeof body.message, JSON.stringify(body)).toBe("string");
      expect(body.error_description, JSON.stringify(body)).toBe(body.message);
    }
  });
});
