/**
 * A payment's life end to end in Node: created with K2Client, it ends after the sandbox's delay
 * with the outcome its test number chooses, the signed result reaches a local receiver (verified
 * and typed by verifyWebhookSignature and parseWebhook), failed deliveries are retried, and the
 * webhooks of the subscriptions fire.
 */
import { afterEach, describe, expect, it } from "vitest";
import { parseWebhook } from "../../src/api/index.ts";
import { K2Client, verifyWebhookSignature } from "../../src/index.ts";
import { DEV_API_KEY, DEV_CLIENT } from "../../sandbox/credentials.ts";
import { TEST_PHONE_NUMBERS } from "../../sandbox/outcomes.ts";
import { K2Sandbox, type K2SandboxOptions } from "../../sandbox/server.ts";
import { eventually, startReceiver, type Received, type Receiver } from "./support.ts";

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((server) => server.close()));
});

async function setup(options: K2SandboxOptions = {}, statuses: number[] = []) {
  const sandbox = await new K2Sandbox({ processingDelayMs: 5, callbackBackoffMs: 5, ...options }).listen();
  const receiver = await startReceiver(statuses);
  open.push(sandbox, receiver);
  const k2 = new K2Client({ ...DEV_CLIENT, baseUrl: sandbox.url });
  return { sandbox, receiver, k2 };
}

const stkPush = (receiver: Receiver, phone_number = "+254712345678") => ({
  payment_channel: "M-PESA STK Push",
  till_number: "K000000",
  subscriber: { first_name: "Jane", last_name: "Doe", phone_number, email: "jane@example.com" },
  amount: { currency: "KES", value: "250.00" },
  metadata: { order: "42" },
  _links: { callback_url: `${receiver.url}/k2/result` },
});

async function create(k2: K2Client, path: string, body: unknown): Promise<string> {
  const response = await k2.fetch(path, { method: "POST", body: JSON.stringify(body) });
  expect(response.status).toBe(201);
  return response.headers.get("location")!;
}

/** What a receiver does with a delivery: check the signature over the raw body, then parse it. */
async function verified(delivery: Received) {
  const signature = delivery.headers["x-kopokopo-signature"] as string;
  expect(signature).toMatch(/^[0-9a-f]{64}$/);
  expect(await verifyWebhookSignature(delivery.body, signature, DEV_API_KEY)).toBe(true);
  expect(await verifyWebhookSignature(delivery.body, signature, "another-api-key")).toBe(false);
  expect(delivery.headers["content-type"]).toBe("application/json");
  return parseWebhook(delivery.body, signature, DEV_API_KEY);
}

