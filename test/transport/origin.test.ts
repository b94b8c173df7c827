/**
 * The one origin guard, through every caller that sends a token or a secret: one table of hostile
 * URLs (test/support/hostile-urls.ts) for `k2.fetch`, `k2.request`, the K2 API calls, Copper's
 * `apiFetch`, and the base URLs each client is configured with. The Worker's `K2_BASE_URL` reads
 * the same table in the Worker's settings (test/worker/common/k2-settings.node.test.ts). Nothing may be sent for any row.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { cancelPaymentLink, getStkPushStatus } from "../../src/api/index.ts";
import { copper, InvalidInputError, K2Client, OAuth2Client } from "../../src/index.ts";
import { checkedOrigin, checkedUrl, originGuard } from "../../src/transport/origin.ts";
import { HOSTILE_BASES, HOSTILE_TARGETS } from "../support/hostile-urls.ts";

let server: Server;
let origin: string;
let received: string[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    received.push(`${request.method} ${request.url}`);
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify({ access_token: "t", token_type: "Bearer", expires_in: 3600 }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  received = [];
});

/** Every caller that sends a token to a target URL, against a base on the local server. */
const targetCallers: [string, (target: string) => Promise<unknown>][] = [
  ["k2.fetch", (target) => new K2Client({ clientId: "id", clientSecret: "secret", baseUrl: origin }).fetch(target)],
  ["k2.request", (target) => new K2Client({ clientId: "id", clientSecret: "secret", baseUrl: origin }).request(target)],
  [
    "getStkPushStatus",
    (target) => getStkPushStatus(new K2Client({ clientId: "id", clientSecret: "secret", baseUrl: origin }), target),
  ],
  [
    "cancelPaymentLink",
    (target) => cancelPaymentLink(new K2Client({ clientId: "id", clientSecret: "secret", baseUrl: origin }), target),
  ],
  [
    "copper apiFetch",
    (target) =>
      copper({
        clientId: "id",
        clientSecret: "secret",
        redirectUri: "https://app.example/cb",
        apiBaseUrl: `${origin}/developer_api/v1/`,
      }).apiFetch("a-user-token", target),
  ],
];

describe("a request carrying a token", () => {
  for (const [caller, call] of targetCallers) {
    for (const row of HOSTILE_TARGETS) {
      it(`${caller} refuses ${JSON.stringify(row.url)} (${row.why}), sending nothing`, async () => {
        const error = await call(row.url).then(
          () => expect.unreachable("accepted"),
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(InvalidInputError);
        expect(received).toEqual([]);
      });
    }
  }

  it("the guard resolves paths below the base, with or without the leading slash", () => {
    expect(originGuard("https://api.example/v1/")("people")).toBe("https://api.example/v1/people");
    expect(originGuard("https://api.example/v1/")("/people")).toBe("https://api.example/v1/people");
    expect(originGuard("https://api.example/v1")("people")).toBe("https://api.example/v1/people");
    expect(originGuard("https://api.example")("/api/v2/x?y=1")).toBe("https://api.example/api/v2/x?y=1");
    expect(originGuard("https://api.example")("https://api.example/other")).toBe("https://api.example/other");
    expect(originGuard("https://api.example")(new URL("https://api.example/u"))).toBe("https://api.example/u");
  });

  it("joins a plain path exactly as the URL parser would resolve it", () => {
    const targets = ["people", "/api/v2/x", "api/v2/x_1/cancel", "/x?", "/x?page=2&per_page=10", "/x?q=%41+b~.-_"];
    for (const base of ["https://api.example", "https://api.example/v1/", "http://127.0.0.1:8788/v1"])
      for (const target of targets) {
        const root = new URL(base);
        if (!root.pathname.endsWith("/")) root.pathname += "/";
        expect(originGuard(base)(target), `${base} ${target}`).toBe(new URL(target.replace(/^\//, ""), root).href);
      }
  });
});

describe("a configured base URL", () => {
  const baseCallers: [string, (base: string) => unknown][] = [
    ["K2Client baseUrl", (base) => new K2Client({ clientId: "id", clientSecret: "secret", baseUrl: base })],
    [
      "OAuth2Client tokenEndpoint",
      (base) => new OAuth2Client({ clientId: "id", clientSecret: "s", tokenEndpoint: base }),
    ],
    [
      "OAuth2Client revocationEndpoint",
      (base) =>
        new OAuth2Client({
          clientId: "id",
          clientSecret: "s",
          tokenEndpoint: "https://a.example/t",
          revocationEndpoint: base,
        }),
    ],
    [
      "copper apiBaseUrl",
      (base) =>
        copper({ clientId: "id", clientSecret: "secret", redirectUri: "https://app.example/cb", apiBaseUrl: base }),
    ],
    ["checkedOrigin", (base) => checkedOrigin("K2_BASE_URL", base)],
  ];
  for (const [caller, make] of baseCallers) {
    for (const row of HOSTILE_BASES) {
      it(`${caller} refuses ${JSON.stringify(row.url)} (${row.why}), naming the setting and not the value`, () => {
        let error: unknown;
        try {
          make(row.url);
        } catch (caught) {
          error = caught;
        }
        expect(error).toBeInstanceOf(InvalidInputError);
        if (row.url.trim().length > 3) expect((error as Error).message).not.toContain(row.url.trim());
      });
    }
  }

  it("accepts https anywhere and plain http to loopback hosts only", () => {
    for (const base of [
      "https://sandbox.kopokopo.com",
      "http://localhost:8788",
      "http://127.0.0.1:9",
      "http://127.1.2.3",
      "http://[::1]:8",
    ]) {
      expect(checkedUrl("base", base).origin).toBe(new URL(base).origin);
    }
    expect(() => checkedOrigin("K2_BASE_URL", "https://sandbox.kopokopo.com/api")).toThrow(/origin only/);
  });
});
