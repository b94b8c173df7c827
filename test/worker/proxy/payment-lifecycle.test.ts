/**
 * The whole flow as a user meets it: an STK push through the proxy, the sandbox completes it, a
 * receiver gets the signed result, and parseWebhook verifies and types it; a test number gives a
 * failure the same way. The proxy runs inside workerd; the sandbox and the receiver in Node.
 */
import { inject } from "vitest";
import { describe, expect, it } from "vitest";
import { DEV_API_KEY } from "../../../sandbox/credentials.ts";
import { parseWebhook } from "../../../src/api/index.ts";
import type { ReceivedCallback } from "../support/global-setup.ts";
import { baseEnv, isolate, proxyRequest, stkPush } from "../support/harness.ts";

const receiverUrl = () => inject("callbackReceiverUrl");

/** The delivery that reached `path`, waiting for it (bounded: the sandbox ends payments after 200 ms). */
async function deliveryTo(path: string): Promise<ReceivedCallback> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const received = (await (await fetch(`${receiverUrl()}/received`)).json()) as ReceivedCallback[];
    const found = received.find((delivery) => delivery.path === path);
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no delivery to ${path} within 10 s`);
}

async function payThroughProxy(phone: string) {
  const path = `/results/${crypto.randomUUID()}`;
  const { proxy } = isolate();
  const created = await proxy(
    proxyRequest("/api/v2/incoming_payments", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        ...stkPush,
        subscriber: { ...stkPush.subscriber, phone_number: phone },
        _links: { callback_url: `${receiverUrl()}${path}` },
      }),
    }),
    baseEnv,
  );
  expect(created.status).toBe(201);
  const location = new URL(created.headers.get("location")!);
  expect(location.origin).toBe("https://proxy.example");
  const delivery = await deliveryTo(path);
  const status = await proxy(proxyRequest(location.pathname), baseEnv);
  return { delivery, status: (await status.json()) as { data: { attributes: { status: string } } }, location };
}

describe("a payment's whole life through the proxy", () => {
  it("ends Success, and the signed result verifies and types as an incoming payment", async () => {
    const { delivery, status, location } = await payThroughProxy("0700000000");
    expect(delivery.signature).toMatch(/^[0-9a-f]{64}$/);
    const notification = await parseWebhook(delivery.body, delivery.signature, DEV_API_KEY);
    if (notification.kind !== "result" || notification.type !== "incoming_payment") {
      throw new Error(`expected an incoming payment result, got ${notification.kind}`);
    }
    const { data } = notification.payload;
    expect(data.id).toBe(location.pathname.split("/").at(-1));
    expect(data.attributes.status).toBe("Success");
    expect(data.attributes.event?.resource?.status).toBe("Received");
    expect(status.data.attributes.status).toBe("Success");
  });

  it("ends Failed for the insufficient-funds test number, with K2's error and no resource", async () => {
    const { delivery, status } = await payThroughProxy("254700000001");
    const notification = await parseWebhook(delivery.body, delivery.signature, DEV_API_KEY);
    if (notification.kind !== "result" || notification.type !== "incoming_payment") {
      throw new Error(`expected an incoming payment result, got ${notification.kind}`);
    }
    const { attributes } = notification.payload.data;
    expect(attributes.status).toBe("Failed");
    expect(attributes.event?.resource ?? null).toBeNull();
    expect(String(attributes.event?.errors)).toMatch(/insufficient/i);
    expect(status.data.attributes.status).toBe("Failed");
  });

  it("a tampered result does not verify", async () => {
    const { delivery } = await payThroughProxy("254712345678");
    const tampered = delivery.body.replace('"Success"', '"Failed"');
    await expect(parseWebhook(tampered, delivery.signature, DEV_API_KEY)).rejects.toMatchObject({
      name: "K2WebhookError",
      reason: "signature",
    });
  });
});
