/**
 * parseWebhook: the signature over the raw bytes first, then webhooks by topic, results by
 * data.type, Daraja payloads, and anything unknown returned generically rather than thrown.
 */
import { createHmac } from "node:crypto";
import { describe, expect, expectTypeOf, it } from "vitest";
import { K2WebhookError, parseWebhook, settlementDestination, type K2Notification } from "../../src/api/index.ts";
import { InvalidInputError, K2EdgeError } from "../../src/index.ts";
import { answers, settlementTransferCompleted } from "../../sandbox/samples.ts";

const API_KEY = "k2-api-key-0123456789abcdef";
// Signed independently of the code under test, with Node's own HMAC over the exact bytes.
const sign = (body: string | Uint8Array) => createHmac("sha256", API_KEY).update(body).digest("hex");

const links = {
  self: "https://sandbox.kopokopo.com/api/v2/webhook_events/d5d2f7",
  resource: "https://sandbox.kopokopo.com/financial_transaction/3",
};
const webhook = (topic: string, type: string, resource: Record<string, unknown>) => ({
  topic,
  id: `evt-${topic}`,
  created_at: "2026-11-22T10:00:00+03:00",
  event: { type, resource },
  _links: links,
});
const buygoods = {
  id: "458712f-gr76y-24b9-40fc-ae57-2d7559785760",
  amount: "2000.0",
  status: "Received",
  system: "Lipa Na M-PESA",
  currency: "KES",
  reference: "OJM6Q1W84K",
  till_number: "K000000",
  sender_phone_number: "+254712345678",
  hashed_sender_phone: "bd3b2d2bd8f1b6d9f7e1d1e9f0d1b2",
  origination_time: "2026-11-22T09:59:30+03:00",
  sender_first_name: "Wanjikũ",
  sender_middle_name: null,
  sender_last_name: "Ñandú 🙂",
};
const card = {
  id: "c-1",
  amount: "350.0",
  status: "Received",
  currency: "KES",
  reference: "CARD42",
  origination_time: "2026-11-22T10:00:00+03:00",
  till_number: "K000000",
  customer_cc_number: "4111******1111",
};

const webhooks = {
  buygoods_transaction_received: webhook("buygoods_transaction_received", "Buygoods Transaction", buygoods),
  buygoods_transaction_reversed: webhook("buygoods_transaction_reversed", "Buygoods Transaction", {
    ...buygoods,
    status: "Reversed",
    reversal_time: "2026-11-22T11:00:00+03:00",
  }),
  b2b_transaction_received: webhook("b2b_transaction_received", "External Till to Till Transaction", {
    id: "b2b-1",
    amount: "1500.0",
    status: "Received",
    system: "Lipa Na M-PESA",
    currency: "KES",
    reference: "OJM6Q1W85L",
    till_number: "K000000",
    sending_till: "K999999",
    origination_time: "2026-11-22T09:00:00+03:00",
  }),
  b2b_transaction_reversed: webhook("b2b_transaction_reversed", "External Till To Till Reversal Transaction", {
    id: "b2b-1",
    amount: "1500.0",
    status: "Reversed",
    system: "Lipa Na M-PESA",
    currency: "KES",
    reference: "OJM6Q1W85L",
    till_number: "K000000",
    sending_till: "K999999",
    origination_time: "2026-11-22T09:00:00+03:00",
  }),
  m2m_transaction_received: webhook("m2m_transaction_received", "Merchant to Merchant Transaction", {
    id: "m2m-1",
    amount: "700.0",
    status: "Received",
    currency: "KES",
    origination_time: "2026-11-22T09:00:00+03:00",
    sending_merchant: "Jane's Shop",
  }),
  settlement_transfer_completed: webhook(
    "settlement_transfer_completed",
    "Settlement Transfer",
    settlementTransferCompleted,
  ),
  customer_created: webhook("customer_created", "Customer Created", {
    first_name: "Jane",
    middle_name: "W",
    last_name: "Doe",
    phone_number: "+254712345678",
  }),
  card_transaction_received: webhook("card_transaction_received", "Card Transaction", { ...card, settled: true }),
  card_transaction_voided: webhook("card_transaction_voided", "Card Transaction", { ...card, status: "Voided" }),
  card_transaction_reversed: webhook("card_transaction_reversed", "Card Transaction", { ...card, status: "Reversed" }),
};

const result = (type: string, attributes: Record<string, unknown>) => ({
  data: { id: `res-${type}`, type, attributes },
});

