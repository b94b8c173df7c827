/**
 * What is still refused: only what K2 certainly refuses (and, in strict mode, fields K2 does not
 * have). Each refusal throws one K2ValidationError listing every problem with its field path, and
 * nothing is sent.
 */
import { describe, expect, it } from "vitest";
import {
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
  K2ValidationError,
  pollTransactions,
  sendMoney,
  sendTransactionSmsNotification,
} from "../../src/api/index.ts";
import { K2EdgeError } from "../../src/index.ts";
import { capture } from "./capture.ts";
import * as fixture from "../../sandbox/samples.ts";

const { k2, requests } = capture();

/** Runs a call that must be refused, and answers the problems it listed. */
async function refused(call: Promise<unknown>): Promise<{ path: string; message: string }[]> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(K2ValidationError);
  expect(error).toBeInstanceOf(K2EdgeError);
  expect(requests).toEqual([]);
  return [...(error as K2ValidationError).problems];
}

// Invalid on purpose: what a JavaScript caller, or a cast, can pass.
const bad = <T>(value: unknown) => value as T;

describe("required fields", () => {
  it("lists every missing field of an STK push at once, with its path", async () => {
    const problems = await refused(createStkPush(k2, bad({ subscriber: {}, amount: {}, _links: {} })));
    expect(problems).toEqual([
      { path: "payment_channel", message: "is required" },
      { path: "till_number", message: "is required" },
      { path: "subscriber.phone_number", message: "is required" },
      { path: "amount.currency", message: "is required" },
      { path: "amount.value", message: "is required" },
      { path: "_links.callback_url", message: "is required" },
    ]);
  });

  it("counts undefined, null, empty and blank strings as missing; refuses a request that is no object", async () => {
    expect(await refused(createReversal(k2, bad(undefined)))).toEqual([{ path: "", message: "must be an object" }]);
    const problems = await refused(
      createReversal(k2, bad({ ...fixture.reversal, transaction_reference: "", reason: null, _links: undefined })),
    );
    expect(problems).toEqual([
      { path: "transaction_reference", message: "is required" },
      { path: "reason", message: "is required" },
      { path: "_links", message: "is required" },
    ]);
    expect(await refused(createReversal(k2, bad({ ...fixture.reversal, reason: "   " })))).toEqual([
      { path: "reason", message: "is required" },
    ]);
  });

  it("refuses missing fields in every resource", async () => {
    const cases: [Promise<unknown>, string[]][] = [
      [
        createExternalRecipient(k2, bad({ type: "till", external_recipient: {} })),
        ["external_recipient.till_name", "external_recipient.till_number"],
      ],
      [
        createPayRecipient(k2, bad({ type: "paybill", pay_recipient: { paybill_name: "x" } })),
        ["pay_recipient.paybill_number", "pay_recipient.paybill_account_number"],
      ],
      [
        createPayRecipient(
          k2,
          bad({
            type: "bank_account",
            pay_recipient: { account_name: "x", bank_branch_ref: "y", account_number: "1" },
          }),
        ),
        ["pay_recipient.settlement_method"],
      ],
      [
        sendMoney(k2, bad({ destinations: [{ type: "till" }, {}] })),
        [
          "currency",
          "_links",
          "destinations[0].till_number",
          "destinations[0].amount",
          "destinations[0].description",
          "destinations[1].type",
        ],
      ],
      [
        sendMoney(k2, bad({ ...fixture.sendMoneyToOwnAccounts, destinations: [{ type: "merchant_wallet" }] })),
        ["destinations[0].reference", "destinations[0].amount"],
      ],
      [
        createPayment(k2, bad({ ...fixture.pay, description: undefined, destination_reference: null })),
        ["destination_reference", "description"],
      ],
      [
        createMerchantBankAccount(k2, bad({ account_name: "x" })),
        ["settlement_method", "bank_branch_ref", "account_number"],
      ],
      [createMerchantWallet(k2, bad({ first_name: "x" })), ["last_name", "phone_number", "network"]],
      [createSettlementTransfer(k2, bad({})), ["_links"]],
      [pollTransactions(k2, bad({ scope: "company" })), ["from_time", "to_time", "_links"]],
      [createPaymentLink(k2, bad({ amount: 10 })), ["till_number", "currency", "_links"]],
      [sendTransactionSmsNotification(k2, bad({ _links: fixture.CALLBACK })), ["webhook_event_reference", "message"]],
      [createWebhookSubscription(k2, bad({ scope: "company" })), ["event_type", "url"]],
      [
        createWebhookSubscription(k2, bad({ event_type: "customer_created", url: "https://example.com/k2" })),
        ["scope"],
      ],
    ];
    for (const [call, paths] of cases) {
      const problems = await refused(call);
      expect(problems.map((p) => p.path)).toEqual(paths);
      expect(problems.every((p) => p.message === "is required")).toBe(true);
    }
  });

  it("refuses values of the wrong kind where K2 takes text", async () => {
    expect(await refused(createReversal(k2, bad({ ...fixture.reversal, reason: 42 })))).toEqual([
      { path: "reason", message: "must be a string" },
    ]);
    expect(await refused(createPaymentLink(k2, bad({ ...fixture.paymentLink, till_number: true })))).toEqual([
      { path: "till_number", message: "must be a string or a number" },
    ]);
  });
});

