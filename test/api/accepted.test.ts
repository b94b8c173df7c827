/**
 * What K2's docs and the official SDKs send is accepted, and K2 receives it in the form its docs
 * show: each case is a body as an SDK (or the docs) writes it, and the exact JSON sent for it.
 */
import { describe, expect, it } from "vitest";
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
  pollTransactions,
  sendMoney,
  type K2Connection,
} from "../../src/api/index.ts";
import { capture, ORIGIN } from "./capture.ts";
import { CALLBACK } from "../../sandbox/samples.ts";

// What JavaScript callers and the SDKs' shapes pass, beyond the TypeScript types.
const loose = (value: object) => value as never;

interface Case {
  name: string;
  call: (k2: K2Connection) => Promise<unknown>;
  path: string;
  /** Exactly the JSON K2 must receive, in this order. */
  sent: object;
}

const stk = (subscriber: object, extra: object = {}) => ({
  payment_channel: "M-PESA STK Push",
  till_number: "K000000",
  subscriber,
  amount: { currency: "KES", value: "20" },
  _links: CALLBACK,
  ...extra,
});
const phones = ["+254712345678", "254712345678", "0712345678", "712345678"];

const cases: Case[] = [
  {
    name: "STK push with every absent optional field null (Ruby, Python, PHP, Flutter)",
    call: (k2) =>
      createStkPush(
        k2,
        loose(
          stk(
            { first_name: null, middle_name: null, last_name: null, phone_number: "+254712345678", email: null },
            { metadata: null },
          ),
        ),
      ),
    path: "/api/v2/incoming_payments",
    sent: stk({ phone_number: "+254712345678" }),
  },
  ...phones.map((phone_number): Case => ({
    name: `STK push phone ${phone_number}, sent as +254…`,
    call: (k2) => createStkPush(k2, loose(stk({ first_name: "Jane", last_name: "Doe", phone_number }))),
    path: "/api/v2/incoming_payments",
    sent: stk({ first_name: "Jane", last_name: "Doe", phone_number: "+254712345678" }),
  })),
  ...["M-PESA", "M-PESA STK PUSH", "MPESA", "M-PESA STK Push"].map((payment_channel): Case => ({
    name: `STK push payment_channel ${JSON.stringify(payment_channel)}, sent as "M-PESA STK Push"`,
    call: (k2) => createStkPush(k2, loose({ ...stk({ phone_number: "+254712345678" }), payment_channel })),
    path: "/api/v2/incoming_payments",
    sent: stk({ phone_number: "+254712345678" }),
  })),
  {
    name: "STK push with a numeric till number and amount, sent as strings",
    call: (k2) =>
      createStkPush(
        k2,
        loose({ ...stk({ phone_number: "0712345678" }), till_number: 555555, amount: { currency: "KES", value: 20 } }),
      ),
    path: "/api/v2/incoming_payments",
    sent: { ...stk({ phone_number: "+254712345678" }), till_number: "555555" },
  },
  {
    name: "send money to my own accounts with destinations: [] (docs' blind transfer, Python)",
    call: (k2) =>
      sendMoney(k2, { source_identifier: null, currency: "KES", destinations: [], metadata: null, _links: CALLBACK }),
    path: "/api/v2/send_money",
    sent: { currency: "KES", destinations: [], _links: CALLBACK },
  },
  {
    name: "send money: docs' merchant destination with description null; Node's nickname and favourite",
    call: (k2) =>
      sendMoney(k2, {
        currency: "KES",
        destinations: [
          { type: "merchant_wallet", reference: "w-1", amount: 2000, description: null },
          { type: "merchant_bank_account", reference: "b-1", amount: "500", nickname: "Main", favourite: false },
        ],
        _links: CALLBACK,
      }),
    path: "/api/v2/send_money",
    sent: {
      currency: "KES",
      destinations: [
        { type: "merchant_wallet", reference: "w-1", amount: "2000" },
        { type: "merchant_bank_account", reference: "b-1", amount: "500", nickname: "Main", favourite: false },
      ],
      _links: CALLBACK,
    },
  },
  ...phones.map((phone_number): Case => ({
    name: `send money wallet phone ${phone_number}, sent as 254…; null nickname and favourite left out`,
    call: (k2) =>
      sendMoney(k2, {
        currency: "KES",
        destinations: [
          {
            type: "mobile_wallet",
            phone_number,
            network: "Safaricom",
            nickname: null,
            amount: 500,
            description: "Refund",
            favourite: null,
          },
        ],
        _links: CALLBACK,
      }),
    path: "/api/v2/send_money",
    sent: {
      currency: "KES",
      destinations: [
        {
          type: "mobile_wallet",
          phone_number: "254712345678",
          network: "Safaricom",
          amount: "500",
          description: "Refund",
        },
      ],
      _links: CALLBACK,
    },
  })),
  {
    name: "send money to a bank, a till and a paybill given numbers, sent as strings",
    call: (k2) =>
      sendMoney(k2, {
        currency: "KES",
        destinations: [
          {
            type: "bank_account",
            bank_branch_ref: "633aa26c",
            account_name: "Jane",
            account_number: 1234567890,
            amount: 1000.5,
            description: "Invoice",
          },
          { type: "till", till_number: 112233, amount: "1200", description: "Stock" },
          { type: "paybill", paybill_number: 888880, paybill_account_number: 42, amount: 300, description: "Power" },
        ],
        _links: CALLBACK,
      }),
    path: "/api/v2/send_money",
    sent: {
      currency: "KES",
      destinations: [
        {
          type: "bank_account",
          bank_branch_ref: "633aa26c",
          account_name: "Jane",
          account_number: "1234567890",
          amount: "1000.5",
          description: "Invoice",
        },
        { type: "till", till_number: "112233", amount: "1200", description: "Stock" },
        {
          type: "paybill",
          paybill_number: "888880",
          paybill_account_number: "42",
          amount: "300",
          description: "Power",
        },
      ],
      _links: CALLBACK,
    },
  },
  {
    name: "v2 bank account recipient without settlement_method (Python, Ruby), Ruby's nested type kept",
    call: (k2) =>
      createExternalRecipient(
        k2,
        loose({
          type: "bank_account",
          external_recipient: {
            type: "bank_account",
            account_name: "Jane Doe",
            bank_branch_ref: "633aa26c",
            account_number: 1234567890,
            settlement_method: null,
            nickname: null,
          },
        }),
      ),
    path: "/api/v2/external_recipients",
    sent: {
      type: "bank_account",
      external_recipient: {
        type: "bank_account",
        account_name: "Jane Doe",
        bank_branch_ref: "633aa26c",
        account_number: "1234567890",
      },
    },
  },
  ...phones.map((phone_number): Case => ({
    name: `recipient wallet phone ${phone_number}, sent as +254… (the recipient docs' form)`,
    call: (k2) =>
      createExternalRecipient(k2, {
        type: "mobile_wallet",
        external_recipient: { first_name: "Jane", last_name: "Doe", phone_number, network: "Safaricom", email: null },
      }),
    path: "/api/v2/external_recipients",
    sent: {
      type: "mobile_wallet",
      external_recipient: { first_name: "Jane", last_name: "Doe", phone_number: "+254712345678", network: "Safaricom" },
    },
  })),
  {
    name: "v1 pay recipient: a till given as a number",
    call: (k2) => createPayRecipient(k2, { type: "till", pay_recipient: { till_name: "Shop", till_number: 112233 } }),
    path: "/api/v1/pay_recipients",
    sent: { type: "till", pay_recipient: { till_name: "Shop", till_number: "112233" } },
  },
  {
    name: "merchant wallet phone 0712345678, sent as +254…; null email and nickname left out",
    call: (k2) =>
      createMerchantWallet(k2, {
        first_name: "Jane",
        last_name: "Doe",
        phone_number: "0712345678",
        network: "Safaricom",
        email: null,
        nickname: null,
      }),
    path: "/api/v2/merchant_wallets",
    sent: { first_name: "Jane", last_name: "Doe", phone_number: "+254712345678", network: "Safaricom" },
  },
  {
    name: "merchant bank account with a numeric account number",
    call: (k2) =>
      createMerchantBankAccount(k2, {
        account_name: "Shop",
        settlement_method: "EFT",
        bank_branch_ref: "633aa26c",
        account_number: 1234567890,
      }),
    path: "/api/v2/merchant_bank_accounts",
    sent: { account_name: "Shop", settlement_method: "EFT", bank_branch_ref: "633aa26c", account_number: "1234567890" },
  },
  {
    name: "v1 whole-balance settlement transfer as Node sent it: amount {}",
    call: (k2) => createSettlementTransfer(k2, { amount: {}, _links: CALLBACK }),
    path: "/api/v1/settlement_transfers",
    sent: { _links: CALLBACK },
  },
  {
    name: "v1 whole-balance settlement transfer as PHP sends it: nulls",
    call: (k2) =>
      createSettlementTransfer(k2, {
        amount: { currency: "KES", value: null },
        destination_type: null,
        destination_reference: null,
        _links: CALLBACK,
      }),
    path: "/api/v1/settlement_transfers",
    sent: { _links: CALLBACK },
  },
  {
    name: "v1 pay with null category, tags and metadata",
    call: (k2) =>
      createPayment(k2, {
        destination_type: "till",
        destination_reference: "r-1",
        amount: { currency: "KES", value: 2000 },
        description: "Stock",
        category: null,
        tags: null,
        metadata: null,
        _links: CALLBACK,
      }),
    path: "/api/v1/payments",
    sent: {
      destination_type: "till",
      destination_reference: "r-1",
      amount: { currency: "KES", value: "2000" },
      description: "Stock",
      _links: CALLBACK,
    },
  },
  ...(["", null] as const).map((scope_reference): Case => ({
    name: `company polling with scope_reference ${JSON.stringify(scope_reference)} (docs, Ruby/Python/PHP)`,
    call: (k2) =>
      pollTransactions(k2, {
        scope: "company",
        scope_reference,
        from_time: "2026-11-21T00:00:00+03:00",
        to_time: "2026-11-22T00:00:00+03:00",
        _links: CALLBACK,
      }),
    path: "/api/v2/polling",
    sent: {
      scope: "company",
      from_time: "2026-11-21T00:00:00+03:00",
      to_time: "2026-11-22T00:00:00+03:00",
      _links: CALLBACK,
    },
  })),
  ...(["", null] as const).map((scope_reference): Case => ({
    name: `company webhook subscription with scope_reference ${JSON.stringify(scope_reference)}, for b2b_transaction_reversed`,
    call: (k2) =>
      createWebhookSubscription(k2, {
        event_type: "b2b_transaction_reversed",
        url: "https://example.com/k2/webhooks",
        scope: "company",
        scope_reference,
        enable_daraja_payload: null,
      }),
    path: "/api/v2/webhook_subscriptions",
    sent: { event_type: "b2b_transaction_reversed", url: "https://example.com/k2/webhooks", scope: "company" },
  })),
  {
    name: "till polling with a numeric till number",
    call: (k2) =>
      pollTransactions(k2, {
        scope: "till",
        scope_reference: 555555,
        from_time: "2026-11-21T00:00:00Z",
        to_time: "2026-11-22T00:00:00Z",
        _links: CALLBACK,
      }),
    path: "/api/v2/polling",
    sent: {
      scope: "till",
      scope_reference: "555555",
      from_time: "2026-11-21T00:00:00Z",
      to_time: "2026-11-22T00:00:00Z",
      _links: CALLBACK,
    },
  },
  {
    name: "payment link with null payment_reference, note and metadata, numeric till and amount",
    call: (k2) =>
      createPaymentLink(k2, {
        till_number: 555555,
        currency: "KES",
        amount: 1500,
        payment_reference: null,
        note: null,
        metadata: null,
        _links: CALLBACK,
      }),
    path: "/api/v2/payment_links",
    sent: { till_number: "555555", currency: "KES", amount: "1500", _links: CALLBACK },
  },
  {
    name: "reversal with null metadata",
    call: (k2) =>
      createReversal(k2, { transaction_reference: "OJM6Q1W84K", reason: "Twice", metadata: null, _links: CALLBACK }),
    path: "/api/v2/reversals",
    sent: { transaction_reference: "OJM6Q1W84K", reason: "Twice", _links: CALLBACK },
  },
  {
    name: "fields K2 does not have are sent as given (K2 ignores them)",
    call: (k2) =>
      createReversal(k2, loose({ transaction_reference: "T1", reason: "R", _links: CALLBACK, channel: "web" })),
    path: "/api/v2/reversals",
    sent: { transaction_reference: "T1", reason: "R", _links: CALLBACK, channel: "web" },
  },
  {
    name: "a v2-only field on v1 is sent as given (K2 ignores it)",
    call: (k2) =>
      createMerchantWallet(
        k2,
        { first_name: "J", last_name: "D", phone_number: "+254712345678", network: "Safaricom", nickname: "Mine" },
        { version: "v1" },
      ),
    path: "/api/v1/merchant_wallets",
    sent: { first_name: "J", last_name: "D", phone_number: "+254712345678", network: "Safaricom", nickname: "Mine" },
  },
];

describe("accepted, and sent in K2's documented form", () => {
  for (const { name, call, path, sent } of cases) {
    it(name, async () => {
      const { k2, requests } = capture();
      await expect(call(k2)).resolves.toMatch(new RegExp(`^${ORIGIN}${path}/`));
      expect(requests).toHaveLength(1);
      expect(requests[0]).toMatchObject({ method: "POST", url: `${ORIGIN}${path}` });
      expect(requests[0]!.headers["content-type"]).toBe("application/json");
      expect(requests[0]!.body).toBe(JSON.stringify(sent));
    });
  }
});

describe("cancelling a payment link", () => {
  it("posts {} as JSON to {location}/cancel, as the SDKs do", async () => {
    const { k2, requests } = capture();
    const answer = await cancelPaymentLink(k2, `${ORIGIN}/api/v2/payment_links/pl-1`);
    expect(answer).toEqual({ message: "Payment link cancelled." });
    expect(requests).toEqual([
      {
        method: "POST",
        url: `${ORIGIN}/api/v2/payment_links/pl-1/cancel`,
        headers: { "content-type": "application/json", accept: "application/json" },
        body: "{}",
      },
    ]);
  });
});
