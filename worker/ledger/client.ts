/**
 * The isolate's side of the payment ledger (object.ts): the proxy records each payment K2 created,
 * the inbox settles it by K2's callback, the reconciler (reconcile.ts) by a status read, and
 * `GET /payments` reads it.
 */
import type { Caller } from "../common/callers.ts";
import { k2Settings, type K2Env } from "../common/k2-settings.ts";
import { settingsOf, wholeNumber } from "../common/settings.ts";
import { sha256Hex } from "../common/sha256.ts";
import type { NewPayment, PaymentLedger, PaymentRow, PaymentState, Settlement } from "./object.ts";

export interface LedgerEnv extends K2Env {
  /** The payment ledger. Unbound, payments are not recorded and `/payments` answers 503. */
  LEDGER?: DurableObjectNamespace<PaymentLedger>;
  /** How long a payment may wait for K2's callback before its status is read, in seconds. Default 180. */
  RECONCILE_AFTER_SECONDS?: string;
  /** The most payments one reconciliation pass reads. Default 50. */
  RECONCILE_BATCH?: string;
  /** When a payment no status read settled becomes `unknown`, in hours after its creation. Default 24. */
  RECONCILE_GIVE_UP_HOURS?: string;
}

export interface LedgerSettings {
  afterMs: number;
  batch: number;
  giveUpMs: number;
}

const readLedgerSettings = (env: LedgerEnv): LedgerSettings => ({
  afterMs: wholeNumber(env.RECONCILE_AFTER_SECONDS, "RECONCILE_AFTER_SECONDS", 180, 0) * 1000,
  batch: wholeNumber(env.RECONCILE_BATCH, "RECONCILE_BATCH", 50),
  giveUpMs: wholeNumber(env.RECONCILE_GIVE_UP_HOURS, "RECONCILE_GIVE_UP_HOURS", 24) * 3_600_000,
});

/** The reconciliation settings, checked once per isolate. */
export const ledgerSettings = (env: LedgerEnv): LedgerSettings => settingsOf(env, readLedgerSettings);

/** The K2 resources whose creation moves money, and the `data.type` K2 gives each. */
export const PAYMENT_TYPES: Readonly<Record<string, string>> = {
  incoming_payments: "incoming_payment",
  send_money: "send_money",
  payments: "payment",
  settlement_transfers: "settlement_transfer",
  reversals: "reversal",
  payment_links: "payment_link",
};

/** The ledger of the K2 application the Worker speaks for, or `undefined` when unbound. */
export async function ledgerOf(env: LedgerEnv): Promise<DurableObjectStub<PaymentLedger> | undefined> {
  const namespace = env.LEDGER;
  if (!namespace) return undefined;
  const name = (await sha256Hex(`k2-ledger\n${k2Settings(env).clientId}`)).slice(0, 32);
  return namespace.get(namespace.idFromName(name));
}

/** The ledger's figures for the dashboard's health view, or `undefined` when unbound. */
export async function ledgerHealth(env: LedgerEnv, since: number) {
  const ledger = await ledgerOf(env);
  return ledger && (await ledger.health(since));
}

/** What the proxy knows of a payment K2 just created. */
export interface CreatedPayment {
  caller: Caller;
  /** The checked API path it was created on (`/api/v2/incoming_payments`). */
  path: string;
  body: ArrayBuffer | undefined;
  /** The caller-facing Location K2's answer named. */
  location: string;
  idempotencyKey: string | null;
}

/**
 * Records a payment K2 created, when the path is one that moves money; anything else (recipients,
 * subscriptions, polling) is not a payment. Throws when the ledger cannot be written.
 */