describe("strict mode", () => {
  it("refuses a field K2 does not have, such as a camelCase name; by default it is sent", async () => {
    const request = bad<typeof fixture.stkPush>({
      ...fixture.stkPush,
      tillNumber: "K000000",
      subscriber: { ...fixture.stkPush.subscriber, phone: "x" },
    });
    expect(await refused(createStkPush(k2, request, { strict: true }))).toEqual([
      { path: "subscriber.phone", message: "is not a K2 field" },
      { path: "tillNumber", message: "is not a K2 field" },
    ]);
    const { k2: lax, sent } = capture();
    await createStkPush(lax, request);
    expect(sent()).toMatchObject({ tillNumber: "K000000", subscriber: { phone: "x" } });
  });

  it("refuses v2-only fields on v1", async () => {
    const strict = { version: "v1", strict: true } as const;
    expect(await refused(createMerchantBankAccount(k2, fixture.merchantBankAccount, strict))).toEqual([
      { path: "nickname", message: "is only accepted on v2" },
    ]);
    expect(await refused(createMerchantWallet(k2, fixture.merchantWallet, strict))).toEqual([
      { path: "nickname", message: "is only accepted on v2" },
    ]);
    expect(
      await refused(
        createPayRecipient(
          k2,
          bad({ type: "till", pay_recipient: { till_name: "a", till_number: "b", nickname: "c" } }),
          { strict: true },
        ),
      ),
    ).toEqual([{ path: "pay_recipient.nickname", message: "is only accepted on v2" }]);
    expect(await refused(createWebhookSubscription(k2, fixture.tillSubscription, strict))).toEqual([
      { path: "enable_daraja_payload", message: "is only accepted on v2" },
    ]);
  });

  it("refuses the Daraja payload for events other than buygoods and b2b received; by default it is sent", async () => {
    const request = { ...fixture.companySubscription, enable_daraja_payload: true };
    expect(await refused(createWebhookSubscription(k2, request, { strict: true }))).toEqual([
      {
        path: "enable_daraja_payload",
        message: "can only be true for buygoods_transaction_received and b2b_transaction_received",
      },
    ]);
    const { k2: lax, sent } = capture();
    await createWebhookSubscription(lax, request);
    expect(sent()).toEqual(request);
  });

  it("keeps every other rule", async () => {
    expect(
      await refused(createReversal(k2, bad({ ...fixture.reversal, reason: null, extra: 1 }), { strict: true })),
    ).toEqual([
      { path: "reason", message: "is required" },
      { path: "extra", message: "is not a K2 field" },
    ]);
  });
});