describe("an STK push's lifecycle", () => {
  it("goes from Pending to Success, posts the signed result to the callback URL, and the status shows it", async () => {
    const { sandbox, receiver, k2 } = await setup();
    const location = await create(k2, "/api/v2/incoming_payments", stkPush(receiver));
    const [delivery] = await receiver.until(1);

    expect(delivery.path).toBe("/k2/result");
    const notification = await verified(delivery);
    if (notification.kind !== "result" || notification.type !== "incoming_payment") throw new Error(notification.kind);
    const { data } = notification.payload;
    expect(data.id).toBe(location.split("/").at(-1));
    expect(data.attributes.status).toBe("Success");
    expect(data.attributes.event).toMatchObject({
      type: "Incoming Payment Request",
      errors: null,
      resource: { status: "Received", amount: "250.0", sender_phone_number: "+254712345678", till_number: "K000000" },
    });
    expect(data.attributes._links).toEqual({ callback_url: `${receiver.url}/k2/result`, self: location });

    const status = await (await k2.fetch(location)).json();
    expect(status.data.attributes.status).toBe("Success");
    expect(status.data.attributes.event.resource).toEqual(data.attributes.event?.resource);
    expect(sandbox.deliveries).toMatchObject([
      {
        kind: "result",
        topic: "incoming_payment",
        url: `${receiver.url}/k2/result`,
        state: "delivered",
        attempts: [{ status: 200 }],
      },
    ]);
    expect(sandbox.deliveries[0]!.body).toBe(delivery.body);
  });

  const failures = Object.entries(TEST_PHONE_NUMBERS).filter(
    ([, outcome]) => outcome.status === "Failed" && outcome.callback !== false,
  );
  it.each(failures)("fails as K2 documents for test number %s", async (phone, outcome) => {
    const { receiver, k2 } = await setup();
    // Any spelling of the number chooses the same outcome.
    const location = await create(k2, "/api/v2/incoming_payments", stkPush(receiver, `0${phone.slice(3)}`));
    const notification = await verified((await receiver.until(1))[0]!);
    if (notification.kind !== "result" || notification.type !== "incoming_payment") throw new Error(notification.kind);
    expect(notification.payload.data.attributes).toMatchObject({
      status: "Failed",
      event: { type: "Incoming Payment Request", resource: null, errors: outcome.errors },
    });
    expect(typeof notification.payload.data.attributes.event?.errors).toBe("string");
    expect((await (await k2.fetch(location)).json()).data.attributes.status).toBe("Failed");
  });

  it("stays Pending until the delay has passed", async () => {
    const { receiver, k2 } = await setup({ processingDelayMs: 60_000 });
    const location = await create(k2, "/api/v2/incoming_payments", stkPush(receiver));
    expect((await (await k2.fetch(location)).json()).data.attributes.status).toBe("Pending");
    expect(receiver.received).toEqual([]);
  });
});

describe("test numbers whose callback is lost", () => {
  for (const [phone, status] of [
    ["254700000007", "Success"],
    ["254700000008", "Failed"],
  ] as const) {
    it(`${phone}: the payment ends ${status}, no result is posted, and only the status tells`, async () => {
      const { sandbox, receiver, k2 } = await setup();
      const location = await create(k2, "/api/v2/incoming_payments", stkPush(receiver, `+${phone}`));
      await sandbox.idle();
      expect((await (await k2.fetch(location)).json()).data.attributes.status).toBe(status);
      expect(sandbox.deliveries.filter((delivery) => delivery.kind === "result")).toEqual([]);
      expect(receiver.received).toEqual([]);
    });
  }
});

