/**
 * CORS for scoped keys with `origins`, inside workerd against the K2 sandbox: preflights answered
 * for the origins some key lists and refused for others, actual answers carrying CORS headers only
 * for an origin their own key lists, and a request from another browser origin refused before
 * anything is sent to K2.
 */
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { sha256Hex } from "../../../worker/common/sha256.ts";
import { baseEnv, isolate, KEY, pollingBody, proxyRequest } from "../support/harness.ts";
import { upstream } from "../support/sandbox-control.ts";

const SHOP = "https://shop.example.com";
const ADMIN = "https://admin.example.com";
const OTHER = "https://evil.example.net";
const POLLING = "/api/v2/polling";

const SHOP_KEY = "cors-test-key-shop-0001";
const ADMIN_KEY = "cors-test-key-admin-0001";
const PLAIN_KEY = "cors-test-key-no-origins-0001";

let env: typeof baseEnv;

beforeAll(async () => {
  const allow = ["polling:write", "events:read", "payments:read"];
  const policies = [
    { id: "shop", sha256: await sha256Hex(SHOP_KEY), allow, origins: [SHOP] },
    // Its own rate-limit object each run: the limit test below starts from an empty window.
    {
      id: `admin-${crypto.randomUUID().slice(0, 8)}`,
      sha256: await sha256Hex(ADMIN_KEY),
      allow,
      origins: [ADMIN],
      rate_per_minute: 1,
    },
    { id: "plain", sha256: await sha256Hex(PLAIN_KEY), allow },
  ];
  env = { ...baseEnv, PROXY_KEY_POLICIES: JSON.stringify(policies) };
});

beforeEach(() => upstream.reset());
afterEach(() => upstream.reset());

const preflightTo = (path: string, origin: string, method = "POST") =>
  proxyRequest(path, {
    method: "OPTIONS",
    key: null,
    headers: {
      origin,
      "access-control-request-method": method,
      "access-control-request-headers": "authorization, content-type",
    },
  });

const poll = (key: string, origin?: string) =>
  proxyRequest(POLLING, {
    method: "POST",
    key,
    headers: { "content-type": "application/json", ...(origin ? { origin } : {}) },
    body: JSON.stringify(pollingBody),
  });

const sent = async () => (await upstream.requests()).length;
const corsHeaders = (response: Response) =>
  [...response.headers.keys()].filter((name) => name.startsWith("access-control-"));

describe("preflight", () => {
  it("an origin a key lists: 204 with the exact origin, methods, headers, max age and Vary, nothing sent", async () => {
    const answer = await isolate().proxy(preflightTo(POLLING, SHOP), env);
    expect(answer.status).toBe(204);
    expect(answer.headers.get("access-control-allow-origin")).toBe(SHOP);
    expect(answer.headers.get("access-control-allow-methods")).toBe("GET, HEAD, POST, PUT, PATCH, DELETE");
    expect(answer.headers.get("access-control-allow-headers")).toBe(
      "Authorization, Content-Type, Idempotency-Key, X-Request-Id",
    );
    expect(Number(answer.headers.get("access-control-max-age"))).toBeGreaterThan(0);
    expect(answer.headers.get("vary")).toBe("Origin");
    expect(answer.headers.get("access-control-allow-credentials")).toBeNull();
    expect(await sent()).toBe(0);
  });

  it("the events route's preflight names only its read methods", async () => {
    const answer = await isolate().proxy(preflightTo("/k2/events", ADMIN, "GET"), env);
    expect(answer.status).toBe(204);
    expect(answer.headers.get("access-control-allow-origin")).toBe(ADMIN);
    expect(answer.headers.get("access-control-allow-methods")).toBe("GET, HEAD");
  });

  it("an origin no key lists: 403 without any CORS header", async () => {
    const answer = await isolate().proxy(preflightTo(POLLING, OTHER), env);
    expect(answer.status).toBe(403);
    expect(await answer.json()).toMatchObject({ error: "forbidden", rule: "origins" });
    expect(corsHeaders(answer)).toEqual([]);
  });

  it("no key lists origins: a preflight is refused, however it is spelled", async () => {
    const answer = await isolate().proxy(preflightTo(POLLING, SHOP), baseEnv);
    expect(answer.status).toBe(403);
    expect(corsHeaders(answer)).toEqual([]);
  });

  it("an OPTIONS that is not a preflight is answered as before: 401 without a key, 405 with one", async () => {
    const { proxy } = isolate();
    expect((await proxy(proxyRequest(POLLING, { method: "OPTIONS", key: null }), env)).status).toBe(401);
    const withKey = await proxy(proxyRequest(POLLING, { method: "OPTIONS", key: KEY, headers: { origin: SHOP } }), env);
    expect(withKey.status).toBe(405);
    expect(corsHeaders(withKey)).toEqual([]);
  });
});