describe("currency", () => {
  it("is KES only, wherever it appears", async () => {
    const message = 'must be "KES"';
    expect(
      await refused(createStkPush(k2, bad({ ...fixture.stkPush, amount: { currency: "USD", value: 10 } }))),
    ).toEqual([{ path: "amount.currency", message }]);
    expect(await refused(sendMoney(k2, bad({ ...fixture.sendMoneyToOwnAccounts, currency: "kes" })))).toEqual([
      { path: "currency", message },
    ]);
    expect(await refused(createPayment(k2, bad({ ...fixture.pay, amount: { currency: "UGX", value: 1 } })))).toEqual([
      { path: "amount.currency", message },
    ]);
    expect(await refused(createPaymentLink(k2, bad({ ...fixture.paymentLink, currency: "EUR" })))).toEqual([
      { path: "currency", message },
    ]);
    expect(
      await refused(
        createSettlementTransfer(
          k2,
          bad({ ...fixture.wholeBalanceTransfer, amount: { currency: "USD", value: null } }),
        ),
      ),
    ).toEqual([{ path: "amount.currency", message }]);
    expect(
      await refused(
        createSettlementTransfer(k2, bad({ ...fixture.settlementTransfer, amount: { currency: "", value: 1 } })),
      ),
    ).toEqual([{ path: "amount.currency", message: "is required" }]);
  });
});

describe("amounts", () => {
  const message = 'must be a positive number or numeric string, e.g. 250 or "250.00"';
  for (const value of [
    0,
    -5,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    1e21,
    "0",
    "0.00",
    "-1",
    "12abc",
    "1e3",
    " 20",
    "1,000",
    "Infinity",
    true,
    {},
    [],
  ]) {
    it(`refuses ${JSON.stringify(value) ?? String(value)}`, async () => {
      const stk = await refused(createStkPush(k2, bad({ ...fixture.stkPush, amount: { currency: "KES", value } })));
      expect(stk).toEqual([{ path: "amount.value", message }]);
      const link = await refused(createPaymentLink(k2, bad({ ...fixture.paymentLink, amount: value })));
      expect(link).toEqual([{ path: "amount", message }]);
      const destination = await refused(
        sendMoney(k2, bad(fixture.sendMoneyTo({ ...fixture.destinations.till, amount: value } as never))),
      );
      expect(destination).toEqual([{ path: "destinations[0].amount", message }]);
    });
  }

  it("accepts positive numbers and numeric strings, sending them as strings", async () => {
    for (const [value, sent] of [
      [1, "1"],
      [0.5, "0.5"],
      [250, "250"],
      ["1", "1"],
      ["20.0", "20.0"],
      ["1500.50", "1500.50"],
    ] as const) {
      const { k2: ok, sent: body } = capture();
      await createStkPush(ok, { ...fixture.stkPush, amount: { currency: "KES", value } });
      expect(body()).toMatchObject({ amount: { currency: "KES", value: sent } });
    }
  });
});

describe("phone numbers", () => {
  const invalid = [
    "+25471234567",
    "+2547123456789",
    "+254 712 345 678",
    "+255712345678",
    "07123456789",
    "71234567",
    "phone",
    254712345678,
  ];

  it("STK push refuses what is not a Kenyan mobile number", async () => {
    for (const phone_number of invalid) {
      const problems = await refused(
        createStkPush(k2, bad({ ...fixture.stkPush, subscriber: { ...fixture.stkPush.subscriber, phone_number } })),
      );
      expect(problems).toEqual([
        {
          path: "subscriber.phone_number",
          message: "must be a Kenyan mobile number: +254, 254 or 0 and 9 digits, e.g. +254712345678",
        },
      ]);
    }
  });

  it("send money, recipients and merchant wallets too, each naming its own form", async () => {
    for (const phone_number of invalid) {
      expect(
        await refused(
          sendMoney(k2, fixture.sendMoneyTo({ ...fixture.destinations.mobile_wallet, phone_number } as never)),
        ),
      ).toEqual([
        {
          path: "destinations[0].phone_number",
          message: "must be a Kenyan mobile number: +254, 254 or 0 and 9 digits, e.g. 254712345678",
        },
      ]);
      const message = "must be a Kenyan mobile number: +254, 254 or 0 and 9 digits, e.g. +254712345678";
      expect(
        await refused(
          createPayRecipient(
            k2,
            bad({
              type: "mobile_wallet",
              pay_recipient: { first_name: "J", last_name: "D", phone_number, network: "Safaricom" },
            }),
          ),
        ),
      ).toEqual([{ path: "pay_recipient.phone_number", message }]);
      expect(await refused(createMerchantWallet(k2, bad({ ...fixture.merchantWallet, phone_number })))).toEqual([
        { path: "phone_number", message },
      ]);
    }
  });
});

