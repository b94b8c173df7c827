/**
 * The header rules themselves (worker/proxy/forwarded-headers.ts), as pure functions: the
 * allow-list toward K2 and the hop-by-hop filter back to the caller. headers.test.ts checks them end
 * to end in workerd.
 */
import { describe, expect, it } from "vitest";
import {
  FORWARDED_REQUEST_HEADERS,
  requestHeadersForUpstream,
  responseHeadersForCaller,
} from "../../../worker/proxy/forwarded-headers.ts";

describe("requestHeadersForUpstream", () => {
  it("keeps exactly the allow-list the docs give", () => {
    expect([...FORWARDED_REQUEST_HEADERS].sort()).toEqual([
      "accept",
      "accept-language",
      "content-encoding",
      "content-language",
      "content-type",
      "if-match",
      "if-modified-since",
      "if-none-match",
      "if-unmodified-since",
      "user-agent",
    ]);
  });

  it("drops every header off the list, the caller's Authorization and the Idempotency-Key included", () => {
    const incoming = new Headers({
      authorization: "Bearer proxy-key-0000000000",
      "idempotency-key": "abc",
      "x-http-method-override": "DELETE",
      "x-forwarded-for": "203.0.113.9",
      cookie: "session=secret-cookie",
      "x-request-id": "caller-id",
      accept: "application/json",
    });
    expect([...requestHeadersForUpstream(incoming)]).toEqual([["accept", "application/json"]]);
  });

  it("drops an allowed header that Connection names as hop-by-hop", () => {
    const incoming = new Headers({
      connection: "Accept-Language, keep-alive",
      "accept-language": "sw-KE",
      "content-type": "application/json",
    });
    expect([...requestHeadersForUpstream(incoming)]).toEqual([["content-type", "application/json"]]);
  });
});

describe("responseHeadersForCaller", () => {
  it("passes K2's headers but the hop-by-hop ones, those Connection names and K2's own CORS grant", () => {
    const upstream = new Headers({
      connection: "x-k2-hop",
      "x-k2-hop": "1",
      "keep-alive": "timeout=5",
      "transfer-encoding": "chunked",
      "content-length": "10",
      "content-type": "application/json",
      location: "https://sandbox.kopokopo.com/api/v2/incoming_payments/1",
      "retry-after": "7",
      "access-control-allow-origin": "*",
      "access-control-allow-headers": "Authorization",
    });
    expect(Object.fromEntries(responseHeadersForCaller(upstream))).toEqual({
      "content-type": "application/json",
      location: "https://sandbox.kopokopo.com/api/v2/incoming_payments/1",
      "retry-after": "7",
    });
  });
});
