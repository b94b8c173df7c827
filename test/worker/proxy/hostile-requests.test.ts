import { beforeAll, describe, expect, it } from "vitest";
import { baseEnv, isolate, KEY } from "../support/harness.ts";
import { TEST_PROXY_KEYS } from "../support/keys.ts";
import { upstream } from "../support/sandbox-control.ts";

interface Hostile {
  name: string;
  url: string; // everything after the proxy's origin, as sent
  init?: RequestInit;
  authorization?: string | null; // default: a valid key
  status: number;
}

const valid = `Bearer ${KEY}`;
const oversized = "x".repeat(1024 * 1024 + 1);

const table: Hostile[] = [
  // K2's token endpoints are never reached, whatever the spelling: the edge answers its own
  // (edge-oauth/), where a proxy key as a bearer is neither client credentials nor an edge token.
  { name: "token endpoint", url: "/oauth/token", init: { method: "POST" }, status: 401 },
  { name: "revoke endpoint", url: "/oauth/revoke", init: { method: "POST" }, status: 401 },
  { name: "introspect endpoint", url: "/oauth/introspect", init: { method: "POST" }, status: 401 },
  { name: "token info", url: "/oauth/token/info", status: 401 },
  // Resolved by the URL parser to the edge's own token endpoint, which answers as above.
  { name: "dot-dot to the token endpoint", url: "/api/v1/../../oauth/token", init: { method: "POST" }, status: 401 },
  { name: "encoded dot-dot", url: "/api/v1/%2e%2e/%2e%2e/oauth/token", init: { method: "POST" }, status: 401 },
  {
    name: "double-encoded dot-dot",
    url: "/api/v1/%252e%252e/%252e%252e/oauth/token",
    init: { method: "POST" },
    status: 404,
  },
  { name: "mixed dot-dot", url: "/api/v1/.%2e/oauth/token", status: 404 },
  { name: "encoded slashes after dot-dot", url: "/api/v1/incoming_payments/..%2f..%2foauth%2ftoken", status: 404 },
  { name: "double-encoded slash", url: "/api/v2/incoming_payments/%252F..%252Foauth", status: 404 },
  { name: "single encoded dot segment", url: "/api/v1/%2e", status: 404 },
  { name: "double-encoded dot segment", url: "/api/v1/%252e", status: 404 },
  // Other hosts, by every path trick.
  { name: "protocol-relative path", url: "//evil.example/api/v1/incoming_payments", status: 404 },
  { name: "backslash host", url: "/\\evil.example/api/v1/incoming_payments", status: 404 },
  { name: "empty segment host", url: "/api/v1//evil.example/x", status: 404 },
  { name: "encoded double slash", url: "/api/v1/%2f%2fevil.example/x", status: 404 },
  { name: "encoded backslashes", url: "/api/v1/%5c%5cevil.example/x", status: 404 },
  { name: "double-encoded backslash", url: "/api/v1/%255cevil.example", status: 404 },
  { name: "absolute URL in the path", url: "/api/v1/https://evil.example/x", status: 404 },
  { name: "encoded absolute URL", url: "/api/v1/http:%2f%2fevil.example", status: 404 },
  { name: "user-info in the path", url: "/api/v1/user:pass@evil.example/x", status: 404 },
  { name: "at-sign host", url: "/api/v1/@evil.example", status: 404 },
  { name: "encoded at-sign", url: "/api/v1/%40evil.example", status: 404 },
  { name: "NUL byte", url: "/api/v1/incoming_payments%00", status: 404 },
  {
    name: "CRLF header injection in the path",
    url: "/api/v1/incoming_payments%0d%0aHost:%20evil.example",
    status: 404,
  },
  { name: "semicolon path parameter", url: "/api/v2/incoming_payments;evil", status: 404 },
  { name: "unknown API version", url: "/api/v3/incoming_payments", status: 404 },
  { name: "bare version", url: "/api/v1", status: 404 },
  { name: "version with trailing slash", url: "/api/v1/", status: 404 },
  { name: "upper-case prefix", url: "/API/v1/incoming_payments", status: 404 },
  { name: "root", url: "/", status: 404 },
  // Callers without the right key.
  { name: "no Authorization", url: "/api/v1/incoming_payments", authorization: null, status: 401 },
  {
    name: "wrong key of the same length",
    url: "/api/v1/incoming_payments",
    authorization: `Bearer ${"x".repeat(KEY.length)}`,
    status: 401,
  },
  {
    name: "key one character short",
    url: "/api/v1/incoming_payments",
    authorization: `Bearer ${KEY.slice(0, -1)}`,
    status: 401,
  },
  { name: "key one character long", url: "/api/v1/incoming_payments", authorization: `Bearer ${KEY}x`, status: 401 },
  { name: "empty bearer", url: "/api/v1/incoming_payments", authorization: "Bearer ", status: 401 },
  {
    name: "key as Basic credentials",
    url: "/api/v1/incoming_payments",
    authorization: `Basic ${btoa(`${KEY}:`)}`,
    status: 401,
  },
  { name: "key without scheme", url: "/api/v1/incoming_payments", authorization: KEY, status: 401 },
  {
    name: "two credentials in one header",
    url: "/api/v1/incoming_payments",
    authorization: `Bearer wrong, Bearer ${KEY}`,
    status: 401,
  },
  {
    name: "both rotated keys joined",
    url: "/api/v1/incoming_payments",
    authorization: `Bearer ${TEST_PROXY_KEYS.join(",")}`,
    status: 401,
  },
  { name: "key in the query only", url: `/api/v1/incoming_payments?key=${KEY}`, authorization: null, status: 401 },
  {
    name: "key in a cookie only",
    url: "/api/v1/incoming_payments",
    authorization: null,
    init: { headers: { cookie: `key=${KEY}` } },
    status: 401,
  },
  {
    name: "unauthenticated token endpoint",
    url: "/oauth/token",
    authorization: null,
    init: { method: "POST" },
    status: 401,
  },
  { name: "unauthenticated traversal", url: "/healthz/../api/v1/incoming_payments", authorization: null, status: 401 },
  // Bodies and methods.
  {
    name: "oversized body with Content-Length",
    url: "/api/v2/incoming_payments",
    init: { method: "POST", body: oversized },
    status: 413,
  },
  {
    name: "oversized chunked body without Content-Length",
    url: "/api/v2/incoming_payments",
    init: { method: "POST", body: new Blob([oversized]).stream(), duplex: "half" } as RequestInit,
    status: 413,
  },
  {
    name: "lying Content-Length",
    url: "/api/v2/incoming_payments",
    init: { method: "POST", body: oversized, headers: { "content-length": "10" } },
    status: 413,
  },
  { name: "OPTIONS", url: "/api/v2/incoming_payments", init: { method: "OPTIONS" }, status: 405 },
  { name: "TRACE", url: "/api/v2/incoming_payments", init: { method: "TRACE" }, status: 405 },
];