describe("callback and webhook URLs", () => {
  for (const url of [
    "example.com/k2",
    "/k2/results",
    "ftp://example.com/k2",
    "javascript:alert(1)",
    "https://",
    "not a url",
    42,
  ]) {
    it(`refuses ${JSON.stringify(url)}`, async () => {
      const message = "must be an absolute http(s) URL";
      expect(await refused(createReversal(k2, bad({ ...fixture.reversal, _links: { callback_url: url } })))).toEqual([
        { path: "_links.callback_url", message },
      ]);
      expect(await refused(createWebhookSubscription(k2, bad({ ...fixture.companySubscription, url })))).toEqual([
        { path: "url", message },
      ]);
    });
  }

  it("accepts http for local development", async () => {
    const { k2: ok, sent } = capture();
    await createReversal(ok, { ...fixture.reversal, _links: { callback_url: "http://127.0.0.1:3000/results" } });
    expect(sent()).toMatchObject({ _links: { callback_url: "http://127.0.0.1:3000/results" } });
  });
});

describe("metadata", () => {
  it("holds at most 5 pairs, of any keys", async () => {
    const six = { a: 1, b: 2, c: 3, d: 4, e: 5, f: 6 };
    const message = "must have at most 5 key/value pairs";
    expect(await refused(createStkPush(k2, { ...fixture.stkPush, metadata: six }))).toEqual([
      { path: "metadata", message },
    ]);
    expect(await refused(sendMoney(k2, { ...fixture.sendMoneyToOwnAccounts, metadata: six }))).toEqual([
      { path: "metadata", message },
    ]);
    expect(await refused(createReversal(k2, bad({ ...fixture.reversal, metadata: ["a"] })))).toEqual([
      { path: "metadata", message: "must be an object of key/value pairs" },
    ]);
    const { k2: ok, sent } = capture();
    await createPaymentLink(ok, {
      ...fixture.paymentLink,
      metadata: { anyThing: 1, "with space": "ok", f: undefined },
    });
    expect(sent()).toMatchObject({ metadata: { anyThing: 1, "with space": "ok" } });
  });
});

describe("scope rules", () => {
  it("polling and subscribing for a till need its reference", async () => {
    const message = 'is required when scope is "till"';
    expect(await refused(pollTransactions(k2, bad({ ...fixture.tillPolling, scope_reference: undefined })))).toEqual([
      { path: "scope_reference", message },
    ]);
    expect(
      await refused(createWebhookSubscription(k2, bad({ ...fixture.tillSubscription, scope_reference: "" }))),
    ).toEqual([{ path: "scope_reference", message }]);
    expect(await refused(pollTransactions(k2, bad({ ...fixture.companyPolling, scope: "shop" })))).toEqual([
      { path: "scope", message: 'must be one of "till", "company"' },
    ]);
  });

  it("polling needs ISO-8601 times with an offset, from before to", async () => {
    const iso = "must be an ISO-8601 time with an offset, e.g. 2026-11-22T08:00:00+03:00";
    expect(
      await refused(
        pollTransactions(k2, { ...fixture.tillPolling, from_time: "2026-11-22 08:00", to_time: "2026-11-22T18:00:00" }),
      ),
    ).toEqual([
      { path: "from_time", message: iso },
      { path: "to_time", message: iso },
    ]);
    expect(
      await refused(pollTransactions(k2, { ...fixture.tillPolling, from_time: fixture.tillPolling.to_time })),
    ).toEqual([{ path: "to_time", message: "must be after from_time" }]);
  });
});