describe("delivery", () => {
  it("retries a receiver that failed twice, with the same signed body, then stops", async () => {
    const { sandbox, receiver, k2 } = await setup({}, [500, 503]);
    await create(k2, "/api/v2/incoming_payments", stkPush(receiver));
    const deliveries = await receiver.until(3);
    await sandbox.idle();

    expect(new Set(deliveries.map((delivery) => delivery.body)).size).toBe(1);
    expect(new Set(deliveries.map((delivery) => delivery.headers["x-kopokopo-signature"])).size).toBe(1);
    expect((await verified(deliveries[2]!)).kind).toBe("result");
    expect(sandbox.deliveries).toMatchObject([
      { state: "delivered", attempts: [{ status: 500 }, { status: 503 }, { status: 200 }] },
    ]);
    expect(receiver.received).toHaveLength(3);
  });

  it("gives up after the configured number of retries, on error statuses and on refused connections", async () => {
    const { sandbox, receiver, k2 } = await setup({ callbackRetries: 2 }, [500, 500, 500, 500]);
    await create(k2, "/api/v2/incoming_payments", stkPush(receiver));
    const closed = await startReceiver();
    await closed.close();
    await create(k2, "/api/v2/reversals", {
      transaction_reference: "OJM6Q1W84K",
      reason: "Twice",
      _links: { callback_url: `${closed.url}/gone` },
    });
    await sandbox.idle();

    expect(receiver.received).toHaveLength(3);
    const [stk, reversal] = sandbox.deliveries;
    expect(stk).toMatchObject({ state: "failed", attempts: [{ status: 500 }, { status: 500 }, { status: 500 }] });
    expect(reversal).toMatchObject({ topic: "reversal", state: "failed" });
    expect(reversal!.attempts).toEqual([
      { error: "ECONNREFUSED" },
      { error: "ECONNREFUSED" },
      { error: "ECONNREFUSED" },
    ]);
  });

  it("close() drops pending payments and retries", async () => {
    const { sandbox, receiver, k2 } = await setup({ callbackBackoffMs: 60_000 }, [500]);
    await create(k2, "/api/v2/incoming_payments", stkPush(receiver));
    await receiver.until(1);
    await eventually(() => sandbox.deliveries[0]?.attempts.length === 1);
    await sandbox.close();
    await sandbox.idle(); // nothing left waiting: this resolves at once
    expect(sandbox.deliveries[0]).toMatchObject({ state: "failed", attempts: [{ status: 500 }] });
  });

  it("posts results for every resource that has a callback URL", async () => {
    const { sandbox, receiver, k2 } = await setup();
    const callback = { callback_url: `${receiver.url}/k2/result` };
    const window = { from_time: "2000-01-01T00:00:00Z", to_time: "2100-01-01T00:00:00Z" };
    const bodies: [string, object][] = [
      ["/api/v2/send_money", { currency: "KES", destinations: [], _links: callback }],
      [
        "/api/v1/payments",
        {
          destination_type: "till",
          destination_reference: "r",
          amount: { currency: "KES", value: 5 },
          description: "x",
          _links: callback,
        },
      ],
      ["/api/v1/settlement_transfers", { _links: callback }],
      ["/api/v2/polling", { scope: "company", ...window, _links: callback }],
      ["/api/v2/payment_links", { till_number: "K000000", currency: "KES", amount: 100, _links: callback }],
      ["/api/v2/reversals", { transaction_reference: "OJM6Q1W84K", reason: "x", _links: callback }],
      ["/api/v1/transaction_sms_notifications", { webhook_event_reference: "e", message: "m", _links: callback }],
    ];
    for (const [path, body] of bodies) await create(k2, path, body);
    const received = await receiver.until(bodies.length);
    await sandbox.idle();
    const types = await Promise.all(
      received.map(async (delivery) => (await verified(delivery)) as { kind: string; type: string }),
    );
    expect(types.map(({ kind }) => kind)).toEqual(Array(bodies.length).fill("result"));
    expect(types.map(({ type }) => type).sort()).toEqual([
      "payment",
      "payment_link",
      "polling",
      "reversal",
      "send_money",
      "settlement_transfer",
      "transaction_sms_notification",
    ]);
    const link = received
      .map((delivery) => JSON.parse(delivery.body))
      .find((body) => body.data.type === "payment_link");
    expect(link.data.attributes.payment_link).toMatchObject({
      status: "Paid",
      link: expect.stringMatching(/^https:\/\//),
      transaction_reference: expect.any(String),
      sender_phone_number: expect.any(Number),
    });
  });

  it("marks a failing wallet destination of send money Failed with its errors", async () => {
    const { receiver, k2 } = await setup();
    const destination = (phone_number: string) => ({
      type: "mobile_wallet",
      phone_number,
      network: "Safaricom",
      amount: 10,
      description: "x",
    });
    await create(k2, "/api/v2/send_money", {
      currency: "KES",
      destinations: [destination("254712345678"), destination("254700000001")],
      _links: { callback_url: `${receiver.url}/k2/result` },
    });
    const { data } = JSON.parse((await receiver.until(1))[0]!.body);
    expect(data.attributes.status).toBe("Processed");
    expect(data.attributes.transfer_batches[0].disbursements.map((item: { status: string }) => item.status)).toEqual([
      "Transferred",
      "Failed",
    ]);
    expect(data.attributes.errors).toEqual([TEST_PHONE_NUMBERS["254700000001"]!.errors]);
  });
});

describe("webhooks", () => {
  async function subscribe(k2: K2Client, event_type: string, url: string, scope: object) {
    return create(k2, "/api/v2/webhook_subscriptions", { event_type, url, ...scope });
  }

  it("a successful STK push fires buygoods_transaction_received (and customer_created) to the subscribers of that topic and till", async () => {
    const { sandbox, receiver, k2 } = await setup();
    await subscribe(k2, "buygoods_transaction_received", `${receiver.url}/hooks/till`, {
      scope: "till",
      scope_reference: "K000000",
    });
    await subscribe(k2, "buygoods_transaction_received", `${receiver.url}/hooks/company`, {
      scope: "company",
      scope_reference: "",
    });
    await subscribe(k2, "buygoods_transaction_received", `${receiver.url}/hooks/other-till`, {
      scope: "till",
      scope_reference: "K999999",
    });
    await subscribe(k2, "customer_created", `${receiver.url}/hooks/customers`, {
      scope: "company",
      scope_reference: null,
    });
    await subscribe(k2, "b2b_transaction_received", `${receiver.url}/hooks/b2b`, { scope: "company" });

    await create(k2, "/api/v2/incoming_payments", stkPush(receiver));
    await receiver.until(4);
    await sandbox.idle();

    const byPath = new Map(receiver.received.map((delivery) => [delivery.path, delivery]));
    expect([...byPath.keys()].sort()).toEqual(["/hooks/company", "/hooks/customers", "/hooks/till", "/k2/result"]);
    const result = JSON.parse(byPath.get("/k2/result")!.body);
    for (const path of ["/hooks/till", "/hooks/company"]) {
      const webhook = await verified(byPath.get(path)!);
      if (webhook.kind !== "webhook" || webhook.topic !== "buygoods_transaction_received")
        throw new Error(webhook.kind);
      expect(webhook.payload).toMatchObject({
        topic: "buygoods_transaction_received",
        id: expect.any(String),
        created_at: expect.any(String),
        event: {
          type: "Buygoods Transaction",
          resource: { reference: result.data.attributes.event.resource.reference, status: "Received" },
        },
        _links: { self: expect.stringContaining(sandbox.url), resource: expect.stringContaining(sandbox.url) },
      });
      expect(webhook.payload.event.resource.hashed_sender_phone).toMatch(/^[0-9a-f]{64}$/);
    }
    const customer = await verified(byPath.get("/hooks/customers")!);
    expect(customer).toMatchObject({
      kind: "webhook",
      topic: "customer_created",
      payload: { event: { resource: { phone_number: "+254712345678" } } },
    });
  });

  it("a failed STK push fires no webhook", async () => {
    const { sandbox, receiver, k2 } = await setup();
    await subscribe(k2, "buygoods_transaction_received", `${receiver.url}/hooks`, { scope: "company" });
    await create(k2, "/api/v2/incoming_payments", stkPush(receiver, "254700000002"));
    await receiver.until(1);
    await sandbox.idle();
    expect(receiver.received.map((delivery) => delivery.path)).toEqual(["/k2/result"]);
  });

  it("a subscription with enable_daraja_payload gets Safaricom's flat payload", async () => {
    const { sandbox, receiver, k2 } = await setup();
    await subscribe(k2, "buygoods_transaction_received", `${receiver.url}/daraja`, {
      scope: "till",
      scope_reference: "K000000",
      enable_daraja_payload: true,
    });
    await create(k2, "/api/v2/incoming_payments", stkPush(receiver));
    await receiver.until(2);
    await sandbox.idle();
    const daraja = await verified(receiver.received.find((delivery) => delivery.path === "/daraja")!);
    expect(daraja).toMatchObject({
      kind: "daraja",
      payload: {
        TransactionType: "Buygoods",
        TransAmount: "250.0",
        BusinessShortCode: "K000000",
        MSISDN: "254712345678",
      },
    });
    expect((daraja.payload as { TransTime: string }).TransTime).toMatch(/^\d{14}$/);
  });
});
