import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { K2Client, NetworkError } from "../../src/index.ts";
import { DEV_CLIENT } from "../../sandbox/credentials.ts";
import { K2Sandbox } from "../../sandbox/server.ts";

let server: K2Sandbox;
let clock: number;

beforeAll(async () => {
  clock = Date.UTC(2026, 10, 22, 12, 0, 0);
  server = await new K2Sandbox({ now: () => clock, createdAt: "unix" }).listen();
});
afterAll(() => server.close());
beforeEach(() => server.reset());

function client(extra: Partial<ConstructorParameters<typeof K2Client>[0]> = {}): K2Client {
  return new K2Client({ ...DEV_CLIENT, baseUrl: server.url, now: () => clock, retryBaseDelayMs: 1, ...extra });
}

describe("single flight", () => {
  it("makes exactly one token request for 1,000 concurrent callers on a cold cache", async () => {
    const k2 = client();
    const tokens = await Promise.all(Array.from({ length: 1000 }, () => k2.getAccessToken()));
    expect(new Set(tokens).size).toBe(1);
    expect(server.requestsTo("/oauth/token")).toHaveLength(1);
  });

  it("makes exactly one more after expiry, at the configured skew, without sleeping", async () => {
    const k2 = client({ expirySkewSeconds: 120 });
    const first = await k2.getAccessToken();

    clock += (3600 - 121) * 1000; // one second before the renewal point: still the same token
    expect(new Set(await Promise.all(Array.from({ length: 100 }, () => k2.getAccessToken())))).toEqual(
      new Set([first]),
    );
    expect(server.requestsTo("/oauth/token")).toHaveLength(1);

    clock += 1000; // at the renewal point, 120 s before expiry
    const renewed = await Promise.all(Array.from({ length: 1000 }, () => k2.getAccessToken()));
    expect(new Set(renewed).size).toBe(1);
    expect(renewed[0]).not.toBe(first);
    expect(server.requestsTo("/oauth/token")).toHaveLength(2);
  });

  it("renews 60 s early by default", async () => {
    const k2 = client();
    const first = await k2.getToken();
    clock = first.expiresAt - 61_000;
    expect(await k2.getAccessToken()).toBe(first.accessToken);
    clock = first.expiresAt - 60_000;
    expect(await k2.getAccessToken()).not.toBe(first.accessToken);
    expect(server.requestsTo("/oauth/token")).toHaveLength(2);
  });

  it("rejects every waiter with the same error, caches nothing, and tries again on the next call", async () => {
    const k2 = client({ retries: 0 });
    server.inject("/oauth/token", "drop");

    const results = await Promise.allSettled(Array.from({ length: 200 }, () => k2.getAccessToken()));

    const reasons = new Set(results.map((r) => (r.status === "rejected" ? r.reason : "fulfilled")));
    expect(reasons.size).toBe(1);
    expect([...reasons][0]).toBeInstanceOf(NetworkError);
    expect(server.requestsTo("/oauth/token")).toHaveLength(1);

    const token = await k2.getAccessToken();
    expect(token).toMatch(/.+/);
    expect(server.requestsTo("/oauth/token")).toHaveLength(2);
  });

  it("lets one caller's AbortSignal cancel only its own wait, never the shared request", async () => {
    const k2 = client({ timeoutMs: 5_000 });
    server.inject("/oauth/token", { status: 503, headers: { "retry-after": "0" } }); // slows the flight by one retry
    const controller = new AbortController();
    const impatient = k2.getAccessToken({ signal: controller.signal });
    const patient = Array.from({ length: 10 }, () => k2.getAccessToken());
    controller.abort(new Error("caller gave up"));

    await expect(impatient).rejects.toThrow("caller gave up");
    const tokens = await Promise.all(patient);
    expect(new Set(tokens).size).toBe(1);
    expect(server.requestsTo("/oauth/token")).toHaveLength(2); // the 503, then the retry
  });

  it("rejects at once for a signal that is already aborted, sending nothing", async () => {
    const k2 = client();
    await expect(k2.getAccessToken({ signal: AbortSignal.abort(new Error("too late")) })).rejects.toThrow("too late");
    expect(server.requestsTo("/oauth/token")).toHaveLength(0);
    expect(await k2.getAccessToken()).toMatch(/.+/);
    expect(server.requestsTo("/oauth/token")).toHaveLength(1);
  });
});
