/**
 * Every documented K2 resource against the K2-shaped sandbox: the exact JSON K2 receives for each
 * resource and variant (the fixtures are in K2's documented form, so they are sent as written),
 * where it goes, and the status read back from the Location. The typed answer shapes themselves
 * are tested on fixtures in statuses.test.ts, not on the sandbox's answers.
 */
import { afterAll, describe, expect, expectTypeOf, it } from "vitest";
import {
  cancelPaymentLink,
  createExternalRecipient,
  createMerchantBankAccount,
  createMerchantWallet,
  createPayment,
  createPaymentLink,
  createPayRecipient,
  createReversal,
  createSettlementTransfer,
  createStkPush,
  createWebhookSubscription,
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
  pollTransactions,
  sendMoney,
  sendTransactionSmsNotification,
  type K2Resource,
} from "../../src/api/index.ts";
import { K2ApiError, K2Client } from "../../src/index.ts";
import { DEV_CLIENT } from "../../sandbox/credentials.ts";
import { K2Sandbox } from "../../sandbox/server.ts";
import * as fixture from "../../sandbox/samples.ts";

interface Case {
  name: string;
  /** Where K2 must receive the POST. */
  path: string;
  /** The request, which is also exactly the JSON K2 must receive. */
  body: object;
  create: (k2: K2Client) => Promise<string>;
  status: (k2: K2Client, location: string) => Promise<K2Resource<string, object>>;
  type: string;
}

