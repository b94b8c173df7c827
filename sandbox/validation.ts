/**
 * What K2 refuses, per resource, written from K2's docs and SDKs rather than from src/api's validators so
 * that test/sandbox can hold the two to the same documented verdicts. The line is the same as the
 * library's: refuse only what K2 certainly refuses, accept everything an official SDK sends. So
 * `null`, `undefined` and a blank string all mean "not given", numbers are fine where K2 keeps
 * numeric strings, every phone spelling the SDKs use is fine, and unknown fields are ignored.
 *
 * Messages read like K2's (Rails: "Till number can't be blank"), one per problem, all at once.
 */
import { isRecord, type Json } from "./http.ts";
import { normalisedPhone } from "./outcomes.ts";
import { WEBHOOK_TOPICS } from "./webhooks.ts";

type Version = "v1" | "v2";

/** Collects what is wrong; `label` prefixes messages about items of a list. */
class Problems {
  constructor(
    readonly list: string[] = [],
    private readonly label = "",
  ) {}

  add(field: string, message: string): void {
    const name = humanised(field);
    this.list.push(this.label ? `${this.label}: ${name} ${message}` : `${name} ${message}`);
  }

  within(label: string): Problems {
    return new Problems(this.list, label);
  }
}

/** `till_number` → `Till number`, as Rails names fields in messages. */
function humanised(field: string): string {
  const words = field.replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** What the SDKs send for a field they were not given. */
const blank = (value: unknown): boolean =>
  value === undefined || value === null || (typeof value === "string" && value.trim() === "");

function required(problems: Problems, object: Json, field: string): boolean {
  if (!blank(object[field])) return true;
  problems.add(field, "can't be blank");
  return false;
}

/** A free-text field: a string when given. */
function text(problems: Problems, object: Json, field: string, need: boolean): void {
  if (blank(object[field])) {
    if (need) problems.add(field, "can't be blank");
  } else if (typeof object[field] !== "string") problems.add(field, "must be a string");
}

/** Till, paybill and account numbers: K2 keeps them as strings, the SDKs also send numbers. */
function code(problems: Problems, object: Json, field: string, need = true): void {
  const value = object[field];
  if (blank(value)) {
    if (need) problems.add(field, "can't be blank");
  } else if (typeof value !== "string" && !(typeof value === "number" && Number.isFinite(value)))
    problems.add(field, "must be a string");
}

function phone(problems: Problems, object: Json, field = "phone_number"): void {
  if (required(problems, object, field) && !normalisedPhone(object[field])) problems.add(field, "is invalid");
}

function oneOf(problems: Problems, object: Json, field: string, values: readonly string[], need = true): void {
  const value = object[field];
  if (blank(value)) {
    if (need) problems.add(field, "can't be blank");
  } else if (typeof value !== "string" || !values.includes(value)) problems.add(field, "is not included in the list");
}

/** A positive amount, as a number or a numeric string ("250.00"). */
function positive(problems: Problems, value: unknown, field = "amount"): void {
  if (blank(value)) return problems.add(field, "can't be blank");
  const number = typeof value === "number" ? value : typeof value === "string" ? Number(value.trim()) : Number.NaN;
  if (typeof value !== "number" && typeof value !== "string") problems.add(field, "is not a number");
  else if (!Number.isFinite(number)) problems.add(field, "is not a number");
  else if (number <= 0) problems.add(field, "must be greater than 0");
}

function currency(problems: Problems, value: unknown): void {
  if (blank(value)) problems.add("currency", "can't be blank");
  else if (value !== "KES") problems.add("currency", "must be KES");
}

/** `{ currency, value }`, both required. */
function money(problems: Problems, value: unknown): void {
  const amount = isRecord(value) ? value : {};
  currency(problems, amount.currency);
  positive(problems, amount.value);
}

function url(problems: Problems, value: unknown, field: string): void {
  if (blank(value)) return problems.add(field, "can't be blank");
  let parsed: URL | undefined;
  try {
    parsed = typeof value === "string" ? new URL(value) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== "https:" && parsed.protocol !== "http:") || !parsed.hostname)
    problems.add(field, "is invalid");
}

function callback(problems: Problems, body: Json): void {
  url(problems, isRecord(body._links) ? body._links.callback_url : undefined, "callback_url");
}

function metadata(problems: Problems, value: unknown): void {
  if (blank(value)) return;
  if (!isRecord(value)) problems.add("metadata", "must be an object");
  else if (Object.keys(value).length > 5) problems.add("metadata", "can't have more than 5 key-value pairs");
}

function time(problems: Problems, object: Json, field: string): void {
  if (!required(problems, object, field)) return;
  const value = object[field];
  if (typeof value !== "string" || Number.isNaN(Date.parse(value))) problems.add(field, "is not a valid time");
}

/** `scope` and the `scope_reference` a till needs; the company has none (`""` and `null` included). */
function scope(problems: Problems, body: Json): void {
  const value = typeof body.scope === "string" ? body.scope.toLowerCase() : body.scope;
  oneOf(problems, { scope: value }, "scope", ["till", "company"]);
  if (value === "till") code(problems, body, "scope_reference");
}

const RECIPIENT_TYPES = ["mobile_wallet", "bank_account", "till", "paybill"] as const;
const SETTLEMENT_METHODS = ["EFT", "RTS"] as const;

