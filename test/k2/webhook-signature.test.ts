import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { InvalidInputError, signWebhook, verifyWebhookSignature } from "../../src/index.ts";

const API_KEY = "k2-api-key-0123456789abcdef";

const event = {
  topic: "buygoods_transaction_received",
  id: "2133dbfb-24b9-40fc-ae57-2d7559785760",
  created_at: "2026-11-22T10:00:00+03:00",
  event: {
    type: "Buygoods Transaction",
    resource: {
      reference: "OJM6Q1W84K",
      amount: "20.0",
      currency: "KES",
      sender_first_name: "Wanjikũ",
      sender_last_name: "Ñandú 🙂",
    },
  },
  _links: {
    self: "https://sandbox.kopokopo.com/webhook_events/2133dbfb",
    resource: "https://sandbox.kopokopo.com/financial_transaction/1",
  },
};

// Computed independently of the code under test, with Node's own HMAC over the exact bytes.
const nodeSignature = (body: string | Uint8Array, key = API_KEY) =>
  createHmac("sha256", key).update(body).digest("hex");

describe("verifyWebhookSignature", () => {
  const bodies = {
    compact: JSON.stringify(event),
    "pretty-printed with tabs and non-ASCII text": JSON.stringify(event, null, "\t"),
    "pretty-printed with CRLF line ends": JSON.stringify(event, null, 2).replace(/\n/g, "\r\n"),
  };

  for (const [shape, body] of Object.entries(bodies)) {
    it(`accepts a genuine ${shape} body as string, ArrayBuffer and Uint8Array`, async () => {
      const signature = nodeSignature(body);
      const bytes = new TextEncoder().encode(body);
      expect(await verifyWebhookSignature(body, signature, API_KEY)).toBe(true);
      expect(await verifyWebhookSignature(bytes.buffer, signature, API_KEY)).toBe(true);
      expect(await verifyWebhookSignature(bytes, signature, API_KEY)).toBe(true);
      expect(await verifyWebhookSignature(body, signature.toUpperCase(), API_KEY)).toBe(true);
      expect(await verifyWebhookSignature(body, ` ${signature}\n`, API_KEY)).toBe(true);
    });

    it(`rejects a ${shape} body re-serialised, tampered or signed with another key`, async () => {
      const signature = nodeSignature(body);
      if (body !== JSON.stringify(event)) {
        // What the official SDKs do: parse and re-stringify. It must not verify.
        expect(await verifyWebhookSignature(JSON.stringify(JSON.parse(body)), signature, API_KEY)).toBe(false);
      }
      expect(await verifyWebhookSignature(body.replace("20.0", "2000.0"), signature, API_KEY)).toBe(false);
      expect(await verifyWebhookSignature(body, nodeSignature(body, "another-key"), API_KEY)).toBe(false);
    });
  }

  it("hashes the bytes of a typed-array view, not its whole buffer", async () => {
    const body = JSON.stringify(event);
    const framed = new TextEncoder().encode(`XXXX${body}YYYY`);
    const view = framed.subarray(4, framed.length - 4);
    expect(await verifyWebhookSignature(view, nodeSignature(body), API_KEY)).toBe(true);
  });

  it("answers false, never throws, for missing or malformed headers", async () => {
    const body = JSON.stringify(event);
    const good = nodeSignature(body);
    for (const header of [
      null,
      undefined,
      "",
      "sha256=" + good,
      good.slice(0, 63),
      good + "0",
      "z".repeat(64),
      good.replace(/./, "g"),
      "0".repeat(64),
    ]) {
      expect(await verifyWebhookSignature(body, header, API_KEY)).toBe(false);
    }
  });

  it("throws a typed error for a missing API key: that is a configuration mistake", async () => {
    await expect(verifyWebhookSignature("{}", "0".repeat(64), "")).rejects.toBeInstanceOf(InvalidInputError);
    await expect(signWebhook("{}", "")).rejects.toBeInstanceOf(InvalidInputError);
  });

  it("signWebhook agrees with Node's HMAC, and what it signs verifies with the same key only", async () => {
    const body = JSON.stringify(event, null, 4);
    expect(await signWebhook(body, API_KEY)).toBe(nodeSignature(body));
    expect(await verifyWebhookSignature(body, await signWebhook(body, API_KEY), API_KEY)).toBe(true);
    expect(await verifyWebhookSignature(body, nodeSignature(body, "x"), API_KEY)).toBe(false);
  });
});
