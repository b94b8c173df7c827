/**
 * The local K2's answers, read through the typed status calls: what holds the sandbox and the
 * typed API together. Each resource is created through the typed call, ended by the sandbox, and
 * read back; the fields the corrected facts name must come out where the types say they are.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createExternalRecipient,
  createMerchantBankAccount,
  createPaymentLink,
  createReversal,
  createStkPush,
  createWebhookSubscription,
  getMerchantBankAccountStatus,
  getPaymentLinkStatus,
  getPollingStatus,
  getRecipientStatus,
  getReversalStatus,
  getSendMoneyStatus,
  getStkPushStatus,
  getWebhookSubscriptionStatus,
  pollTransactions,
  sendMoney,
} from "../../src/api/index.ts";
import { K2Client } from "../../src/index.ts";
import { DEV_CLIENT } from "../../sandbox/credentials.ts";
import { K2Sandbox } from "../../sandbox/server.ts";
import * as fixture from "../../sandbox/samples.ts";

let sandbox: K2Sandbox;
let k2: K2Client;

beforeAll(async () => {
  // Payments end only when settled here; results go to loopback only, and nowhere is listening.
  sandbox = await new K2Sandbox({
    processingDelayMs: Infinity,
    callbackRetries: 0,
    loopbackCallbacksOnly: true,
  }).listen();
  k2 = new K2Client({ ...DEV_CLIENT, baseUrl: sandbox.url });
});
afterAll(() => sandbox.close());

const settle = (location: string) => expect(sandbox.settle(location.split("/").at(-1)!)).toBe(true);

describe("the sandbox's answers, typed", () => {
  it("an STK push: Pending, then Success with the buygoods transaction as its event resource", async () => {
    const location = await createStkPush(k2, fixture.stkPush);
    expect((await getStkPushStatus(k2, location)).data.attributes.status).toBe("Pending");
    settle(location);
    const { attributes } = (await getStkPushStatus(k2, location)).data;
    expect(attributes.status).toBe("Success");
    expect(attributes.event?.resource?.reference).toEqual(expect.any(String));
    expect(attributes.event?.resource?.status).toBe("Received");
  });

  it("a payment link: its own status inside the payment_link object, the request Processed", async () => {
    const location = await createPaymentLink(k2, fixture.paymentLink);
    const { attributes } = (await getPaymentLinkStatus(k2, location)).data;
    expect(attributes.status).toBe("Processed");
    expect(typeof attributes.payment_link).toBe("object");
    expect(attributes.payment_link?.payment_link_status).toEqual(expect.any(String));
    expect(attributes.payment_link?.link).toEqual(expect.any(String));
  });

  it("polling: every transaction an envelope of type and resource", async () => {
    await createStkPush(k2, fixture.stkPush).then(settle);
    const window = {
      from_time: new Date(Date.now() - 3600_000).toISOString(),
      to_time: new Date(Date.now() + 60_000).toISOString(),
    };
    const location = await pollTransactions(k2, { ...fixture.companyPolling, ...window });
    settle(location);
    const { attributes } = (await getPollingStatus(k2, location)).data;
    expect(attributes.scope).toBe("Company");
    expect(attributes.transactions?.length).toBeGreaterThan(0);
    for (const transaction of attributes.transactions ?? []) {
      expect(transaction.type).toEqual(expect.any(String));
      expect(transaction.resource?.reference).toEqual(expect.any(String));
    }
  });

  it("a recipient and a merchant account: Approved, with the reference later paid to", async () => {
    const recipient = await createExternalRecipient(k2, fixture.externalRecipients.mobile_wallet);
    const r = (await getRecipientStatus(k2, recipient)).data.attributes;
    expect(r.status).toBe("Approved");
    expect(r.recipient_type).toEqual(expect.any(String));
    expect(r.recipient_reference).toEqual(expect.any(String));
    const account = await createMerchantBankAccount(k2, fixture.merchantBankAccount);
    const a = (await getMerchantBankAccountStatus(k2, account)).data.attributes;
    expect(a.status).toBe("Approved");
    expect(a.account_reference).toEqual(expect.any(String));
  });

  it("send money to my own accounts: destinations and batches may be null, and are read as such", async () => {
    const location = await sendMoney(k2, fixture.sendMoneyToOwnAccounts);
    const { attributes } = (await getSendMoneyStatus(k2, location)).data;
    expect(attributes.currency).toBe("KES");
    expect(attributes.destinations === null || Array.isArray(attributes.destinations)).toBe(true);
  });

  it("a reversal of a received payment, whichever spelling of its type K2 answers", async () => {
    const paid = await createStkPush(k2, fixture.stkPush);
    settle(paid);
    const reference = (await getStkPushStatus(k2, paid)).data.attributes.event!.resource!.reference!;
    const location = await createReversal(k2, { ...fixture.reversal, transaction_reference: reference });
    const status = await getReversalStatus(k2, location);
    expect(["reversal", "reversals"]).toContain(status.data.type);
    expect(status.data.attributes.status).toEqual(expect.any(String));
  });

  it("a webhook subscription: the URL answered as webhook_uri", async () => {
    const location = await createWebhookSubscription(k2, fixture.companySubscription);
    const { attributes } = (await getWebhookSubscriptionStatus(k2, location)).data;
    expect(attributes.webhook_uri).toBe(fixture.companySubscription.url);
    expect(attributes.event_type).toBe(fixture.companySubscription.event_type);
  });
});
