/**
 * Every resource's status as K2 documents it (its status and result attributes, and each
 * endpoint's `data.type`), before and after processing, with `created_at` fixed when the
 * resource was created.
 */
import { afterEach, describe, expect, it } from "vitest";
import { isoWithOffset } from "../../sandbox/http.ts";
import { startSandbox, type Started } from "./support.ts";

const CALLBACK = { callback_url: "http://127.0.0.1:9/never-called" };
const STK = {
  payment_channel: "M-PESA STK Push",
  till_number: "K000000",
  subscriber: { first_name: "Jane", last_name: "Doe", phone_number: "0712345678", email: null },
  amount: { currency: "KES", value: "250" },
  metadata: { order: "42" },
  _links: CALLBACK,
};

let started: Started[] = [];
afterEach(async () => {
  await Promise.all(started.map((k2) => k2.sandbox.close()));
  started = [];
});

/** A sandbox whose clock moves a minute on every read of it, and whose payments end only when told. */
async function sandbox(): Promise<Started> {
  let clock = Date.UTC(2026, 10, 22, 10, 0, 0);
  const k2 = await startSandbox({ processingDelayMs: Infinity, callbackRetries: 0, now: () => (clock += 60_000) });
  started.push(k2);
  return k2;
}

const idOf = (location: string) => location.split("/").at(-1)!;

describe("created_at", () => {
  it("is stamped when the resource is created, not when it is first read", async () => {
    const k2 = await sandbox();
    const before = k2.sandbox.options.now();
    const location = await k2.create("/api/v2/incoming_payments", STK);
    const after = k2.sandbox.options.now();
    const first = (await k2.read(location)).data.attributes;
    const second = (await k2.read(location)).data.attributes;
    // ISO times with the same offset sort as text.
    expect(first.created_at > isoWithOffset(before)).toBe(true);
    expect(first.created_at < isoWithOffset(after)).toBe(true);
    expect(second.created_at).toBe(first.created_at);
    expect(first.initiation_time).toBe(first.created_at);
  });
});