/** Results are the documented status shapes, posted to the callback URL. */
const results = {
  incoming_payment: answers.stkSuccess,
  send_money: answers.sendMoneyProcessed,
  "send_money (nulls)": answers.sendMoneyScheduled,
  payment: answers.payment,
  settlement_transfer: answers.wholeBalanceTransfer,
  polling: answers.companyPolling,
  payment_link: answers.paymentLinkPaid,
  reversal: answers.reversalProcessed,
  reversals: answers.reversalScheduled,
  transaction_sms_notification: answers.smsNotification,
};

const daraja = {
  TransactionType: "Buy Goods",
  TransID: "OJM6Q1W84K",
  TransTime: "20261122100000",
  TransAmount: "2000.00",
  BusinessShortCode: "600000",
  BillRefNumber: "",
  InvoiceNumber: "",
  OrgAccountBalance: "49197.00",
  ThirdPartyTransID: "",
  MSISDN: "254712345678",
  FirstName: "Jane",
  MiddleName: "",
  LastName: "Doe",
};

const shapes = {
  compact: (value: unknown) => JSON.stringify(value),
  "pretty-printed": (value: unknown) => JSON.stringify(value, null, 2),
  "pretty-printed with tabs and CRLF": (value: unknown) => JSON.stringify(value, null, "\t").replace(/\n/g, "\r\n"),
};

async function parsed(value: unknown, shape: (value: unknown) => string = shapes.compact): Promise<K2Notification> {
  const body = shape(value);
  return parseWebhook(body, sign(body), API_KEY);
}

describe("webhooks, by topic", () => {
  for (const [topic, payload] of Object.entries(webhooks)) {
    for (const [shape, write] of Object.entries(shapes)) {
      it(`${topic}, ${shape}`, async () => {
        const notification = await parsed(payload, write);
        expect(notification).toMatchObject({ kind: "webhook", topic, payload });
      });
    }
  }

  it("narrow to the topic's resource type", async () => {
    const notification = await parsed(webhooks.buygoods_transaction_received);
    if (notification.kind !== "webhook" || notification.topic !== "buygoods_transaction_received")
      throw new Error("wrong variant");
    expectTypeOf(notification.payload.event.resource.till_number).toEqualTypeOf<string | undefined>();
    expect(notification.payload.event.resource.sender_last_name).toBe("Ñandú 🙂");
    expect(notification.payload.id).toBe("evt-buygoods_transaction_received");
  });

  it("keep fields K2 adds that this version does not know", async () => {
    const payload = { ...webhooks.b2b_transaction_received, new_envelope_field: 1 };
    payload.event = { ...payload.event, resource: { ...payload.event.resource, new_resource_field: "x" } };
    const notification = await parsed(payload);
    expect(notification.payload).toEqual(payload);
  });

  it("b2b_transaction_reversed and card_transaction_received narrow to their resources", async () => {
    const reversed = await parsed(webhooks.b2b_transaction_reversed);
    if (reversed.kind !== "webhook" || reversed.topic !== "b2b_transaction_reversed") throw new Error("wrong variant");
    expectTypeOf(reversed.payload.event.resource.sending_till).toEqualTypeOf<string | undefined>();
    expect(reversed.payload.event).toMatchObject({
      type: "External Till To Till Reversal Transaction",
      resource: { status: "Reversed", sending_till: "K999999", till_number: "K000000", reference: "OJM6Q1W85L" },
    });
    const card = await parsed(webhooks.card_transaction_received);
    if (card.kind !== "webhook" || card.topic !== "card_transaction_received") throw new Error("wrong variant");
    expectTypeOf(card.payload.event.resource.settled).toEqualTypeOf<boolean | string | undefined>();
    expect(card.payload.event.resource).toMatchObject({ settled: true, customer_cc_number: "4111******1111" });
  });

  it("return an unknown topic as a generic event, not an error", async () => {
    const payload = webhook("m2m_transaction_reversed", "Merchant to Merchant Reversal", { id: "x" });
    expect(await parsed(payload)).toEqual({ kind: "unknown_webhook", topic: "m2m_transaction_reversed", payload });
    expect(await parsed({ topic: "loyalty_points_earned", id: "evt-9" })).toEqual({
      kind: "unknown_webhook",
      topic: "loyalty_points_earned",
      payload: { topic: "loyalty_points_earned", id: "evt-9" },
    });
  });
});

