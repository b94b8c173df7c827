/**
 * Creates and status reads at their edges: which answers count as created, which locations are
 * followed, and the typed errors for everything else.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  cancelPaymentLink,
  createStkPush,
  getSendMoneyStatus,
  getStkPushStatus,
  type K2Connection,
} from "../../src/api/index.ts";
import { InvalidInputError, K2ApiError, K2Client, UnexpectedResponseError } from "../../src/index.ts";
import { DEV_CLIENT } from "../../sandbox/credentials.ts";
import { K2Sandbox } from "../../sandbox/server.ts";
import { stkPush } from "../../sandbox/samples.ts";

let server: K2Sandbox;
let k2: K2Client;
beforeAll(async () => {
  server = await new K2Sandbox().listen();
  k2 = new K2Client({ ...DEV_CLIENT, baseUrl: server.url, retryBaseDelayMs: 1 });
});
afterAll(() => server.close());
beforeEach(() => server.reset());

const apiRequests = () => server.requests.filter((request) => !request.path.startsWith("/oauth"));

describe("a create", () => {
  it("counts any 2xx with a Location, and resolves a relative one against the request", async () => {
    server.inject("/api/v2/incoming_payments", {
      status: 200,
      headers: { location: "/api/v2/incoming_payments/abc-123" },
    });
    expect(await createStkPush(k2, stkPush)).toBe(`${server.url}/api/v2/incoming_payments/abc-123`);
  });

  it("without a Location is an UnexpectedResponseError", async () => {
    server.inject("/api/v2/incoming_payments", { status: 201 });
    const error = await createStkPush(k2, stkPush).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnexpectedResponseError);
    expect(error).toMatchObject({ status: 201, message: expect.stringContaining("named no Location") });
  });

  it("refused by K2 is a K2ApiError with K2's messages", async () => {
    const body = JSON.stringify({
      error_code: 400,
      error_message: ["Till number is not active", "Amount is too large"],
    });
    server.inject("/api/v2/incoming_payments", { status: 400, headers: { "content-type": "application/json" }, body });
    const error = await createStkPush(k2, stkPush).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(K2ApiError);
    expect(error).toMatchObject({ status: 400, messages: ["Till number is not active", "Amount is too large"] });
  });

  it("after a 401 on an expired token is replayed once with the same body", async () => {
    await k2.getAccessToken();
    server.expireAllTokens();
    await createStkPush(k2, stkPush);
    const attempts = server.requestsTo("/api/v2/incoming_payments");
    expect(attempts).toHaveLength(2);
    expect(attempts[1].body).toBe(attempts[0].body);
  });

  it("honours an AbortSignal", async () => {
    const error = await createStkPush(k2, stkPush, { signal: AbortSignal.abort(new Error("stop")) }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ message: "stop" });
    expect(apiRequests()).toEqual([]);
  });
});

describe("a status read", () => {
  for (const location of [
    "https://evil.example/api/v2/incoming_payments/x",
    "//evil.example/api/v2/incoming_payments/x",
    "http://127.0.0.1:1/api/v2/incoming_payments/x",
  ]) {
    it(`refuses ${location} before sending anything`, async () => {
      const error = await getStkPushStatus(k2, location).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidInputError);
      expect((error as Error).message).toContain(`the token is only sent to ${server.url}`);
      expect(server.requests).toEqual([]);
      await expect(cancelPaymentLink(k2, location)).rejects.toBeInstanceOf(InvalidInputError);
      expect(server.requests).toEqual([]);
    });
  }

  it("refuses an empty location", async () => {
    await expect(getStkPushStatus(k2, "")).rejects.toBeInstanceOf(InvalidInputError);
    expect(server.requests).toEqual([]);
  });

  it("of another resource's location is an UnexpectedResponseError naming both types", async () => {
    const location = await createStkPush(k2, stkPush);
    const error = await getSendMoneyStatus(k2, location).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnexpectedResponseError);
    expect((error as Error).message).toContain('data.type "incoming_payment" where "send_money" was expected');
  });

  it("of an unknown resource is K2's 404 as a K2ApiError", async () => {
    await expect(getStkPushStatus(k2, "00000000-0000-0000-0000-000000000000")).rejects.toMatchObject({
      name: "K2ApiError",
      status: 404,
    });
  });

  for (const [what, body] of [
    ["HTML from a gateway", "<html>502</html>"],
    ["JSON without data", '{"status":"ok"}'],
    ["data without attributes", '{"data":{"id":"x","type":"incoming_payment"}}'],
  ] as const) {
    it(`answered with ${what} is an UnexpectedResponseError`, async () => {
      server.inject("/api/v2/incoming_payments/abc", { status: 200, body });
      const error = await getStkPushStatus(k2, "abc").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnexpectedResponseError);
      expect(error).toMatchObject({ status: 200, excerpt: body });
    });
  }
});

describe("any connection", () => {
  it("works with a plain object holding a baseUrl and an authenticated fetch", async () => {
    const token = await k2.getAccessToken();
    const seen: string[] = [];
    const connection: K2Connection = {
      baseUrl: server.url,
      fetch: (url, init) => {
        seen.push(`${init.method} ${url}`);
        const headers = new Headers(init.headers);
        headers.set("authorization", `Bearer ${token}`);
        return fetch(url, { ...init, headers });
      },
    };
    const location = await createStkPush(connection, stkPush);
    const status = await getStkPushStatus(connection, location);
    expect(status.data.type).toBe("incoming_payment");
    expect(seen).toEqual([`POST ${server.url}/api/v2/incoming_payments`, `GET ${location}`]);
  });
});