const cases: Case[] = [
  {
    name: "STK push (v2)",
    path: "/api/v2/incoming_payments",
    body: fixture.stkPush,
    create: (k2) => createStkPush(k2, fixture.stkPush),
    status: (k2, location) => getStkPushStatus(k2, location),
    type: "incoming_payment",
  },
  {
    name: "STK push (v1 on request)",
    path: "/api/v1/incoming_payments",
    body: fixture.stkPush,
    create: (k2) => createStkPush(k2, fixture.stkPush, { version: "v1" }),
    status: (k2, location) => getStkPushStatus(k2, location),
    type: "incoming_payment",
  },
  ...Object.values(fixture.externalRecipients).map((request): Case => ({
    name: `external recipient: ${request.type}`,
    path: "/api/v2/external_recipients",
    body: request,
    create: (k2) => createExternalRecipient(k2, request),
    status: (k2, location) => getRecipientStatus(k2, location),
    type: "external_recipient",
  })),
  ...Object.values(fixture.payRecipients).map((request): Case => ({
    name: `pay recipient (v1): ${request.type}`,
    path: "/api/v1/pay_recipients",
    body: request,
    create: (k2) => createPayRecipient(k2, request),
    status: (k2, location) => getRecipientStatus(k2, location, { version: "v1" }),
    type: "pay_recipient",
  })),
  ...Object.values(fixture.destinations).map((destination): Case => ({
    name: `send money to a ${destination.type}`,
    path: "/api/v2/send_money",
    body: fixture.sendMoneyTo(destination),
    create: (k2) => sendMoney(k2, fixture.sendMoneyTo(destination)),
    status: (k2, location) => getSendMoneyStatus(k2, location),
    type: "send_money",
  })),
  {
    name: "send money to every destination type at once",
    path: "/api/v2/send_money",
    body: fixture.sendMoneyTo(...Object.values(fixture.destinations)),
    create: (k2) => sendMoney(k2, fixture.sendMoneyTo(...Object.values(fixture.destinations))),
    status: (k2, location) => getSendMoneyStatus(k2, location),
    type: "send_money",
  },
  {
    name: "send money to my own accounts (no destinations)",
    path: "/api/v2/send_money",
    body: fixture.sendMoneyToOwnAccounts,
    create: (k2) => sendMoney(k2, fixture.sendMoneyToOwnAccounts),
    status: (k2, location) => getSendMoneyStatus(k2, location),
    type: "send_money",
  },
  {
    name: "pay (v1)",
    path: "/api/v1/payments",
    body: fixture.pay,
    create: (k2) => createPayment(k2, fixture.pay),
    status: (k2, location) => getPaymentStatus(k2, location),
    type: "payment",
  },
  {
    name: "merchant bank account (v2, with nickname)",
    path: "/api/v2/merchant_bank_accounts",
    body: fixture.merchantBankAccount,
    create: (k2) => createMerchantBankAccount(k2, fixture.merchantBankAccount),
    status: (k2, location) => getMerchantBankAccountStatus(k2, location),
    type: "merchant_bank_account",
  },
  {
    name: "merchant bank account (v1)",
    path: "/api/v1/merchant_bank_accounts",
    body: { ...fixture.merchantBankAccount, nickname: undefined },
    create: (k2) =>
      createMerchantBankAccount(k2, { ...fixture.merchantBankAccount, nickname: undefined }, { version: "v1" }),
    status: (k2, location) => getMerchantBankAccountStatus(k2, location, { version: "v1" }),
    type: "merchant_bank_account",
  },
  {
    name: "merchant wallet (v2)",
    path: "/api/v2/merchant_wallets",
    body: fixture.merchantWallet,
    create: (k2) => createMerchantWallet(k2, fixture.merchantWallet),
    status: (k2, location) => getMerchantWalletStatus(k2, location),
    type: "merchant_wallet",
  },
  {
    name: "merchant wallet (v1)",
    path: "/api/v1/merchant_wallets",
    body: { ...fixture.merchantWallet, nickname: undefined },
    create: (k2) => createMerchantWallet(k2, { ...fixture.merchantWallet, nickname: undefined }, { version: "v1" }),
    status: (k2, location) => getMerchantWalletStatus(k2, location),
    type: "merchant_wallet",
  },
  {
    name: "settlement transfer (v1) to one account",
    path: "/api/v1/settlement_transfers",
    body: fixture.settlementTransfer,
    create: (k2) => createSettlementTransfer(k2, fixture.settlementTransfer),
    status: (k2, location) => getSettlementTransferStatus(k2, location),
    type: "settlement_transfer",
  },
  {
    name: "settlement transfer (v1) of the whole balance",
    path: "/api/v1/settlement_transfers",
    body: fixture.wholeBalanceTransfer,
    create: (k2) => createSettlementTransfer(k2, fixture.wholeBalanceTransfer),
    status: (k2, location) => getSettlementTransferStatus(k2, location),
    type: "settlement_transfer",
  },
  {
    name: "polling a till (v2)",
    path: "/api/v2/polling",
    body: fixture.tillPolling,
    create: (k2) => pollTransactions(k2, fixture.tillPolling),
    status: (k2, location) => getPollingStatus(k2, location),
    type: "polling",
  },
  {
    name: "polling the company (v1)",
    path: "/api/v1/polling",
    body: fixture.companyPolling,
    create: (k2) => pollTransactions(k2, fixture.companyPolling, { version: "v1" }),
    status: (k2, location) => getPollingStatus(k2, location),
    type: "polling",
  },
  {
    name: "payment link (v2)",
    path: "/api/v2/payment_links",
    body: fixture.paymentLink,
    create: (k2) => createPaymentLink(k2, fixture.paymentLink),
    status: (k2, location) => getPaymentLinkStatus(k2, location),
    type: "payment_link",
  },
  {
    name: "reversal (v2)",
    path: "/api/v2/reversals",
    body: fixture.reversal,
    create: (k2) => createReversal(k2, fixture.reversal),
    status: (k2, location) => getReversalStatus(k2, location),
    type: "reversal",
  },
  {
    name: "transaction SMS notification (v1)",
    path: "/api/v1/transaction_sms_notifications",
    body: fixture.smsNotification,
    create: (k2) => sendTransactionSmsNotification(k2, fixture.smsNotification),
    status: (k2, location) => getTransactionSmsNotificationStatus(k2, location),
    type: "transaction_sms_notification",
  },
  {
    name: "webhook subscription for a till, with the Daraja payload (v2)",
    path: "/api/v2/webhook_subscriptions",
    body: fixture.tillSubscription,
    create: (k2) => createWebhookSubscription(k2, fixture.tillSubscription),
    status: (k2, location) => getWebhookSubscriptionStatus(k2, location),
    type: "webhook_subscription",
  },
  {
    name: "webhook subscription for the company (v1)",
    path: "/api/v1/webhook_subscriptions",
    body: fixture.companySubscription,
    create: (k2) => createWebhookSubscription(k2, fixture.companySubscription, { version: "v1" }),
    status: (k2, location) => getWebhookSubscriptionStatus(k2, location, { version: "v1" }),
    type: "webhook_subscription",
  },
];

const servers: K2Sandbox[] = [];
afterAll(() => Promise.all(servers.map((server) => server.close())));

async function setup(
  locationStyle: "prefixed" | "unprefixed" = "prefixed",
): Promise<{ server: K2Sandbox; k2: K2Client }> {
  const server = await new K2Sandbox({ locationStyle }).listen();
  servers.push(server);
  return { server, k2: new K2Client({ ...DEV_CLIENT, baseUrl: server.url }) };
}

/** The request as JSON parses it back: everything but `undefined` fields, which JSON drops. */
const echoed = (body: object) => JSON.parse(JSON.stringify(body)) as Record<string, unknown>;