function recipientDetails(problems: Problems, type: unknown, details: Json, version: Version): void {
  if (type === "mobile_wallet") {
    required(problems, details, "first_name");
    required(problems, details, "last_name");
    phone(problems, details);
    required(problems, details, "network");
  } else if (type === "bank_account") {
    required(problems, details, "account_name");
    required(problems, details, "bank_branch_ref");
    code(problems, details, "account_number");
    // v2 takes a bank account without it (Python never sends it, Ruby's spec omits it).
    oneOf(problems, details, "settlement_method", SETTLEMENT_METHODS, version === "v1");
  } else if (type === "till") {
    required(problems, details, "till_name");
    code(problems, details, "till_number");
  } else if (type === "paybill") {
    required(problems, details, "paybill_name");
    code(problems, details, "paybill_number");
    code(problems, details, "paybill_account_number");
  }
}

function recipient(problems: Problems, body: Json, version: Version): void {
  oneOf(problems, body, "type", RECIPIENT_TYPES);
  const key = version === "v1" ? "pay_recipient" : "external_recipient";
  if (!isRecord(body[key])) return problems.add(key, "can't be blank");
  recipientDetails(problems, body.type, body[key], version);
}

const DESTINATION_TYPES = [
  "mobile_wallet",
  "bank_account",
  "till",
  "paybill",
  "merchant_wallet",
  "merchant_bank_account",
] as const;

function destination(problems: Problems, value: unknown): void {
  if (!isRecord(value)) return problems.add("destination", "must be an object");
  oneOf(problems, value, "type", DESTINATION_TYPES);
  if (value.type === "mobile_wallet") {
    phone(problems, value);
    required(problems, value, "network");
    required(problems, value, "description");
  } else if (value.type === "bank_account") {
    required(problems, value, "bank_branch_ref");
    required(problems, value, "account_name");
    code(problems, value, "account_number");
    required(problems, value, "description");
  } else if (value.type === "till") code(problems, value, "till_number");
  else if (value.type === "paybill") {
    code(problems, value, "paybill_number");
    code(problems, value, "paybill_account_number");
  } else if (value.type === "merchant_wallet" || value.type === "merchant_bank_account")
    required(problems, value, "reference");
  positive(problems, value.amount);
}

/** `undefined` when `amount` means "the whole balance": absent, `{}`, or PHP's nulls. */
function transferAmount(problems: Problems, value: unknown): void {
  if (blank(value)) return;
  if (!isRecord(value)) return problems.add("amount", "must be an object");
  if (blank(value.value)) {
    if (!blank(value.currency)) currency(problems, value.currency);
    return;
  }
  money(problems, value);
}

const RULES: Record<string, (problems: Problems, body: Json, version: Version) => void> = {
  incoming_payments(problems, body) {
    // Any spelling of the channel: "M-PESA STK Push", "M-PESA", "MPESA", "M-PESA STK PUSH".
    text(problems, body, "payment_channel", true);
    code(problems, body, "till_number");
    const subscriber = isRecord(body.subscriber) ? body.subscriber : {};
    for (const name of ["first_name", "middle_name", "last_name", "email"]) text(problems, subscriber, name, false);
    phone(problems, subscriber);
    money(problems, body.amount);
    metadata(problems, body.metadata);
    callback(problems, body);
  },
  pay_recipients: recipient,
  external_recipients: recipient,
  payments(problems, body) {
    required(problems, body, "destination_reference");
    oneOf(problems, body, "destination_type", RECIPIENT_TYPES);
    money(problems, body.amount);
    required(problems, body, "description");
    metadata(problems, body.metadata);
    callback(problems, body);
  },
  send_money(problems, body) {
    currency(problems, body.currency);
    const destinations = body.destinations;
    // No destinations (absent, null or []): everything goes to the merchant's own accounts.
    if (!blank(destinations) && !Array.isArray(destinations)) problems.add("destinations", "must be a list");
    if (Array.isArray(destinations))
      destinations.forEach((item, index) => destination(problems.within(`Destination ${index + 1}`), item));
    metadata(problems, body.metadata);
    callback(problems, body);
  },
  merchant_bank_accounts(problems, body) {
    required(problems, body, "account_name");
    oneOf(problems, body, "settlement_method", SETTLEMENT_METHODS);
    required(problems, body, "bank_branch_ref");
    code(problems, body, "account_number");
  },
  merchant_wallets(problems, body) {
    required(problems, body, "first_name");
    required(problems, body, "last_name");
    phone(problems, body);
    required(problems, body, "network");
  },
  settlement_transfers(problems, body) {
    transferAmount(problems, body.amount);
    oneOf(problems, body, "destination_type", ["merchant_wallet", "merchant_bank_account"], false);
    callback(problems, body);
  },
  polling(problems, body) {
    scope(problems, body);
    time(problems, body, "from_time");
    time(problems, body, "to_time");
    callback(problems, body);
  },
  payment_links(problems, body) {
    positive(problems, body.amount);
    currency(problems, body.currency);
    code(problems, body, "till_number");
    metadata(problems, body.metadata);
    callback(problems, body);
  },
  reversals(problems, body) {
    required(problems, body, "transaction_reference");
    required(problems, body, "reason");
    metadata(problems, body.metadata);
    callback(problems, body);
  },
  transaction_sms_notifications(problems, body) {
    required(problems, body, "webhook_event_reference");
    required(problems, body, "message");
    callback(problems, body);
  },
  webhook_subscriptions(problems, body) {
    oneOf(problems, body, "event_type", Object.keys(WEBHOOK_TOPICS));
    url(problems, body.url, "url");
    scope(problems, body);
  },
};

/**
 * Every problem K2 would report for `body` POSTed to `/api/<version>/<collection>`; empty when K2
 * would accept it.
 */
export function problemsOf(collection: string, version: Version, body: unknown): string[] {
  if (!isRecord(body)) return ["Request body must be a JSON object"];
  const problems = new Problems();
  RULES[collection]?.(problems, body, version);
  return problems.list;
}