describe("results, by data.type", () => {
  for (const [name, payload] of Object.entries(results)) {
    for (const [shape, write] of Object.entries(shapes)) {
      it(`${name}, ${shape}`, async () => {
        expect(await parsed(payload, write)).toEqual({ kind: "result", type: payload.data.type, payload });
      });
    }
  }

  it("narrow to the type's attributes", async () => {
    const notification = await parsed(results.incoming_payment);
    if (notification.kind !== "result" || notification.type !== "incoming_payment") throw new Error("wrong variant");
    expectTypeOf(notification.payload.data.type).toEqualTypeOf<"incoming_payment">();
    expect(notification.payload.data.attributes.event?.resource?.reference).toBe("OJM6Q1W84K");
  });

  it("a paid payment link: the request Processed, the link itself Paid", async () => {
    const notification = await parsed(results.payment_link);
    if (notification.kind !== "result" || notification.type !== "payment_link") throw new Error("wrong variant");
    const { status, payment_link } = notification.payload.data.attributes;
    expect(status).toBe("Processed");
    expect(payment_link?.payment_link_status ?? payment_link?.status).toBe("Paid");
    expect(payment_link).toMatchObject({
      link: "https://pay.kopokopo.com/links/9gLQyx",
      sender_phone_number: 254712345678,
    });
  });

  it('a reversal under either spelling, "reversals" (the docs) or "reversal" (the SDKs)', async () => {
    for (const payload of [results.reversals, results.reversal]) {
      const notification = await parsed(payload);
      if (notification.kind !== "result" || (notification.type !== "reversal" && notification.type !== "reversals"))
        throw new Error("wrong variant");
      expectTypeOf(notification.payload.data.attributes.reversal_bulk_payment?.amount).toEqualTypeOf<
        string | number | undefined
      >();
      expect(notification.payload.data.attributes.reversal_bulk_payment?.amount).toBe("20.0");
    }
  });

  it("polling: the transactions as { type, resource } envelopes", async () => {
    const notification = await parsed(results.polling);
    if (notification.kind !== "result" || notification.type !== "polling") throw new Error("wrong variant");
    const [transaction] = notification.payload.data.attributes.transactions ?? [];
    expect(transaction).toMatchObject({ type: "Buygoods Transaction", resource: { reference: "OJM6Q1W84K" } });
  });

  it("return an unknown data.type as a generic result", async () => {
    const payload = result("loyalty_redemption", { status: "Success" });
    expect(await parsed(payload)).toEqual({ kind: "unknown_result", type: "loyalty_redemption", payload });
  });
});

describe("the Daraja payload", () => {
  for (const [shape, write] of Object.entries(shapes)) {
    it(`arrives flat, ${shape}`, async () => {
      expect(await parsed(daraja, write)).toEqual({ kind: "daraja", payload: daraja });
    });
  }

  it("in Ruby's spelling (ThirdPartyTransId), with MSISDN an object, for every transaction type seen", async () => {
    for (const TransactionType of [
      "Buygoods",
      "Pay Bill",
      "Business Payment",
      "Organization To Organization Transfer",
    ]) {
      const { ThirdPartyTransID: _node, ...rest } = daraja;
      const ruby = {
        ...rest,
        TransactionType,
        ThirdPartyTransId: "TP-1",
        MSISDN: { hashed: "bd3b2d", masked: "2547****678" },
      };
      const notification = await parsed(ruby);
      if (notification.kind !== "daraja") throw new Error("wrong variant");
      expectTypeOf(notification.payload.ThirdPartyTransId).toEqualTypeOf<string | undefined>();
      expectTypeOf(notification.payload.MSISDN).toEqualTypeOf<string | Record<string, unknown> | undefined>();
      expect(notification.payload).toEqual(ruby);
    }
  });
});

