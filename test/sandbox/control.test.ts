/**
 * The remote control under /__sandbox/ (docs/sandbox.md), driven over HTTP as tests inside
 * workerd and other processes drive it: the request log, reset, token expiry and revocation, fault
 * injection, settling a payment now, and triggering any webhook topic.
 */
import { afterEach, describe, expect, it } from "vitest";
import { parseWebhook } from "../../src/api/index.ts";
import { DEV_API_KEY, DEV_CLIENT } from "../../sandbox/credentials.ts";
import { TEST_PHONE_NUMBERS } from "../../sandbox/outcomes.ts";
import { WEBHOOK_TOPICS } from "../../sandbox/webhooks.ts";
import { startReceiver, startSandbox, type Started } from "./support.ts";

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((server) => server.close()));
});

async function sandbox(): Promise<Started> {
  const k2 = await startSandbox();
  open.push(k2.sandbox);
  return k2;
}

async function receiver() {
  const started = await startReceiver();
  open.push(started);
  return started;
}

function control(k2: Started, name: string, body?: unknown): Promise<Response> {
  return fetch(`${k2.sandbox.url}/__sandbox/${name}`, {
    method: body === undefined ? "GET" : "POST",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

const poll = (callback = "https://example.com/cb") => ({
  scope: "company",
  from_time: "2026-11-22T00:00:00Z",
  to_time: "2026-11-23T00:00:00Z",
  _links: { callback_url: callback },
});

describe("the request log and reset", () => {
  it("lists the requests received, not the control requests, and reset empties the log", async () => {
    const k2 = await sandbox();
    await k2.post("/api/v2/polling", poll());
    const requests = await (await control(k2, "requests")).json();
    expect(requests.map((request: { method: string; path: string }) => `${request.method} ${request.path}`)).toEqual([
      "POST /oauth/token",
      "POST /api/v2/polling",
    ]);
    expect(JSON.parse(requests[1].body)).toEqual(poll());
    expect((await control(k2, "reset", {})).status).toBe(200);
    expect(await (await control(k2, "requests")).json()).toEqual([]);
    expect(k2.sandbox.requests).toEqual([]);
  });

  it("reset keeps resources and tokens; reset with state forgets the resources", async () => {
    const k2 = await sandbox();
    const location = await k2.create("/api/v2/polling", poll());
    await control(k2, "reset", {});
    expect((await k2.read(location)).data.type).toBe("polling");
    await control(k2, "reset", { state: true });
    const gone = await fetch(location, { headers: { authorization: `Bearer ${k2.token}` } });
    expect(gone.status).toBe(404);
  });
});

describe("tokens", () => {
  it("expire: every token issued so far gets ExpiredAccessToken", async () => {
    const k2 = await sandbox();
    expect((await control(k2, "expire", {})).status).toBe(200);
    const response = await k2.post("/api/v2/polling", poll());
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error_code: 401, error_message: "ExpiredAccessToken" });
  });

  it("revoke: every token issued so far is revoked (InvalidAccessToken, inactive), new ones work", async () => {
    const k2 = await sandbox();
    expect((await control(k2, "revoke", {})).status).toBe(200);
    const response = await k2.post("/api/v2/polling", poll());
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error_code: 401, error_message: "InvalidAccessToken" });
    const introspection = await fetch(`${k2.sandbox.url}/oauth/introspect`, {
      method: "POST",
      body: new URLSearchParams({
        token: k2.token,
        client_id: DEV_CLIENT.clientId,
        client_secret: DEV_CLIENT.clientSecret,
      }),
    });
    expect(await introspection.json()).toEqual({ active: false });
    const fresh = await startSandbox();
    open.push(fresh.sandbox);
    fresh.sandbox.revokeAllTokens();
    expect((await fresh.post("/api/v2/polling", poll())).status).toBe(401);
  });
});

describe("inject", () => {
  it("queues faults for a path, used once each", async () => {
    const k2 = await sandbox();
    const inject = await control(k2, "inject", {
      path: "/api/v2/polling",
      faults: [{ status: 503, headers: { "retry-after": "1" }, body: "busy" }],
    });
    expect(inject.status).toBe(200);
    const faulted = await k2.post("/api/v2/polling", poll());
    expect(faulted.status).toBe(503);
    expect(faulted.headers.get("retry-after")).toBe("1");
    expect(await faulted.text()).toBe("busy");
    expect((await k2.post("/api/v2/polling", poll())).status).toBe(201);
    expect((await control(k2, "inject", { faults: [] })).status).toBe(400);
  });
});

