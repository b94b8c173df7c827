/**
 * The documented verdict on request bodies (sandbox/samples/bodies.ts, written from K2's docs and the
 * SDKs alone, and also run against the sandbox) held against the typed API's validators: every
 * body K2 accepts is sent, every body K2 refuses is refused here with the fields K2 names. A
 * missing parent object (`_links`) stands for the fields K2 names inside it (`_links.callback_url`).
 */
import { describe, expect, it } from "vitest";
import * as api from "../../src/api/index.ts";
import { K2ValidationError, type K2Connection, type K2VersionedCallOptions } from "../../src/api/index.ts";
import { BODIES } from "../../sandbox/samples.ts";
import { capture } from "./capture.ts";

type Create = (k2: K2Connection, body: never, options: K2VersionedCallOptions) => Promise<string>;

/** The create call for each collection. */
const CREATES: Record<string, Create> = {
  incoming_payments: api.createStkPush,
  external_recipients: api.createExternalRecipient,
  pay_recipients: api.createPayRecipient,
  payments: api.createPayment,
  send_money: api.sendMoney,
  settlement_transfers: api.createSettlementTransfer,
  merchant_bank_accounts: api.createMerchantBankAccount,
  merchant_wallets: api.createMerchantWallet,
  polling: api.pollTransactions,
  payment_links: api.createPaymentLink,
  reversals: api.createReversal,
  transaction_sms_notifications: api.sendTransactionSmsNotification,
  webhook_subscriptions: api.createWebhookSubscription,
};

describe("the documented verdict on every body", () => {
  it("covers every create call", () => {
    const collections = new Set(BODIES.map((body) => body.path.split("/").at(-1)!));
    expect([...collections].sort()).toEqual(Object.keys(CREATES).sort());
  });

  for (const { name, path, body, verdict, fields = [] } of BODIES) {
    it(`${verdict}: ${name}`, async () => {
      const [, , version, collection] = path.split("/") as [string, string, "v1" | "v2", string];
      const { k2, requests } = capture();
      const outcome = await CREATES[collection]!(k2, body as never, { version }).then(
        () => undefined,
        (e: unknown) => e,
      );
      if (verdict === "accepted") {
        expect(outcome).toBeUndefined();
        expect(requests.map((request) => new URL(request.url).pathname)).toEqual([path]);
        return;
      }
      expect(outcome).toBeInstanceOf(K2ValidationError);
      expect(requests).toEqual([]);
      const paths = (outcome as K2ValidationError).problems.map((problem) => problem.path);
      const covers = (path: string, field: string) => field === path || field.startsWith(`${path}.`);
      for (const field of fields)
        expect(
          paths.some((path) => covers(path, field)),
          `${field} in ${paths}`,
        ).toBe(true);
      for (const path of paths)
        expect(
          fields.some((field) => covers(path, field)),
          `${path} in ${fields}`,
        ).toBe(true);
    });
  }
});
