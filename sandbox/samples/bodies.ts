/**
 * The documented verdict on request bodies: what K2 accepts (everything K2's docs and the five
 * official SDKs send) and what it certainly refuses. Written from those facts alone, so
 * that any implementation of the policy can be held to it: test/sandbox/validation.test.ts runs it
 * against the sandbox, and src/api's validators can run it too (map `path` to the create call, and
 * `fields` to its problem paths). The valid bodies varied here are the shared samples of
 * requests.ts; the SDKs' own spellings (numbers, nulls, other phone forms) are written out.
 */
import {
  CALLBACK,
  merchantBankAccount as merchantBank,
  pay,
  reversal,
  smsNotification as sms,
  stkPush as stk,
  tillPolling as polling,
} from "./requests.ts";

export interface BodyCase {
  name: string;
  /** Where the body is POSTed. */
  path: string;
  body: unknown;
  verdict: "accepted" | "refused";
  /** For a refused body: the fields K2 names, as paths in the wire format (`subscriber.phone_number`). */
  fields?: string[];
}

const subscriber = (fields: object) => ({ ...stk, subscriber: { ...stk.subscriber, ...fields } });

const wallet = {
  first_name: "Jane",
  last_name: "Doe",
  email: "jane@example.com",
  phone_number: "+254712345678",
  network: "Safaricom",
};
const bank = {
  account_name: "Jane Doe",
  bank_branch_ref: "633aa26c-7b7c-4091-ae28-96c0687cf886",
  account_number: "1234567890",
  settlement_method: "EFT",
};
const { settlement_method: _method, ...bankWithoutMethod } = bank;

const mobileDestination = {
  type: "mobile_wallet",
  phone_number: "254712345678",
  network: "Safaricom",
  nickname: "Jane",
  amount: 500,
  description: "Refund #42",
  favourite: true,
};
const sendMoney = (...destinations: object[]) => ({
  source_identifier: null,
  currency: "KES",
  destinations,
  metadata: { batch: "7" },
  _links: CALLBACK,
});

const merchantWallet = {
  first_name: "Jane",
  last_name: "Doe",
  phone_number: "254712345678",
  network: "Safaricom",
  nickname: "Jane's M-PESA",
};

const link = {
  till_number: "K000000",
  currency: "KES",
  amount: 1500,
  payment_reference: "INV-0042",
  note: "Invoice 42",
  metadata: { invoice: "42" },
  _links: CALLBACK,
};

const subscription = {
  event_type: "buygoods_transaction_received",
  url: "https://example.com/k2/webhooks",
  scope: "till",
  scope_reference: "K000000",
};

const six = { a: 1, b: 2, c: 3, d: 4, e: 5, f: 6 };
const five = { a: 1, b: 2, c: 3, d: 4, e: 5 };

const accepted = (name: string, path: string, body: unknown): BodyCase => ({ name, path, body, verdict: "accepted" });
const refused = (name: string, path: string, body: unknown, ...fields: string[]): BodyCase => ({
  name,
  path,
  body,
  verdict: "refused",
  fields,
});

const STK = "/api/v2/incoming_payments";
const EXTERNAL = "/api/v2/external_recipients";
const PAY_RECIPIENTS = "/api/v1/pay_recipients";
const PAY = "/api/v1/payments";
const SEND = "/api/v2/send_money";
const SETTLE = "/api/v1/settlement_transfers";
const POLL = "/api/v2/polling";
const LINKS = "/api/v2/payment_links";
const REVERSALS = "/api/v2/reversals";
const SMS = "/api/v1/transaction_sms_notifications";
const SUBSCRIPTIONS = "/api/v2/webhook_subscriptions";