describe("settlement destinations, in any of the three shapes", () => {
  it("nested bank account (Ruby SDK fixtures)", async () => {
    const notification = await parsed(webhooks.settlement_transfer_completed);
    if (notification.kind !== "webhook" || notification.topic !== "settlement_transfer_completed")
      throw new Error("wrong variant");
    expect(notification.destination).toEqual({
      type: "bank_account",
      account_name: "Jane's Shop Ltd",
      account_number: "1234567890",
      bank_branch_ref: "633aa26c",
      settlement_method: "RTS",
      reference: "ref-1",
      raw: webhooks.settlement_transfer_completed.event.resource.destination,
    });
  });

  it("nested mobile wallet", () => {
    const destination = {
      type: "Mobile Wallet",
      resource: {
        first_name: "Jane",
        last_name: "Doe",
        phone_number: "+254712345678",
        network: "Safaricom",
        reference: "w-1",
      },
    };
    expect(settlementDestination(destination)).toEqual({
      type: "mobile_wallet",
      phone_number: "+254712345678",
      network: "Safaricom",
      first_name: "Jane",
      last_name: "Doe",
      reference: "w-1",
      raw: destination,
    });
  });

  it("flat mobile and bank (Node SDK fixtures)", () => {
    const mobile = { type: "mobile", msisdn: "254712345678", mm_system: "Safaricom" };
    expect(settlementDestination(mobile)).toMatchObject({
      type: "mobile_wallet",
      phone_number: "254712345678",
      network: "Safaricom",
      raw: mobile,
    });
    const bank = { type: "bank", mode: "EFT", bank: "KCB", branch: "Moi Avenue", account_number: 1234567890 };
    expect(settlementDestination(bank)).toMatchObject({
      type: "bank_account",
      settlement_method: "EFT",
      bank: "KCB",
      branch: "Moi Avenue",
      account_number: "1234567890",
      raw: bank,
    });
  });

  it("Python's shapes: merchant_bank_account and merchant_wallet", async () => {
    const bank = {
      type: "merchant_bank_account",
      bank_id: "b-7",
      bank_branch_id: "br-9",
      account_name: "Jane's Shop Ltd",
      account_number: "1234567890",
    };
    const payload = webhook("settlement_transfer_completed", "Settlement Transfer", { id: "st-3", destination: bank });
    expect(await parsed(payload)).toMatchObject({
      kind: "webhook",
      destination: {
        type: "bank_account",
        bank_id: "b-7",
        bank_branch_id: "br-9",
        account_name: "Jane's Shop Ltd",
        account_number: "1234567890",
        raw: bank,
      },
    });
    const wallet = { type: "merchant_wallet", msisdn: "254712345678", network: "Safaricom" };
    expect(settlementDestination(wallet)).toEqual({
      type: "mobile_wallet",
      phone_number: "254712345678",
      network: "Safaricom",
      raw: wallet,
    });
  });

  it("anything else, kept raw", async () => {
    expect(settlementDestination({ type: "Paybill", resource: {} })).toEqual({
      type: "unknown",
      raw: { type: "Paybill", resource: {} },
    });
    expect(settlementDestination(null)).toEqual({ type: "unknown", raw: {} });
    const payload = webhook("settlement_transfer_completed", "Settlement Transfer", { id: "st-2", amount: "1.0" });
    expect(await parsed(payload)).toMatchObject({ kind: "webhook", destination: { type: "unknown" } });
  });
});

describe("what is refused", () => {
  const body = JSON.stringify(webhooks.buygoods_transaction_received, null, 2);

  it("verifies the raw bytes: string, ArrayBuffer and Uint8Array, header in either case", async () => {
    const bytes = new TextEncoder().encode(body);
    for (const raw of [body, bytes, bytes.buffer]) {
      expect((await parseWebhook(raw, sign(body), API_KEY)).kind).toBe("webhook");
    }
    expect((await parseWebhook(body, sign(body).toUpperCase(), API_KEY)).kind).toBe("webhook");
  });

  it("throws on a tampered body, a re-serialised body, another key, or no signature", async () => {
    const tampered = body.replace('"2000.0"', '"9000.0"');
    const reserialised = JSON.stringify(JSON.parse(body));
    const attempts: [string, string | null | undefined][] = [
      [tampered, sign(body)],
      [reserialised, sign(body)],
      [body, createHmac("sha256", "another-key").update(body).digest("hex")],
      [body, null],
      [body, undefined],
      [body, ""],
      [body, "sha256=" + sign(body)],
    ];
    for (const [raw, signature] of attempts) {
      const error = await parseWebhook(raw, signature, API_KEY).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(K2WebhookError);
      expect(error).toBeInstanceOf(K2EdgeError);
      expect(error).toMatchObject({ reason: "signature" });
    }
  });

  it("checks the signature before reading the body", async () => {
    const error = await parseWebhook("not json at all", sign("something else"), API_KEY).catch((e: unknown) => e);
    expect(error).toMatchObject({ reason: "signature" });
  });

  it("throws on a signed body that is not a webhook, a result or a Daraja payload", async () => {
    for (const raw of [
      "not json",
      "[1,2]",
      '"text"',
      "{}",
      '{"data":{"id":1}}',
      '{"topic":"customer_created"}',
      '{"topic":"customer_created","id":"x","event":{}}',
    ]) {
      const error = await parseWebhook(raw, sign(raw), API_KEY).catch((e: unknown) => e);
      expect(error, raw).toBeInstanceOf(K2WebhookError);
      expect(error, raw).toMatchObject({ reason: "body" });
    }
  });

  it("needs the API key", async () => {
    await expect(parseWebhook(body, sign(body), "")).rejects.toBeInstanceOf(InvalidInputError);
  });
});