describe("settle and outcomes", () => {
  it("settle ends a payment now; outcomes lists the test numbers", async () => {
    const k2 = await startSandbox({ processingDelayMs: Infinity, callbackRetries: 0 });
    open.push(k2.sandbox);
    const location = await k2.create("/api/v2/polling", poll("http://127.0.0.1:9/cb"));
    expect((await k2.read(location)).data.attributes.status).toBe("Pending");
    expect((await control(k2, "settle", { id: location.split("/").at(-1) })).status).toBe(200);
    expect((await k2.read(location)).data.attributes.status).toBe("Success");
    expect((await control(k2, "settle", { id: "nope" })).status).toBe(404);
    expect(await (await control(k2, "outcomes")).json()).toEqual(TEST_PHONE_NUMBERS);
  });
});

describe("trigger", () => {
  it.each(Object.keys(WEBHOOK_TOPICS))("sends a signed %s event that parseWebhook types", async (topic) => {
    const k2 = await sandbox();
    const hooks = await receiver();
    const answer = await control(k2, "trigger", { topic, url: `${hooks.url}/hooks` });
    expect(answer.status).toBe(200);
    const { event, deliveries } = await answer.json();
    expect(deliveries).toEqual([{ id: expect.any(String), url: `${hooks.url}/hooks` }]);
    const [delivery] = await hooks.until(1);
    expect(JSON.parse(delivery!.body)).toEqual(event);
    const notification = await parseWebhook(
      delivery!.body,
      delivery!.headers["x-kopokopo-signature"] as string,
      DEV_API_KEY,
    );
    expect(notification).toMatchObject({ kind: "webhook", topic });
    expect(event).toMatchObject({
      topic,
      id: expect.any(String),
      created_at: expect.stringMatching(/\+03:00$/),
      event: { type: WEBHOOK_TOPICS[topic]!.eventType, resource: expect.any(Object) },
      _links: { self: expect.any(String), resource: expect.any(String) },
    });
  });

  it("carries the documented resource fields, with overrides laid over them", async () => {
    const k2 = await sandbox();
    const hooks = await receiver();
    const sent = (topic: string, resource?: object) =>
      k2.sandbox.trigger(topic, { url: hooks.url, resource }).event.event.resource;
    expect(sent("b2b_transaction_reversed")).toMatchObject({
      status: "Reversed",
      sending_till: expect.any(String),
      till_number: "K000000",
    });
    expect(sent("buygoods_transaction_reversed")).toMatchObject({
      status: "Reversed",
      reversal_time: expect.any(String),
    });
    expect(sent("card_transaction_received")).toMatchObject({ customer_cc_number: expect.any(String), settled: false });
    expect(sent("settlement_transfer_completed")).toMatchObject({
      status: "Transferred",
      destination: { type: "Bank Account", resource: expect.any(Object) },
      disbursements: [expect.objectContaining({ status: "Transferred" })],
    });
    expect(Object.keys(sent("customer_created")).sort()).toEqual([
      "first_name",
      "last_name",
      "middle_name",
      "phone_number",
    ]);
    expect(sent("buygoods_transaction_received", { amount: "99.0", till_number: "K123456" })).toMatchObject({
      amount: "99.0",
      till_number: "K123456",
      status: "Received",
    });
    await hooks.until(6);
  });

  it("without a url, goes to every subscription to the topic", async () => {
    const k2 = await sandbox();
    const hooks = await receiver();
    for (const path of ["/a", "/b"])
      await k2.create("/api/v2/webhook_subscriptions", {
        event_type: "card_transaction_voided",
        url: `${hooks.url}${path}`,
        scope: "company",
      });
    const answer = await control(k2, "trigger", { topic: "card_transaction_voided" });
    expect((await answer.json()).deliveries).toHaveLength(2);
    const received = await hooks.until(2);
    expect(received.map((delivery) => delivery.path).sort()).toEqual(["/a", "/b"]);
    expect(received[0]!.body).toBe(received[1]!.body);
  });

  it("refuses an unknown topic, a bad url, and a topic nobody subscribed to", async () => {
    const k2 = await sandbox();
    for (const body of [
      { topic: "payment_received", url: "https://example.com" },
      { topic: "customer_created", url: "nope" },
      { topic: "customer_created" },
    ]) {
      const answer = await control(k2, "trigger", body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect((await answer.json()).error).toEqual(expect.any(String));
    }
    expect(k2.sandbox.deliveries).toEqual([]);
  });

  it("answers 404 for an unknown control path", async () => {
    const k2 = await sandbox();
    expect((await control(k2, "nothing", {})).status).toBe(404);
    expect((await control(k2, "nothing")).status).toBe(404);
  });
});