export const BODIES: BodyCase[] = [
  // STK push
  accepted("STK push as the docs' JSON", STK, stk),
  accepted("STK push on v1", "/api/v1/incoming_payments", stk),
  accepted("STK push the Ruby way (M-PESA, 07 phone, nulls)", STK, {
    ...subscriber({ phone_number: "0700000000", middle_name: null, email: null }),
    payment_channel: "M-PESA",
    metadata: null,
  }),
  accepted("STK push the Python way (MPESA, 254 phone)", STK, {
    ...subscriber({ phone_number: "254712345678" }),
    payment_channel: "MPESA",
  }),
  accepted("STK push the Flutter way (M-PESA STK PUSH, 9 bare digits)", STK, {
    ...subscriber({ phone_number: "712345678" }),
    payment_channel: "M-PESA STK PUSH",
  }),
  accepted(
    "STK push to the API docs' example phone (+254999999999)",
    STK,
    subscriber({ phone_number: "+254999999999" }),
  ),
  accepted("STK push to the Python README's phone (+254911222536)", STK, subscriber({ phone_number: "+254911222536" })),
  accepted(
    "STK push the PHP way (names, email, metadata null)",
    STK,
    subscriber({ first_name: null, last_name: null, middle_name: null, email: null }),
  ),
  accepted("STK push with a numeric till number and amount", STK, {
    ...stk,
    till_number: 555555,
    amount: { currency: "KES", value: 250 },
  }),
  accepted("STK push with 5 metadata pairs", STK, { ...stk, metadata: five }),
  accepted("STK push with a field K2 does not have", STK, { ...stk, reference: "ignored" }),
  accepted("STK push to a local http callback", STK, { ...stk, _links: { callback_url: "http://127.0.0.1:9/cb" } }),
  refused("STK push body that is not an object", STK, [stk], ""),
  refused("STK push without a payment channel", STK, { ...stk, payment_channel: undefined }, "payment_channel"),
  refused("STK push without a till number", STK, { ...stk, till_number: "" }, "till_number"),
  refused("STK push without a phone number", STK, subscriber({ phone_number: null }), "subscriber.phone_number"),
  refused("STK push without a subscriber", STK, { ...stk, subscriber: undefined }, "subscriber.phone_number"),
  refused(
    "STK push to a foreign phone number",
    STK,
    subscriber({ phone_number: "+12025550100" }),
    "subscriber.phone_number",
  ),
  refused("STK push to a short phone number", STK, subscriber({ phone_number: "2547123" }), "subscriber.phone_number"),
  refused("STK push in USD", STK, { ...stk, amount: { currency: "USD", value: "250" } }, "amount.currency"),
  refused("STK push without a currency", STK, { ...stk, amount: { value: "250" } }, "amount.currency"),
  refused("STK push of 0", STK, { ...stk, amount: { currency: "KES", value: 0 } }, "amount.value"),
  refused("STK push of a negative amount", STK, { ...stk, amount: { currency: "KES", value: "-5" } }, "amount.value"),
  refused(
    "STK push of a non-numeric amount",
    STK,
    { ...stk, amount: { currency: "KES", value: "abc" } },
    "amount.value",
  ),
  refused("STK push without an amount", STK, { ...stk, amount: undefined }, "amount.currency", "amount.value"),
  refused("STK push without a callback URL", STK, { ...stk, _links: {} }, "_links.callback_url"),
  refused(
    "STK push with a relative callback URL",
    STK,
    { ...stk, _links: { callback_url: "/k2/results" } },
    "_links.callback_url",
  ),
  refused(
    "STK push with an ftp callback URL",
    STK,
    { ...stk, _links: { callback_url: "ftp://example.com/x" } },
    "_links.callback_url",
  ),
  refused("STK push with 6 metadata pairs", STK, { ...stk, metadata: six }, "metadata"),
  refused("STK push with metadata that is not an object", STK, { ...stk, metadata: "order 42" }, "metadata"),
  refused(
    "STK push missing everything",
    STK,
    { amount: { currency: "USD", value: 0 } },
    "payment_channel",
    "till_number",
    "subscriber.phone_number",
    "amount.currency",
    "amount.value",
    "_links.callback_url",
  ),

  // Recipients
  accepted("v2 mobile wallet recipient with a nickname", EXTERNAL, {
    type: "mobile_wallet",
    external_recipient: { ...wallet, nickname: "Jane M-PESA" },
  }),
  accepted("v2 mobile wallet recipient with an 07 phone and no email", EXTERNAL, {
    type: "mobile_wallet",
    external_recipient: { ...wallet, phone_number: "0712345678", email: null },
  }),
  accepted("v2 bank recipient without settlement_method (Python, Ruby)", EXTERNAL, {
    type: "bank_account",
    external_recipient: bankWithoutMethod,
  }),
  accepted("v2 bank recipient with a numeric account number", EXTERNAL, {
    type: "bank_account",
    external_recipient: { ...bank, account_number: 1234567890 },
  }),
  accepted("v2 recipient with type repeated inside (Ruby)", EXTERNAL, {
    type: "till",
    external_recipient: { type: "till", till_name: "Corner shop", till_number: "K112233" },
  }),
  accepted("v2 till recipient with a numeric till number", EXTERNAL, {
    type: "till",
    external_recipient: { till_name: "Corner shop", till_number: 112233 },
  }),
  accepted("v2 paybill recipient", EXTERNAL, {
    type: "paybill",
    external_recipient: { paybill_name: "Power", paybill_number: 888880, paybill_account_number: "ACC-42" },
  }),
  accepted("v1 mobile wallet recipient (PHP, +254)", PAY_RECIPIENTS, { type: "mobile_wallet", pay_recipient: wallet }),
  accepted("v1 bank recipient", PAY_RECIPIENTS, {
    type: "bank_account",
    pay_recipient: { ...bank, settlement_method: "RTS" },
  }),
  refused("recipient of an unknown type", EXTERNAL, { type: "crypto_wallet", external_recipient: wallet }, "type"),
  refused("recipient without its details", EXTERNAL, { type: "mobile_wallet" }, "external_recipient"),
  refused(
    "mobile wallet recipient without a network",
    EXTERNAL,
    { type: "mobile_wallet", external_recipient: { ...wallet, network: null } },
    "external_recipient.network",
  ),
  refused(
    "mobile wallet recipient with a bad phone",
    EXTERNAL,
    { type: "mobile_wallet", external_recipient: { ...wallet, phone_number: "12345" } },
    "external_recipient.phone_number",
  ),
  refused(
    "bank recipient with an unknown settlement method",
    EXTERNAL,
    { type: "bank_account", external_recipient: { ...bank, settlement_method: "SWIFT" } },
    "external_recipient.settlement_method",
  ),
  refused(
    "till recipient without a till number",
    EXTERNAL,
    { type: "till", external_recipient: { till_name: "Corner shop" } },
    "external_recipient.till_number",
  ),
  refused(
    "v1 bank recipient without a settlement method",
    PAY_RECIPIENTS,
    { type: "bank_account", pay_recipient: bankWithoutMethod },
    "pay_recipient.settlement_method",
  ),

  // Pay (v1)
  accepted("pay", PAY, pay),
  accepted("pay with category, tags and metadata null (Ruby, Python)", PAY, {
    ...pay,
    category: null,
    tags: null,
    metadata: null,
  }),
  refused("pay without a description", PAY, { ...pay, description: null }, "description"),
  refused("pay to an unknown destination type", PAY, { ...pay, destination_type: "crypto" }, "destination_type"),
  refused("pay without a destination reference", PAY, { ...pay, destination_reference: "" }, "destination_reference"),
  refused("pay in USD", PAY, { ...pay, amount: { currency: "USD", value: "2000" } }, "amount.currency"),

  // Send money (v2)
  accepted("send money to a mobile wallet", SEND, sendMoney(mobileDestination)),
  accepted(
    "send money to a +254 wallet (Node's test)",
    SEND,
    sendMoney({ ...mobileDestination, phone_number: "+254712345678" }),
  ),
  accepted(
    "send money with nickname and favourite null (Ruby, Python, PHP)",
    SEND,
    sendMoney({ ...mobileDestination, nickname: null, favourite: null }),
  ),
  accepted("send money to my own accounts: destinations []", SEND, sendMoney()),
  accepted("send money to my own accounts: no destinations", SEND, { currency: "KES", _links: CALLBACK }),
  accepted("send money to my own accounts: destinations null", SEND, {
    currency: "KES",
    destinations: null,
    metadata: null,
    _links: CALLBACK,
  }),
  accepted("send money with an empty source identifier", SEND, {
    ...sendMoney(mobileDestination),
    source_identifier: "",
  }),
  accepted(
    "send money to a merchant wallet with nickname and favourite (Node)",
    SEND,
    sendMoney({
      type: "merchant_wallet",
      reference: "82e5e5e0-0bbb-4cb6-a5e6-b1a1b8e6f9a1",
      amount: 2000,
      nickname: "Float",
      favourite: false,
    }),
  ),
  accepted(
    "send money to my bank account with description null (docs)",
    SEND,
    sendMoney({
      type: "merchant_bank_account",
      reference: "c7f300c0-f1ef-4151-9bbe-005005aa3747",
      amount: "5000",
      description: null,
    }),
  ),
  accepted(
    "send money to a bank account",
    SEND,
    sendMoney({ type: "bank_account", ...bankWithoutMethod, amount: "1000.50", description: "Invoice 7" }),
  ),
  accepted(
    "send money to a till with a numeric till number",
    SEND,
    sendMoney({ type: "till", till_number: 112233, amount: "1200", description: "Stock" }),
  ),
  accepted(
    "send money to a paybill",
    SEND,
    sendMoney({
      type: "paybill",
      paybill_number: "888880",
      paybill_account_number: "ACC-42",
      amount: 300,
      description: "Power",
    }),
  ),
  refused("send money in USD", SEND, { ...sendMoney(mobileDestination), currency: "USD" }, "currency"),
  refused(
    "send money with destinations that are not a list",
    SEND,
    { ...sendMoney(), destinations: "all" },
    "destinations",
  ),
  refused(
    "send money to a bad phone",
    SEND,
    sendMoney({ ...mobileDestination, phone_number: "123" }),
    "destinations[0].phone_number",
  ),
  refused("send money of 0", SEND, sendMoney({ ...mobileDestination, amount: 0 }), "destinations[0].amount"),
  refused(
    "send money without an amount",
    SEND,
    sendMoney({ ...mobileDestination, amount: undefined }),
    "destinations[0].amount",
  ),
  refused(
    "send money to an unknown destination type",
    SEND,
    sendMoney({ ...mobileDestination, type: "crypto_wallet" }),
    "destinations[0].type",
  ),
  refused(
    "send money to a merchant wallet without a reference",
    SEND,
    sendMoney(mobileDestination, { type: "merchant_wallet", amount: 100 }),
    "destinations[1].reference",
  ),
  refused("send money with 6 metadata pairs", SEND, { ...sendMoney(), metadata: six }, "metadata"),
  refused("send money without a callback URL", SEND, { currency: "KES" }, "_links.callback_url"),

  // Merchant accounts
  accepted("v2 merchant bank account with a nickname", "/api/v2/merchant_bank_accounts", merchantBank),
  accepted("v1 merchant bank account with a numeric account number", "/api/v1/merchant_bank_accounts", {
    ...merchantBank,
    nickname: undefined,
    account_number: 1234567890,
  }),
  refused(
    "merchant bank account with an unknown settlement method",
    "/api/v2/merchant_bank_accounts",
    { ...merchantBank, settlement_method: "SWIFT" },
    "settlement_method",
  ),
  refused(
    "merchant bank account without an account name",
    "/api/v2/merchant_bank_accounts",
    { ...merchantBank, account_name: null },
    "account_name",
  ),
  accepted("v2 merchant wallet", "/api/v2/merchant_wallets", merchantWallet),
  accepted("v1 merchant wallet with an 07 phone", "/api/v1/merchant_wallets", {
    ...merchantWallet,
    nickname: undefined,
    phone_number: "0712345678",
  }),
  refused(
    "merchant wallet without a network",
    "/api/v2/merchant_wallets",
    { ...merchantWallet, network: "" },
    "network",
  ),
  refused(
    "merchant wallet with a bad phone",
    "/api/v2/merchant_wallets",
    { ...merchantWallet, phone_number: "+44 20 7946 0000" },
    "phone_number",
  ),

  // Settlement transfers (v1)
  accepted("settlement transfer to one account", SETTLE, {
    amount: { currency: "KES", value: "5000" },
    destination_type: "merchant_bank_account",
    destination_reference: "c7f300c0-f1ef-4151-9bbe-005005aa3747",
    _links: CALLBACK,
  }),
  accepted("whole-balance settlement transfer with amount {} (Node)", SETTLE, { amount: {}, _links: CALLBACK }),
  accepted("whole-balance settlement transfer with nulls (PHP)", SETTLE, {
    amount: null,
    destination_type: null,
    destination_reference: null,
    _links: CALLBACK,
  }),
  accepted("whole-balance settlement transfer with nothing but the callback", SETTLE, { _links: CALLBACK }),
  refused(
    "settlement transfer in USD",
    SETTLE,
    { amount: { currency: "USD", value: "5000" }, _links: CALLBACK },
    "amount.currency",
  ),
  refused(
    "settlement transfer of a negative amount",
    SETTLE,
    { amount: { currency: "KES", value: -1 }, _links: CALLBACK },
    "amount.value",
  ),
  refused(
    "settlement transfer to a destination type that is not a merchant account",
    SETTLE,
    { destination_type: "mobile_wallet", destination_reference: "x", _links: CALLBACK },
    "destination_type",
  ),
  refused("settlement transfer without a callback URL", SETTLE, { amount: {} }, "_links.callback_url"),

  // Polling
  accepted("polling a till", POLL, polling),
  accepted('polling the company with scope_reference "" (docs)', POLL, {
    ...polling,
    scope: "company",
    scope_reference: "",
  }),
  accepted("polling the company with scope_reference null (Ruby, Python, PHP)", "/api/v1/polling", {
    ...polling,
    scope: "company",
    scope_reference: null,
  }),
  accepted("polling the company without scope_reference", POLL, {
    ...polling,
    scope: "company",
    scope_reference: undefined,
  }),
  refused("polling a till without scope_reference", POLL, { ...polling, scope_reference: null }, "scope_reference"),
  refused("polling an unknown scope", POLL, { ...polling, scope: "branch" }, "scope"),
  refused("polling without from_time", POLL, { ...polling, from_time: undefined }, "from_time"),
  refused("polling from a time that is not a time", POLL, { ...polling, from_time: "yesterday" }, "from_time"),
  refused("polling without a callback URL", POLL, { ...polling, _links: undefined }, "_links.callback_url"),
  refused("polling with nothing", POLL, {}, "scope", "from_time", "to_time", "_links.callback_url"),

  // Payment links
  accepted("payment link", LINKS, link),
  accepted("payment link with payment_reference and note null (Ruby, Python)", LINKS, {
    ...link,
    payment_reference: null,
    note: null,
    metadata: null,
  }),
  accepted("payment link with a string amount and a numeric till", LINKS, {
    ...link,
    amount: "1500.00",
    till_number: 555555,
  }),
  refused("payment link in USD", LINKS, { ...link, currency: "USD" }, "currency"),
  refused("payment link of 0", LINKS, { ...link, amount: 0 }, "amount"),
  refused("payment link without a till number", LINKS, { ...link, till_number: null }, "till_number"),
  refused(
    "payment link with a malformed callback URL",
    LINKS,
    { ...link, _links: { callback_url: "example.com/cb" } },
    "_links.callback_url",
  ),

  // Reversals
  accepted("reversal", REVERSALS, reversal),
  accepted("reversal with metadata null", REVERSALS, { ...reversal, metadata: null }),
  refused("reversal without a reason", REVERSALS, { ...reversal, reason: "  " }, "reason"),
  refused(
    "reversal without a transaction reference",
    REVERSALS,
    { ...reversal, transaction_reference: null },
    "transaction_reference",
  ),

  // Transaction SMS notifications (v1)
  accepted("transaction SMS notification", SMS, sms),
  refused("SMS notification without a message", SMS, { ...sms, message: "" }, "message"),
  refused(
    "SMS notification without a webhook event reference",
    SMS,
    { ...sms, webhook_event_reference: undefined },
    "webhook_event_reference",
  ),

  // Webhook subscriptions
  accepted("subscription for a till", SUBSCRIPTIONS, subscription),
  accepted("subscription with the Daraja payload", SUBSCRIPTIONS, { ...subscription, enable_daraja_payload: true }),
  accepted('subscription for the company with scope_reference ""', SUBSCRIPTIONS, {
    ...subscription,
    scope: "company",
    scope_reference: "",
  }),
  accepted("v1 subscription for the company with scope_reference null", "/api/v1/webhook_subscriptions", {
    ...subscription,
    event_type: "settlement_transfer_completed",
    scope: "company",
    scope_reference: null,
    enable_daraja_payload: null,
  }),
  ...[
    "b2b_transaction_received",
    "b2b_transaction_reversed",
    "buygoods_transaction_reversed",
    "customer_created",
    "card_transaction_received",
    "card_transaction_voided",
    "card_transaction_reversed",
  ].map((event_type) => accepted(`subscription to ${event_type}`, SUBSCRIPTIONS, { ...subscription, event_type })),
  refused(
    "subscription to an unknown event type",
    SUBSCRIPTIONS,
    { ...subscription, event_type: "payment_received" },
    "event_type",
  ),
  refused("subscription without a URL", SUBSCRIPTIONS, { ...subscription, url: null }, "url"),
  refused("subscription with a malformed URL", SUBSCRIPTIONS, { ...subscription, url: "not a url" }, "url"),
  refused(
    "subscription for a till without scope_reference",
    SUBSCRIPTIONS,
    { ...subscription, scope_reference: "" },
    "scope_reference",
  ),
  refused("subscription without a scope", SUBSCRIPTIONS, { ...subscription, scope: undefined }, "scope"),
];