describe("hostile requests", () => {
  let outcomes: { name: string; status: number }[];
  let recorded: Awaited<ReturnType<typeof upstream.requests>>;

  beforeAll(async () => {
    await upstream.reset();
    const { proxy } = isolate();
    outcomes = [];
    for (const hostile of table) {
      const headers = new Headers(hostile.init?.headers);
      const authorization = hostile.authorization === undefined ? valid : hostile.authorization;
      if (authorization !== null) headers.set("authorization", authorization);
      let request: Request;
      try {
        request = new Request(`https://proxy.example${hostile.url}`, { ...hostile.init, headers });
      } catch (error) {
        // The runtime itself refused to build it: it cannot reach the proxy either.
        outcomes.push({ name: hostile.name, status: -1 });
        continue;
      }
      outcomes.push({ name: hostile.name, status: (await proxy(request, baseEnv)).status });
    }
    recorded = await upstream.requests();
  });

  it("has at least 40 cases", () => {
    expect(table.length).toBeGreaterThanOrEqual(40);
  });

  for (const hostile of table) {
    it(`${hostile.name}: ${hostile.status}`, () => {
      expect(outcomes.find((outcome) => outcome.name === hostile.name)?.status).toBe(hostile.status);
    });
  }

  it("let nothing reach K2: no API call, no token request, no other path", () => {
    expect(recorded).toEqual([]);
  });
});