describe("status shapes", () => {
  it("STK push: Pending with event.resource null, then Success with the buygoods resource", async () => {
    const k2 = await sandbox();
    const location = await k2.create("/api/v2/incoming_payments", STK);
    const pending = await k2.read(location);
    expect(pending.data).toMatchObject({
      id: idOf(location),
      type: "incoming_payment",
      attributes: {
        status: "Pending",
        event: { type: "Incoming Payment Request", resource: null, errors: null },
        metadata: { order: "42" },
        _links: { callback_url: CALLBACK.callback_url, self: location },
      },
    });
    k2.sandbox.settle(idOf(location));
    const { attributes } = (await k2.read(location)).data;
    expect(attributes.status).toBe("Success");
    expect(attributes.event.errors).toBeNull();
    expect(attributes.event.resource).toMatchObject({
      id: expect.any(String),
      reference: expect.stringMatching(/^[A-Z0-9]{10}$/),
      origination_time: expect.stringMatching(/\+03:00$/),
      sender_phone_number: "+254712345678",
      amount: "250.0",
      currency: "KES",
      till_number: "K000000",
      system: "Lipa Na M-PESA",
      status: "Received",
      sender_first_name: "Jane",
      sender_last_name: "Doe",
    });
  });

  it("send money: Scheduled, then Processed with transfer batches whose disbursements carry nickname and favourite", async () => {
    const k2 = await sandbox();
    const destination = {
      type: "mobile_wallet",
      phone_number: "254712345678",
      network: "Safaricom",
      nickname: "Jane",
      amount: 500,
      description: "Refund",
      favourite: true,
    };
    const location = await k2.create("/api/v2/send_money", {
      currency: "KES",
      destinations: [destination],
      _links: CALLBACK,
    });
    expect((await k2.read(location)).data).toMatchObject({
      type: "send_money",
      attributes: {
        status: "Scheduled",
        source_identifier: null,
        destinations: [destination],
        transfer_batches: [],
        errors: null,
      },
    });
    k2.sandbox.settle(idOf(location));
    const { attributes } = (await k2.read(location)).data;
    expect(attributes.status).toBe("Processed");
    expect(attributes.transfer_batches).toEqual([
      {
        status: "Processed",
        amount: "500.0",
        disbursements: [
          expect.objectContaining({
            amount: "500.0",
            status: "Transferred",
            destination_type: "mobile_wallet",
            transaction_reference: expect.any(String),
            nickname: "Jane",
            favourite: true,
            phone_number: "254712345678",
          }),
        ],
      },
    ]);
  });

  it("send money to my own accounts: destinations [] and source_identifier null", async () => {
    const k2 = await sandbox();
    const location = await k2.create("/api/v2/send_money", { currency: "KES", _links: CALLBACK });
    expect((await k2.read(location)).data.attributes).toMatchObject({ destinations: [], source_identifier: null });
  });

  it("pay and settlement transfers: Pending, then Processed with disbursements; a whole-balance transfer's value is null", async () => {
    const k2 = await sandbox();
    const pay = await k2.create("/api/v1/payments", {
      destination_type: "mobile_wallet",
      destination_reference: "9764ef5f-fcd6-42c1-bbff-de280becc64b",
      amount: { currency: "KES", value: "2000" },
      description: "Salary",
      _links: CALLBACK,
    });
    const settlement = await k2.create("/api/v1/settlement_transfers", { amount: {}, _links: CALLBACK });
    expect((await k2.read(pay)).data).toMatchObject({
      type: "payment",
      attributes: {
        status: "Pending",
        amount: { currency: "KES", value: 2000 },
        transfer_batches: [],
        created_at: expect.any(String),
      },
    });
    expect((await k2.read(settlement)).data).toMatchObject({
      type: "settlement_transfer",
      attributes: { status: "Pending", amount: { currency: "KES", value: null }, transfer_batches: [] },
    });
    k2.sandbox.settle(idOf(pay));
    k2.sandbox.settle(idOf(settlement));
    const [disbursement] = (await k2.read(pay)).data.attributes.transfer_batches[0].disbursements;
    expect(disbursement).toMatchObject({
      amount: "2000.0",
      status: "Transferred",
      destination_type: "Mobile Wallet",
      destination_reference: "9764ef5f-fcd6-42c1-bbff-de280becc64b",
      origination_time: expect.any(String),
      transaction_reference: expect.any(String),
    });
    expect((await k2.read(settlement)).data.attributes).toMatchObject({ status: "Processed", amount: { value: null } });
  });

  it("polling: scope capitalised, scope_reference null, then transactions as { type, resource } envelopes", async () => {
    const k2 = await sandbox();
    const paid = await k2.create("/api/v2/incoming_payments", STK);
    k2.sandbox.settle(idOf(paid));
    const received = (await k2.read(paid)).data.attributes.event.resource;
    const window = { from_time: "2000-01-01T00:00:00Z", to_time: "2100-01-01T00:00:00Z", _links: CALLBACK };
    const company = await k2.create("/api/v2/polling", { ...window, scope: "company", scope_reference: "" });
    const otherTill = await k2.create("/api/v1/polling", { ...window, scope: "till", scope_reference: "K999999" });
    expect((await k2.read(company)).data).toMatchObject({
      type: "polling",
      attributes: { status: "Pending", scope: "Company", scope_reference: null, transactions: [] },
    });
    k2.sandbox.settle(idOf(company));
    k2.sandbox.settle(idOf(otherTill));
    const { attributes } = (await k2.read(company)).data;
    expect(attributes.status).toBe("Success");
    expect(attributes.transactions).toEqual([
      {
        type: "Buygoods Transaction",
        resource: expect.objectContaining({ reference: received.reference, amount: "250.0" }),
      },
    ]);
    expect((await k2.read(otherTill)).data.attributes).toMatchObject({
      scope: "Till",
      scope_reference: "K999999",
      transactions: [],
    });
  });

  it("payment link: status Processed and the link an object; cancel answers K2's message, once", async () => {
    const k2 = await sandbox();
    const location = await k2.create("/api/v2/payment_links", {
      till_number: "K000000",
      currency: "KES",
      amount: 1500,
      payment_reference: null,
      _links: CALLBACK,
    });
    const { attributes } = (await k2.read(location)).data;
    expect(attributes).toMatchObject({
      status: "Processed",
      payment_reference: null,
      note: null,
      payment_link: {
        link: expect.stringMatching(/^\/links\//),
        expires_at: expect.stringMatching(/\+03:00$/),
        initiator_name: expect.any(String),
        payment_link_status: "Active",
      },
    });
    const cancel = await fetch(`${location}/cancel`, {
      method: "POST",
      headers: { authorization: `Bearer ${k2.token}`, "content-type": "application/json" },
      body: "{}",
    });
    expect(cancel.status).toBe(200);
    expect(await cancel.json()).toEqual({ message: "Payment link cancelled." });
    expect((await k2.read(location)).data.attributes.payment_link.payment_link_status).toBe("Cancelled");
    const again = await fetch(`${location}/cancel`, {
      method: "POST",
      headers: { authorization: `Bearer ${k2.token}` },
    });
    expect(again.status).toBe(400);
    expect(await again.json()).toEqual({ error_code: 400, error_message: "Payment link is already cancelled" });
    k2.sandbox.settle(idOf(location));
    expect((await k2.read(location)).data.attributes.payment_link.payment_link_status).toBe("Cancelled");
  });

  it("payment link, paid: payment_link_status Paid", async () => {
    const k2 = await sandbox();
    const location = await k2.create("/api/v2/payment_links", {
      till_number: "K000000",
      currency: "KES",
      amount: 10,
      _links: CALLBACK,
    });
    k2.sandbox.settle(idOf(location));
    expect((await k2.read(location)).data.attributes.payment_link.payment_link_status).toBe("Paid");
  });

  it("reversal: Scheduled, then Processed with reversal_bulk_payment", async () => {
    const k2 = await sandbox();
    const paid = await k2.create("/api/v2/incoming_payments", STK);
    k2.sandbox.settle(idOf(paid));
    const reference = (await k2.read(paid)).data.attributes.event.resource.reference;
    const location = await k2.create("/api/v2/reversals", {
      transaction_reference: reference,
      reason: "Twice",
      _links: CALLBACK,
    });
    expect((await k2.read(location)).data).toMatchObject({
      type: "reversal",
      attributes: {
        status: "Scheduled",
        transaction_reference: reference,
        reason: "Twice",
        reversal_bulk_payment: null,
      },
    });
    k2.sandbox.settle(idOf(location));
    expect((await k2.read(location)).data.attributes).toMatchObject({
      status: "Processed",
      reversal_bulk_payment: {
        amount: { currency: "KES", value: "250.0" },
        status: "Processed",
        origination_time: expect.any(String),
        transaction_reference: reference,
      },
    });
  });

  it("transaction SMS notification: Pending, then Success", async () => {
    const k2 = await sandbox();
    const location = await k2.create("/api/v1/transaction_sms_notifications", {
      webhook_event_reference: "2133dbfb-24b9-40fc-ae57-2d7559785760",
      message: "Thanks",
      _links: CALLBACK,
    });
    expect((await k2.read(location)).data).toMatchObject({
      type: "transaction_sms_notification",
      attributes: { status: "Pending", message: "Thanks" },
    });
    k2.sandbox.settle(idOf(location));
    expect((await k2.read(location)).data.attributes.status).toBe("Success");
  });

  it("recipients: Approved, with recipient_type and recipient_reference, typed pay_recipient on v1", async () => {
    const k2 = await sandbox();
    const v2 = await k2.create("/api/v2/external_recipients", {
      type: "bank_account",
      external_recipient: { account_name: "Jane", bank_branch_ref: "b", account_number: "1" },
    });
    const v1 = await k2.create("/api/v1/pay_recipients", {
      type: "mobile_wallet",
      pay_recipient: { first_name: "Jane", last_name: "Doe", phone_number: "+254712345678", network: "Safaricom" },
    });
    expect((await k2.read(v2)).data).toMatchObject({
      type: "external_recipient",
      attributes: { status: "Approved", recipient_type: "Bank Account", recipient_reference: idOf(v2) },
    });
    expect((await k2.read(v1)).data).toMatchObject({
      type: "pay_recipient",
      attributes: { status: "Approved", recipient_type: "Mobile Wallet", recipient_reference: idOf(v1) },
    });
  });

  it("merchant bank accounts and wallets: Approved, with account_reference", async () => {
    const k2 = await sandbox();
    const bank = await k2.create("/api/v2/merchant_bank_accounts", {
      account_name: "Shop",
      settlement_method: "EFT",
      bank_branch_ref: "b",
      account_number: 12,
    });
    const wallet = await k2.create("/api/v1/merchant_wallets", {
      first_name: "Jane",
      last_name: "Doe",
      phone_number: "712345678",
      network: "Safaricom",
    });
    expect((await k2.read(bank)).data).toMatchObject({
      type: "merchant_bank_account",
      attributes: { status: "Approved", account_reference: idOf(bank), created_at: expect.any(String) },
    });
    expect((await k2.read(wallet)).data).toMatchObject({
      type: "merchant_wallet",
      attributes: { status: "Approved", account_reference: idOf(wallet) },
    });
  });

  it("webhook subscription: Active, the URL as webhook_uri", async () => {
    const k2 = await sandbox();
    const location = await k2.create("/api/v2/webhook_subscriptions", {
      event_type: "customer_created",
      url: "https://example.com/hooks",
      scope: "company",
      scope_reference: null,
    });
    const { data } = await k2.read(location);
    expect(data).toMatchObject({
      type: "webhook_subscription",
      attributes: {
        event_type: "customer_created",
        webhook_uri: "https://example.com/hooks",
        scope: "company",
        status: "Active",
      },
    });
    expect(data.attributes.url).toBeUndefined();
  });

  it("a status read on another collection's path, or an unknown id, is K2's 404", async () => {
    const k2 = await sandbox();
    const location = await k2.create("/api/v2/incoming_payments", STK);
    for (const path of [
      `/api/v2/polling/${idOf(location)}`,
      "/api/v2/incoming_payments/00000000-0000-0000-0000-000000000000",
    ]) {
      const response = await fetch(`${k2.sandbox.url}${path}`, { headers: { authorization: `Bearer ${k2.token}` } });
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ error_code: 404 });
    }
  });
});
