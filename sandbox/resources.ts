/**
 * The resources K2 creates, as the sandbox keeps them, and their status as K2 answers it: the
 * request echoed back (clients and tests read their own fields there), with K2's attributes for
 * each `data.type` laid over it. What changes as a payment goes on lives in `state`, set at
 * creation here and moved on by lifecycle.ts; `created_at` is fixed when the resource is created.
 */
import { isoWithOffset, isRecord, type Json } from "./http.ts";
import type { Subscription } from "./webhooks.ts";

export type Version = "v1" | "v2";

/** Each collection's `data.type` and the API versions it exists on (K2's endpoint map). */
export const COLLECTIONS: Readonly<Record<string, { type: string; versions: readonly Version[] }>> = Object.freeze({
  incoming_payments: { type: "incoming_payment", versions: ["v1", "v2"] },
  pay_recipients: { type: "pay_recipient", versions: ["v1"] },
  external_recipients: { type: "external_recipient", versions: ["v2"] },
  payments: { type: "payment", versions: ["v1"] },
  send_money: { type: "send_money", versions: ["v2"] },
  merchant_bank_accounts: { type: "merchant_bank_account", versions: ["v1", "v2"] },
  merchant_wallets: { type: "merchant_wallet", versions: ["v1", "v2"] },
  settlement_transfers: { type: "settlement_transfer", versions: ["v1"] },
  polling: { type: "polling", versions: ["v1", "v2"] },
  payment_links: { type: "payment_link", versions: ["v2"] },
  reversals: { type: "reversal", versions: ["v2"] },
  transaction_sms_notifications: { type: "transaction_sms_notification", versions: ["v1"] },
  webhook_subscriptions: { type: "webhook_subscription", versions: ["v1", "v2"] },
});

/** A resource as the sandbox stores it. */
export interface SandboxResource {
  id: string;
  type: string;
  collection: string;
  version: Version;
  /** The request as K2 received it. */
  body: Json;
  /** When it was created, as K2 writes times. */
  createdAt: string;
  createdMs: number;
  /** Its absolute status URL, the `self` of the result posted to its callback URL. */
  location: string;
  /** K2's attributes that move as the payment goes on (status, event, transfer_batches...). */
  state: Json;
  /** Kept for webhook subscriptions, to route events. */
  subscription?: Subscription;
}

const RECIPIENT_TYPES: Record<string, string> = {
  mobile_wallet: "Mobile Wallet",
  bank_account: "Bank Account",
  till: "Till",
  paybill: "Paybill",
};

/**
 * A v1 disbursement's `destination_type` as K2 writes it (`"Mobile Wallet"`, `"Bank Account"`), not
 * as the request spelled it; a merchant's own wallet or bank account is still a wallet or an account.
 */
export function disbursementDestinationType(requested: unknown): unknown {
  const type =
    requested === "merchant_wallet"
      ? "mobile_wallet"
      : requested === "merchant_bank_account"
        ? "bank_account"
        : requested;
  return typeof type === "string" ? (RECIPIENT_TYPES[type] ?? type) : type;
}

/** `{ currency, value }` with the value a JSON number, as K2's pay status and result write it. */
function numericAmount(amount: unknown): unknown {
  if (!isRecord(amount)) return amount;
  const value = typeof amount.value === "string" ? Number(amount.value) : amount.value;
  return { ...amount, value: Number.isFinite(value) ? value : amount.value };
}

/** The state K2 answers right after creating a resource of `type`. */
export function initialState(type: string, body: Json, id: string, createdMs: number): Json {
  switch (type) {
    case "incoming_payment":
      return { status: "Pending", event: { type: "Incoming Payment Request", resource: null, errors: null } };
    case "payment":
    case "settlement_transfer":
      return { status: "Pending", transfer_batches: [] };
    case "send_money":
      return { status: "Scheduled", transfer_batches: [], errors: null };
    case "polling":
      return { status: "Pending", transactions: [] };
    case "payment_link":
      return {
        status: "Processed",
        payment_link: {
          link: `/links/${id.slice(0, 8)}`,
          expires_at: isoWithOffset(createdMs + 24 * 3600_000),
          initiator_name: "Sandbox Merchant",
          payment_link_status: "Active",
        },
      };
    case "reversal":
      return { status: "Scheduled", reversal_bulk_payment: null, errors: null };
    case "transaction_sms_notification":
      return { status: "Pending" };
    case "pay_recipient":
    case "external_recipient":
      return { status: "Approved", recipient_type: RECIPIENT_TYPES[body.type] ?? body.type, recipient_reference: id };
    case "merchant_bank_account":
    case "merchant_wallet":
      return { status: "Approved", account_reference: id };
    case "webhook_subscription":
      return { status: "Active" };
    default:
      return { status: "Pending" };
  }
}

const capitalised = (text: unknown) =>
  typeof text === "string" ? text.charAt(0).toUpperCase() + text.slice(1).toLowerCase() : text;

/** `amount` of a settlement transfer: a whole-balance transfer (no amount, `{}`, nulls) has `value: null`. */
function transferAmount(amount: unknown): Json {
  if (isRecord(amount) && amount.value !== undefined && amount.value !== null && amount.value !== "") return amount;
  return { currency: "KES", value: null };
}

/** K2's fields of each type that do not change once created. */
function fixedAttributes(stored: SandboxResource): Json {
  const request = stored.body;
  switch (stored.type) {
    case "incoming_payment":
      return { initiation_time: stored.createdAt, metadata: request.metadata ?? null };
    case "payment":
      return { amount: numericAmount(request.amount), metadata: request.metadata ?? null };
    case "settlement_transfer":
      return { amount: transferAmount(request.amount), metadata: request.metadata ?? null };
    case "send_money":
      return {
        source_identifier: request.source_identifier ?? null,
        destinations: request.destinations ?? [],
        currency: request.currency,
        metadata: request.metadata ?? null,
      };
    case "polling": {
      const company = typeof request.scope === "string" && request.scope.toLowerCase() === "company";
      return { scope: capitalised(request.scope), scope_reference: company ? null : request.scope_reference };
    }
    case "payment_link":
      return {
        till_name: "Sandbox Till",
        payment_reference: request.payment_reference ?? null,
        note: request.note ?? null,
        metadata: request.metadata ?? null,
      };
    case "reversal":
      return { metadata: request.metadata ?? null };
    default:
      return {};
  }
}

/** The attributes of `stored`'s status, read at `self` (the URL the status was asked at). */
export function statusAttributes(stored: SandboxResource, self: string): Json {
  const { url, _links, ...request } = stored.body;
  const attributes: Json = {
    ...request,
    ...(stored.type === "webhook_subscription" ? { webhook_uri: url } : url === undefined ? {} : { url }),
    ...fixedAttributes(stored),
    ...stored.state,
    created_at: stored.createdAt,
  };
  attributes._links = isRecord(_links) ? { ..._links, self } : { self };
  return attributes;
}

/** `{ data: { id, type, attributes } }`, as a status read answers and as a result is posted. */
export function resourceDocument(stored: SandboxResource, attributes: Json): Json {
  return { data: { id: stored.id, type: stored.type, attributes } };
}