describe("actual requests", () => {
  it("a key from an origin it lists: sent, and answered with the origin and the exposed headers", async () => {
    const answer = await isolate().proxy(poll(SHOP_KEY, SHOP), env);
    expect(answer.status).toBeLessThan(300);
    expect(answer.headers.get("access-control-allow-origin")).toBe(SHOP);
    expect(answer.headers.get("access-control-expose-headers")).toBe(
      "Location, X-Request-Id, Idempotent-Replayed, Retry-After",
    );
    expect(answer.headers.get("vary")).toContain("Origin");
    expect(await sent()).toBeGreaterThan(0);
  });

  it("a key from an origin only another key lists (which the preflight let through): 403, nothing sent", async () => {
    const answer = await isolate().proxy(poll(SHOP_KEY, ADMIN), env);
    expect(answer.status).toBe(403);
    expect(await answer.json()).toMatchObject({ error: "forbidden", rule: "origins", key_id: "shop" });
    expect(corsHeaders(answer)).toEqual([]);
    expect(await sent()).toBe(0);
  });

  it("the same key without Origin (a server): sent, without CORS headers", async () => {
    const answer = await isolate().proxy(poll(SHOP_KEY), env);
    expect(answer.status).toBeLessThan(300);
    expect(corsHeaders(answer)).toEqual([]);
  });

  // The sandbox, like a gateway might, answers `Access-Control-Allow-Origin: *`: the edge must not pass it on.
  it("keys without origins: no CORS headers from any origin (K2's own are dropped), and requests as before", async () => {
    const { proxy } = isolate();
    for (const [key, origin] of [
      [PLAIN_KEY, SHOP],
      [KEY, SHOP],
    ] as const) {
      const answer = await proxy(poll(key, origin), env);
      expect(answer.status).toBeLessThan(300);
      expect(corsHeaders(answer)).toEqual([]);
    }
  });

  it("refusals are readable by the page: a 429 carries the origin and exposes Retry-After", async () => {
    const { proxy } = isolate();
    const first = await proxy(poll(ADMIN_KEY, ADMIN), env);
    const second = await proxy(poll(ADMIN_KEY, ADMIN), env);
    expect([first.status < 300, second.status]).toEqual([true, 429]);
    expect(second.headers.get("access-control-allow-origin")).toBe(ADMIN);
    expect(second.headers.get("access-control-expose-headers")).toContain("Retry-After");
    expect(second.headers.get("retry-after")).not.toBeNull();
  });

  it("the ledger's reads are preflighted and answered for a listed origin like the events", async () => {
    const preflighted = await isolate().proxy(preflightTo("/payments", SHOP, "GET"), env);
    expect(preflighted.status).toBe(204);
    expect(preflighted.headers.get("access-control-allow-methods")).toBe("GET, HEAD");
    const answer = await isolate().proxy(proxyRequest("/payments", { key: SHOP_KEY, headers: { origin: SHOP } }), env);
    expect(answer.status).toBe(200);
    expect(answer.headers.get("access-control-allow-origin")).toBe(SHOP);
  });

  it("the events route answers a listed origin with CORS headers", async () => {
    const answer = await isolate().proxy(proxyRequest("/k2/events", { key: SHOP_KEY, headers: { origin: SHOP } }), env);
    expect(answer.status).toBe(200);
    expect(answer.headers.get("access-control-allow-origin")).toBe(SHOP);
  });
});
