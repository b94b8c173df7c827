/**
 * Every body the sandbox sends is JSON as K2's Rails writes it (compact; `<`, `>`, `&` escaped as
 * `\u003c`, `\u003e`, `\u0026`), and a result or webhook is signed over exactly those bytes: so a
 * receiver that verifies re-serialised JSON, as the official Node SDK does, fails here as it
 * would against K2, while parseWebhook, which verifies the raw bytes, accepts.
 */
import { createHmac } from "node:crypto";
import { createRequire } from "node:module";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseWebhook } from "../../src/api/index.ts";
import { DEV_API_KEY, DEV_CLIENT } from "../../sandbox/credentials.ts";
import { startReceiver, startSandbox, type Receiver, type Started } from "./support.ts";

const NAME = "Jane <&> Doe";
const hmac = (body: string) => createHmac("sha256", DEV_API_KEY).update(body).digest("hex");

/** Written independently of the sandbox: what ActiveSupport's encoder makes of `value`. */
const asRails = (value: unknown) =>
  JSON.stringify(value).replaceAll("<", "\\u003c").replaceAll(">", "\\u003e").replaceAll("&", "\\u0026");

let k2: Started;
let receiver: Receiver;
beforeAll(async () => {
  k2 = await startSandbox({ processingDelayMs: Infinity, loopbackCallbacksOnly: true });
  receiver = await startReceiver();
});
afterAll(async () => {
  await k2.sandbox.close();
  await receiver.close();
});

describe("a webhook naming Jane <&> Doe", () => {
  let body: string;
  let signature: string;
  beforeAll(async () => {
    k2.sandbox.trigger("customer_created", { url: `${receiver.url}/k2/webhooks`, resource: { first_name: NAME } });
    const [received] = await receiver.until(1);
    body = received!.body;
    signature = received!.headers["x-kopokopo-signature"] as string;
  });

  it("arrives as Rails writes it, byte for byte what was recorded and signed", () => {
    expect(body).toContain('"first_name":"Jane \\u003c\\u0026\\u003e Doe"');
    expect(body).not.toMatch(/[<>&]/);
    expect(body).toBe(asRails(JSON.parse(body)));
    const [delivery] = k2.sandbox.deliveries;
    expect(body).toBe(delivery!.body);
    expect(signature).toBe(delivery!.signature);
    expect(signature).toBe(hmac(body));
  });

  it("fails a receiver that signs re-serialised JSON, and passes parseWebhook", async () => {
    expect(hmac(JSON.stringify(JSON.parse(body)))).not.toBe(signature);
    const notification = await parseWebhook(body, signature, DEV_API_KEY);
    expect(notification).toMatchObject({ kind: "webhook", topic: "customer_created" });
    expect(JSON.parse(body).event.resource.first_name).toBe(NAME);
  });

  it("fails the official Node SDK's webhook handler, which re-serialises", async () => {
    const k2ConnectNode = createRequire(import.meta.url)("k2-connect-node");
    const { Webhooks } = k2ConnectNode({ ...DEV_CLIENT, apiKey: DEV_API_KEY, baseUrl: k2.sandbox.url });
    let status = 0;
    const response = { status: (code: number) => ((status = code), { json: () => undefined }) };
    const request = { body: JSON.parse(body), get: () => signature };
    await expect(Webhooks.webhookHandler(request, response)).rejects.toMatch(/^401/);
    expect(status).toBe(401);
  });
});

describe("the sandbox's other bodies", () => {
  it("answers a status read as Rails writes it", async () => {
    const location = await k2.create("/api/v2/incoming_payments", {
      payment_channel: "M-PESA STK Push",
      till_number: "K000000",
      subscriber: { first_name: NAME, last_name: "Doe", phone_number: "+254712345678" },
      amount: { currency: "KES", value: "20" },
      metadata: { note: "a > b && c < d" },
      _links: { callback_url: `${receiver.url}/k2/result` },
    });
    const response = await fetch(location, { headers: { authorization: `Bearer ${k2.token}` } });
    const text = await response.text();
    expect(text).not.toMatch(/[<>&]/);
    expect(text).toBe(asRails(JSON.parse(text)));
    expect(JSON.parse(text).data.attributes.metadata.note).toBe("a > b && c < d");
  });

  it("posts a result as Rails writes it, signed over those bytes", async () => {
    const before = receiver.received.length;
    const location = await k2.create("/api/v2/incoming_payments", {
      payment_channel: "M-PESA STK Push",
      till_number: "K000000",
      subscriber: { first_name: NAME, last_name: "Doe", phone_number: "+254700000001" },
      amount: { currency: "KES", value: "20" },
      _links: { callback_url: `${receiver.url}/k2/result` },
    });
    k2.sandbox.settle(location.split("/").at(-1)!);
    const received = (await receiver.until(before + 1))[before]!;
    expect(received.path).toBe("/k2/result");
    expect(received.body).toContain("Jane \\u003c\\u0026\\u003e Doe");
    expect(received.body).toBe(asRails(JSON.parse(received.body)));
    expect(received.headers["x-kopokopo-signature"]).toBe(hmac(received.body));
    expect(hmac(JSON.stringify(JSON.parse(received.body)))).not.toBe(received.headers["x-kopokopo-signature"]);
  });

  it("answers an error as Rails writes it", async () => {
    const response = await k2.post("/api/v2/webhook_subscriptions", {
      event_type: "<script>",
      url: "https://example.com/k2",
      scope: "company",
    });
    const text = await response.text();
    expect(response.status).toBe(400);
    expect(text).toBe(asRails(JSON.parse(text)));
  });
});