for (const locationStyle of ["prefixed", "unprefixed"] as const) {
  describe(`every resource, with ${locationStyle} Locations`, () => {
    for (const resource of cases) {
      it(`${resource.name}: sends exactly K2's JSON, answers the Location and reads the typed status`, async () => {
        const { server, k2 } = await setup(locationStyle);

        const location = await resource.create(k2);

        const posts = server.requests.filter(
          (request) => request.method === "POST" && !request.path.startsWith("/oauth"),
        );
        expect(posts).toHaveLength(1);
        const [post] = posts;
        expect(post.path).toBe(resource.path);
        expect(post.body).toBe(JSON.stringify(resource.body));
        expect(JSON.parse(post.body)).toEqual(echoed(resource.body));
        expect(post.headers["content-type"]).toBe("application/json");
        expect(post.headers.accept).toBe("application/json");
        expect(post.headers.authorization).toMatch(/^Bearer .{20,}/);

        const id = location.split("/").at(-1)!;
        const collection = resource.path.split("/").at(-1);
        const version = resource.path.split("/")[2];
        expect(location).toBe(
          locationStyle === "prefixed"
            ? `${server.url}/api/${version}/${collection}/${id}`
            : `${server.url}/${collection}/${id}`,
        );

        const status = await resource.status(k2, location);
        expect(server.requests.at(-1)).toMatchObject({ method: "GET", path: new URL(location).pathname });
        expect(status.data.id).toBe(id);
        expect(status.data.type).toBe(resource.type);
      });
    }
  });
}

describe("status calls", () => {
  it("take an id instead of a location, on v2 by default and on v1 when asked", async () => {
    const { server, k2 } = await setup();
    const v2 = (await createStkPush(k2, fixture.stkPush)).split("/").at(-1)!;
    const v1 = (await createMerchantWallet(k2, { ...fixture.merchantWallet, nickname: undefined }, { version: "v1" }))
      .split("/")
      .at(-1)!;

    expect((await getStkPushStatus(k2, v2)).data.id).toBe(v2);
    expect(server.requests.at(-1)!.path).toBe(`/api/v2/incoming_payments/${v2}`);
    expect((await getMerchantWalletStatus(k2, v1, { version: "v1" })).data.id).toBe(v1);
    expect(server.requests.at(-1)!.path).toBe(`/api/v1/merchant_wallets/${v1}`);
  });

  it("take a path on the K2 origin", async () => {
    const { server, k2 } = await setup();
    const location = await createReversal(k2, fixture.reversal);
    const status = await getReversalStatus(k2, new URL(location).pathname);
    expect(status.data.id).toBe(location.split("/").at(-1));
    expect(server.requests.at(-1)!.path).toBe(new URL(location).pathname);
  });

  it("answer typed resources", async () => {
    const { k2 } = await setup();
    const status = await getStkPushStatus(k2, await createStkPush(k2, fixture.stkPush));
    expectTypeOf(status.data.type).toEqualTypeOf<"incoming_payment">();
    expectTypeOf(status.data.attributes.event).toMatchTypeOf<{ type?: string } | undefined>();
    const subscription = await getWebhookSubscriptionStatus(
      k2,
      await createWebhookSubscription(k2, fixture.tillSubscription),
    );
    expectTypeOf(subscription.data.attributes.webhook_uri).toEqualTypeOf<string | undefined>();
    expect(subscription.data.attributes.webhook_uri).toBe("https://example.com/k2/webhooks");
    expect(status.data.attributes._links).toMatchObject({
      callback_url: fixture.CALLBACK.callback_url,
      self: expect.stringContaining(status.data.id),
    });
  });
});

describe("payment links", () => {
  for (const locationStyle of ["prefixed", "unprefixed"] as const) {
    it(`cancel with {} as JSON to {location}/cancel (${locationStyle})`, async () => {
      const { server, k2 } = await setup(locationStyle);
      const location = await createPaymentLink(k2, fixture.paymentLink);

      const answer = await cancelPaymentLink(k2, location);

      expect(answer.message).toMatch(/cancelled/i);
      const cancel = server.requests.at(-1)!;
      expect(cancel).toMatchObject({ method: "POST", path: `${new URL(location).pathname}/cancel`, body: "{}" });
      expect(cancel.headers["content-type"]).toBe("application/json");
      expect(cancel.path).not.toContain("//");
      expect((await getPaymentLinkStatus(k2, location)).data.type).toBe("payment_link");
    });
  }

  it("cancel at a location with a query, keeping the query after /cancel", async () => {
    const { server, k2 } = await setup();
    const location = await createPaymentLink(k2, fixture.paymentLink);
    await cancelPaymentLink(k2, `${location}?source=dashboard`);
    expect(server.requests.at(-1)!.path).toBe(`${new URL(location).pathname}/cancel?source=dashboard`);
  });

  it("cancel by id, and report K2's refusal of a second cancel as a K2ApiError", async () => {
    const { server, k2 } = await setup();
    const id = (await createPaymentLink(k2, fixture.paymentLink)).split("/").at(-1)!;

    await cancelPaymentLink(k2, id);
    expect(server.requests.at(-1)!.path).toBe(`/api/v2/payment_links/${id}/cancel`);
    const error = await cancelPaymentLink(k2, id).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(K2ApiError);
    expect(error).toMatchObject({ status: 400, messages: ["Payment link is already cancelled"] });
  });
});