export async function recordPayment(env: LedgerEnv, created: CreatedPayment): Promise<void> {
  const found = /^\/api\/v[12]\/([a-z_]+)$/.exec(created.path);
  const type = found && PAYMENT_TYPES[found[1]!];
  const id = /\/([A-Za-z0-9_-]+)(?:[?#].*)?$/.exec(created.location)?.[1];
  if (!type || !id) return;
  const ledger = await ledgerOf(env);
  if (!ledger) return;
  await ledger.record(
    {
      id,
      type,
      location: created.location,
      ...readPayment(type, created.body),
      keyId: created.caller.id ?? null,
      idempotencyKey: created.idempotencyKey,
    },
    ledgerSettings(env).afterMs,
  );
}

/** Settles the payment a result or status is about; a payment the ledger does not know is left alone. */
export async function settlePayment(env: LedgerEnv, settlement: Settlement): Promise<{ changed: boolean }> {
  const ledger = await ledgerOf(env);
  return ledger ? ledger.settle(settlement) : { changed: false };
}

/**
 * Settles the payment K2's account of it is about (a result K2 posted, or a status read), when that
 * account says it ended; a pending account changes nothing.
 */
export async function settleByReport(
  env: LedgerEnv,
  data: { id: string; type: string; attributes?: unknown },
  eventId: string,
  settledBy: Settlement["settledBy"],
): Promise<{ changed: boolean }> {
  const state = stateOfAttributes(data.type, data.attributes);
  if (state === "pending") return { changed: false };
  return settlePayment(env, { id: data.id, state, settledBy, eventId });
}

/** The amount, currency and (masked) phone of a payment's request, as far as its body says. */
function readPayment(type: string, body: ArrayBuffer | undefined): Pick<NewPayment, "amount" | "currency" | "phone"> {
  let json: Record<string, unknown> = {};
  try {
    json = record(JSON.parse(new TextDecoder().decode(body ?? new ArrayBuffer(0))));
  } catch {
    // K2 accepted it, so it was JSON; an unreadable body only leaves the fields empty.
  }
  const amountOf = (value: unknown) => (value === undefined || value === null ? null : String(value));
  switch (type) {
    case "incoming_payment":
      return {
        amount: amountOf(record(json.amount).value),
        currency: textOf(record(json.amount).currency) ?? "KES",
        phone: masked(record(json.subscriber).phone_number),
      };
    case "payment_link":
      return { amount: amountOf(json.amount), currency: textOf(json.currency) ?? "KES", phone: null };
    case "send_money": {
      const destinations = Array.isArray(json.destinations) ? json.destinations.map(record) : [];
      const amounts = destinations.map((destination) => Number(destination.amount));
      const total = amounts.length > 0 && amounts.every(Number.isFinite) ? amounts.reduce((a, b) => a + b, 0) : null;
      const phones = destinations.map((destination) => destination.phone_number).filter((phone) => phone !== undefined);
      return {
        amount: total === null ? null : String(total),
        currency: textOf(json.currency) ?? "KES",
        phone: phones.length === 1 ? masked(phones[0]) : null,
      };
    }
    default:
      return {
        amount: amountOf(record(json.amount).value),
        currency: record(json.amount).value === undefined ? null : (textOf(record(json.amount).currency) ?? "KES"),
        phone: null,
      };
  }
}

/** `+2547•••••678`: enough to recognise a customer on a call, not enough to call them. */
export function masked(phone: unknown): string | null {
  const digits =
    typeof phone === "string" ? /^(?:\+254|254|0)?(\d{9})$/.exec(phone.replace(/\s/g, ""))?.[1] : undefined;
  return digits ? `+254${digits[0]}•••••${digits.slice(6)}` : null;
}

/**
 * How a payment stands by K2's own account of it (a result's or status read's `attributes`):
 * `success` or `failed` when K2 says it ended, else `pending`.
 */
export function stateOfAttributes(type: string, attributes: unknown): Exclude<PaymentState, "unknown"> {
  const fields = record(attributes);
  if (type === "payment_link") {
    const link = record(fields.payment_link);
    const status = textOf(link.payment_link_status ?? link.status)?.toLowerCase();
    if (status === "paid") return "success";
    return status === "expired" || status === "cancelled" ? "failed" : "pending";
  }
  const status = textOf(fields.status)?.toLowerCase();
  if (status === undefined) return "pending";
  if (["failed", "cancelled", "rejected", "declined", "reversed"].includes(status)) return "failed";
  if (["success", "processed", "transferred", "completed", "complete", "paid"].includes(status))
    return hasErrors(fields.errors) ? "failed" : "success";
  return "pending";
}

function hasErrors(errors: unknown): boolean {
  return Array.isArray(errors) ? errors.length > 0 : typeof errors === "string" && errors.trim() !== "";
}

/** A payment as `GET /payments` shows it. */
export function publicPayment(row: PaymentRow) {
  return {
    id: row.id,
    type: row.type,
    state: row.state,
    amount: { currency: row.currency, value: row.amount },
    phone: row.phone,
    location: row.location,
    key_id: row.key_id,
    idempotency_key: row.idempotency_key,
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
    settled_by: row.settled_by,
  };
}

const record = (value: unknown): Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};

const textOf = (value: unknown): string | undefined =>
  typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