describe("K2's fixed lists", () => {
  it("webhook subscriptions: known events; enable_daraja_payload a boolean", async () => {
    expect(
      await refused(
        createWebhookSubscription(k2, bad({ ...fixture.companySubscription, event_type: "payment_received" })),
      ),
    ).toEqual([
      { path: "event_type", message: expect.stringContaining('must be one of "buygoods_transaction_received"') },
    ]);
    expect(
      await refused(createWebhookSubscription(k2, bad({ ...fixture.tillSubscription, enable_daraja_payload: "yes" }))),
    ).toEqual([{ path: "enable_daraja_payload", message: "must be true or false" }]);
  });

  it("recipients: a known type, a settlement method of EFT or RTS, an email address", async () => {
    expect(await refused(createExternalRecipient(k2, bad({ type: "card", external_recipient: {} })))).toEqual([
      { path: "type", message: 'must be one of "mobile_wallet", "bank_account", "till", "paybill"' },
    ]);
    expect(
      await refused(
        createExternalRecipient(
          k2,
          bad({
            type: "bank_account",
            external_recipient: {
              account_name: "J",
              bank_branch_ref: "b",
              account_number: "1",
              settlement_method: "SWIFT",
            },
          }),
        ),
      ),
    ).toEqual([{ path: "external_recipient.settlement_method", message: 'must be one of "EFT", "RTS"' }]);
    expect(
      await refused(createMerchantBankAccount(k2, bad({ ...fixture.merchantBankAccount, settlement_method: "eft" }))),
    ).toEqual([{ path: "settlement_method", message: 'must be one of "EFT", "RTS"' }]);
    expect(
      await refused(
        createExternalRecipient(
          k2,
          bad({
            type: "mobile_wallet",
            external_recipient: {
              first_name: "J",
              last_name: "D",
              phone_number: "+254712345678",
              network: "Safaricom",
              email: "not-an-email",
            },
          }),
        ),
      ),
    ).toEqual([{ path: "external_recipient.email", message: "must be an email address" }]);
  });

  it("send money: a list of known destinations, each checked by its type", async () => {
    expect(await refused(sendMoney(k2, bad({ ...fixture.sendMoneyToOwnAccounts, destinations: {} })))).toEqual([
      { path: "destinations", message: "must be an array" },
    ]);
    const problems = await refused(
      sendMoney(
        k2,
        bad(
          fixture.sendMoneyTo(
            fixture.destinations.till,
            { type: "crypto" } as never,
            { ...fixture.destinations.mobile_wallet, favourite: "yes" } as never,
            "till" as never,
          ),
        ),
      ),
    );
    expect(problems).toEqual([
      {
        path: "destinations[1].type",
        message: expect.stringContaining(
          'must be one of "mobile_wallet", "bank_account", "till", "paybill", "merchant_wallet"',
        ),
      },
      { path: "destinations[2].favourite", message: "must be true or false" },
      { path: "destinations[3]", message: "must be an object" },
    ]);
  });

  it("pay: a known destination type; settlement transfers: destination type and reference together", async () => {
    expect(await refused(createPayment(k2, bad({ ...fixture.pay, destination_type: "wallet" })))).toEqual([
      { path: "destination_type", message: 'must be one of "mobile_wallet", "bank_account", "till", "paybill"' },
    ]);
    expect(
      await refused(createSettlementTransfer(k2, { ...fixture.settlementTransfer, destination_reference: null })),
    ).toEqual([{ path: "destination_reference", message: "is required with destination_type" }]);
    expect(
      await refused(createSettlementTransfer(k2, { ...fixture.settlementTransfer, destination_type: undefined })),
    ).toEqual([{ path: "destination_type", message: "is required with destination_reference" }]);
  });

  it("STK push: an M-PESA payment channel", async () => {
    for (const payment_channel of ["Card", "Airtel", 1]) {
      expect(await refused(createStkPush(k2, bad({ ...fixture.stkPush, payment_channel })))).toEqual([
        { path: "payment_channel", message: 'must be "M-PESA STK Push" (or "M-PESA", "MPESA", "M-PESA STK PUSH")' },
      ]);
    }
  });
});

describe("the error", () => {
  it("names the request and every problem in its message, and freezes its list", async () => {
    const error = (await createPaymentLink(k2, bad({ ...fixture.paymentLink, currency: "USD", amount: -1 })).catch(
      (e: unknown) => e,
    )) as K2ValidationError;
    expect(error.name).toBe("K2ValidationError");
    expect(error.message).toBe(
      'Invalid payment link request, nothing was sent: currency must be "KES"; amount must be a positive number or numeric string, e.g. 250 or "250.00"',
    );
    expect(Object.isFrozen(error.problems)).toBe(true);
    expect(requests).toEqual([]);
  });

  it("is a rejected promise, not a synchronous throw", () => {
    const call = createStkPush(k2, bad({}));
    expect(call).toBeInstanceOf(Promise);
    return expect(call).rejects.toBeInstanceOf(K2ValidationError);
  });
});
