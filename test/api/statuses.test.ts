/**
 * Every documented status shape (K2's status and result attributes), answered by a
 * fake K2 from fixtures: the typed status read accepts it, keeps it as sent, and types its fields.
 */
import { describe, expect, expectTypeOf, it } from "vitest";
import {
  getMerchantBankAccountStatus,
  getMerchantWalletStatus,
  getPaymentLinkStatus,
  getPaymentStatus,
  getPollingStatus,
  getRecipientStatus,
  getReversalStatus,
  getSendMoneyStatus,
  getSettlementTransferStatus,
  getStkPushStatus,
  getTransactionSmsNotificationStatus,
  getWebhookSubscriptionStatus,
  type K2BuygoodsTransaction,
  type K2PaymentLinkDetails,
  type K2PollingTransaction,
} from "../../src/api/index.ts";
import { UnexpectedResponseError } from "../../src/index.ts";
import { capture, ORIGIN } from "./capture.ts";
import { answers, buygoods } from "../../sandbox/samples.ts";

/** A fake K2 answering `body` to every status read, and the path it was asked at. */
function answering(body: unknown) {
  const fake = capture();
  fake.answer(body);
  return { k2: fake.k2, asked: () => new URL(fake.requests.at(-1)!.url).pathname };
}

describe("typed status reads of every documented answer", () => {
  it("STK push, pending: no resource yet, errors null", async () => {
    const { k2, asked } = answering(answers.stkPending);
    const status = await getStkPushStatus(k2, "ip-1");
    expect(asked()).toBe("/api/v2/incoming_payments/ip-1");
    expect(status).toEqual(answers.stkPending);
    expect(status.data.attributes.event?.resource).toBeNull();
    expect(status.data.attributes.metadata).toBeNull();
  });

  it("STK push, success: the Buy Goods payment in event.resource", async () => {
    const { k2 } = answering(answers.stkSuccess);
    const { data } = await getStkPushStatus(k2, "ip-2");
    expectTypeOf(data.attributes.event?.resource).toEqualTypeOf<K2BuygoodsTransaction | null | undefined>();
    expect(data.attributes.event?.resource).toEqual(buygoods);
    expect(data.attributes.event?.resource?.sender_middle_name).toBeNull();
  });

  it("v1 payment: batches of disbursements", async () => {
    const { k2, asked } = answering(answers.payment);
    const { data } = await getPaymentStatus(k2, "pay-1");
    expect(asked()).toBe("/api/v1/payments/pay-1");
    expect(data.attributes.transfer_batches?.[0]?.disbursements?.[0]?.transaction_reference).toBe("LHJ7");
  });

  it("v1 whole-balance settlement transfer: amount.value null", async () => {
    const { k2 } = answering(answers.wholeBalanceTransfer);
    const { data } = await getSettlementTransferStatus(k2, "st-1");
    expectTypeOf(data.attributes.amount?.value).toEqualTypeOf<string | number | null | undefined>();
    expect(data.attributes.amount).toEqual({ currency: "KES", value: null });
  });

  it("send money, scheduled: source_identifier, destinations, transfer_batches and errors null", async () => {
    const { k2 } = answering(answers.sendMoneyScheduled);
    const { data } = await getSendMoneyStatus(k2, "sm-1");
    expectTypeOf(data.attributes.destinations).toEqualTypeOf<Record<string, unknown>[] | null | undefined>();
    expect(data.attributes).toMatchObject({
      status: "Scheduled",
      source_identifier: null,
      destinations: null,
      transfer_batches: null,
      errors: null,
    });
  });

  it("send money, processed: batches with amounts, disbursements with nickname, favourite, phone, errors", async () => {
    const { k2 } = answering(answers.sendMoneyProcessed);
    const { data } = await getSendMoneyStatus(k2, "sm-2");
    const batch = data.attributes.transfer_batches?.[0];
    expect(batch?.amount).toBe("500.0");
    expect(batch?.disbursements?.[0]).toMatchObject({
      nickname: "Jane",
      favourite: true,
      phone_number: "254712345678",
      errors: null,
    });
    expect(data.attributes.source_identifier).toBe("");
  });

  it('reversal with data.type "reversals" (the docs\' example) and "reversal" (the SDKs\')', async () => {
    const docs = answering(answers.reversalScheduled);
    const scheduled = await getReversalStatus(docs.k2, "rv-1");
    expectTypeOf(scheduled.data.type).toEqualTypeOf<"reversal" | "reversals">();
    expect(scheduled.data.type).toBe("reversals");
    expect(scheduled.data.attributes.status).toBe("Scheduled");
    expect(scheduled.data.attributes.reversal_bulk_payment).toMatchObject({
      amount: "20.0",
      transaction_reference: null,
    });

    const sdk = answering(answers.reversalProcessed);
    const processed = await getReversalStatus(sdk.k2, "rv-2");
    expect(processed.data.type).toBe("reversal");
    expect(processed.data.attributes.reversal_bulk_payment?.transaction_reference).toBe("OJM7R2X95L");
  });

  it("recipients: status Approved, recipient_type and recipient_reference, on v2 and v1", async () => {
    const v2 = answering(answers.externalRecipient);
    const external = await getRecipientStatus(v2.k2, "er-1");
    expect(v2.asked()).toBe("/api/v2/external_recipients/er-1");
    expect(external.data.attributes).toMatchObject({
      status: "Approved",
      recipient_type: "Mobile Wallet",
      recipient_reference: "c7f300c0-f1ef-4151-9bbe-005005aa3747",
    });
    expectTypeOf(external.data.attributes.recipient_reference).toEqualTypeOf<string | undefined>();

    const v1 = answering(answers.payRecipient);
    const pay = await getRecipientStatus(v1.k2, "pr-1", { version: "v1" });
    expect(v1.asked()).toBe("/api/v1/pay_recipients/pr-1");
    expect(pay.data.type).toBe("pay_recipient");
    expect(pay.data.attributes.recipient_type).toBe("Bank Account");
  });

  it("merchant bank accounts and wallets: status Approved and account_reference", async () => {
    const bank = answering(answers.merchantBankAccount);
    const account = await getMerchantBankAccountStatus(bank.k2, "mba-1");
    expectTypeOf(account.data.attributes.account_reference).toEqualTypeOf<string | undefined>();
    expect(account.data.attributes).toMatchObject({
      status: "Approved",
      account_reference: "9a84aea3-4ac3-4834-b4a0-86da943be3a9",
      settlement_method: "EFT",
    });
    const wallet = answering(answers.merchantWallet);
    const mobile = await getMerchantWalletStatus(wallet.k2, "mw-1", { version: "v1" });
    expect(wallet.asked()).toBe("/api/v1/merchant_wallets/mw-1");
    expect(mobile.data.attributes.account_reference).toBe("82e5e5e0-0bbb-4cb6-a5e6-b1a1b8e6f9a1");
  });

  it("polling: transactions as { type, resource } envelopes, scope capitalised, scope_reference null", async () => {
    const { k2 } = answering(answers.companyPolling);
    const { data } = await getPollingStatus(k2, "po-1");
    expectTypeOf(data.attributes.transactions).toEqualTypeOf<K2PollingTransaction[] | null | undefined>();
    const [transaction] = data.attributes.transactions ?? [];
    expect(transaction?.type).toBe("Buygoods Transaction");
    expect(transaction?.resource?.reference).toBe("OJM6Q1W84K");
    expect(data.attributes).toMatchObject({ scope: "Company", scope_reference: null });
  });

  it("payment link, active: the link an object with payment_link_status; attributes.status the request's", async () => {
    const { k2 } = answering(answers.paymentLinkActive);
    const { data } = await getPaymentLinkStatus(k2, "pl-1");
    expectTypeOf(data.attributes.payment_link).toEqualTypeOf<K2PaymentLinkDetails | null | undefined>();
    expect(data.attributes.status).toBe("Processed");
    const link = data.attributes.payment_link;
    expect(link?.payment_link_status ?? link?.status).toBe("Active");
    expect(link?.link).toBe("/links/9gLQyx");
    expect(link?.initiator_name).toBe("Jane Doe");
  });

  it("payment link, paid: the link's status under status, the payer's number a JSON number", async () => {
    const { k2 } = answering(answers.paymentLinkPaid);
    const { data } = await getPaymentLinkStatus(k2, "pl-2");
    const link = data.attributes.payment_link;
    expect(link?.payment_link_status ?? link?.status).toBe("Paid");
    expect(link?.sender_phone_number).toBe(254712345678);
    expect(link?.transaction_reference).toBe("OJM6Q1W84K");
  });

  it("transaction SMS notification and webhook subscription (webhook_uri, scope_reference null)", async () => {
    const sms = answering(answers.smsNotification);
    expect((await getTransactionSmsNotificationStatus(sms.k2, "sms-1")).data.attributes.status).toBe("Success");
    expect(sms.asked()).toBe("/api/v1/transaction_sms_notifications/sms-1");
    const subscription = answering(answers.subscription);
    const { data } = await getWebhookSubscriptionStatus(subscription.k2, `${ORIGIN}/api/v2/webhook_subscriptions/ws-1`);
    expect(data.attributes).toMatchObject({
      event_type: "b2b_transaction_reversed",
      webhook_uri: "https://example.com/k2/webhooks",
      scope_reference: null,
    });
  });

  it("still refuses an answer of another resource's type", async () => {
    const { k2 } = answering(answers.stkPending);
    const error = await getReversalStatus(k2, "rv-1").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnexpectedResponseError);
    expect((error as Error).message).toContain(
      'data.type "incoming_payment" where "reversal" or "reversals" was expected',
    );
  });
});
