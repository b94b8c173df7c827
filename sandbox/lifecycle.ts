/**
 * How a created payment ends: after a delay (K2 waits on M-PESA and on the customer's phone), its
 * state moves from Pending to the outcome its test inputs choose, the result is posted to its
 * callback URL, and the webhooks K2 would fire go to their subscribers. Without this, a client's
 * callback and webhook handling could only be tried against Kopo Kopo itself.
 */
import { randomUUID } from "node:crypto";
import { isoWithOffset, isRecord, type Json } from "./http.ts";
import { normalisedPhone, outcomeFor, type TestOutcome } from "./outcomes.ts";
import { disbursementDestinationType, resourceDocument, statusAttributes, type SandboxResource } from "./resources.ts";
import { transactionReference, webhookResource, type EventFacts } from "./webhooks.ts";

/** A payment received by the sandbox's till, for polling and reversals to find. */
export interface LedgerEntry {
  /** The buygoods resource, as its webhook carried it. */
  resource: Json;
  receivedMs: number;
}

/** What the lifecycle needs of the server. */
export interface LifecycleHost {
  now(): number;
  /** The results and webhooks go out through this. */
  sendResult(stored: SandboxResource, document: Json): void;
  /** Fires `topic` to its subscribers (those of `till` and the company's). */
  fireWebhook(topic: string, resource: Json, till?: string): void;
  readonly ledger: LedgerEntry[];
}

/** Amounts as K2 (Rails BigDecimal) writes them: "20.0", "250.5". */
export function k2Amount(value: unknown): string {
  const number = Number(value);
  if (!Number.isFinite(number)) return String(value);
  const text = String(number);
  return text.includes(".") || text.includes("e") ? text : `${text}.0`;
}

export class Lifecycle {
  readonly #host: LifecycleHost;
  readonly #delayMs: () => number;
  readonly #timers = new Map<string, ReturnType<typeof setTimeout>>();
  /** Started and not yet ended, timed or held: what the sandbox's page lists to settle by hand. */
  readonly #inFlight = new Map<string, SandboxResource>();
  readonly #customers = new Set<string>();
  readonly #settled = new WeakSet<SandboxResource>();
  #idle: (() => void)[] = [];

  /** `delayMs` is read at each start: a running sandbox can be told to hold payments from then on. */
  constructor(host: LifecycleHost, delayMs: () => number) {
    this.#host = host;
    this.#delayMs = delayMs;
  }

  /** Starts the processing of a resource that ends with a result; others (accounts, subscriptions) have none. */
  start(stored: SandboxResource): void {
    if (!SETTLERS[stored.type]) return;
    this.#inFlight.set(stored.id, stored);
    const delayMs = this.#delayMs();
    if (!Number.isFinite(delayMs)) return;
    const timer = setTimeout(() => this.settle(stored), delayMs);
    this.#timers.set(stored.id, timer);
  }

  /**
   * Ends `stored` now, whatever the delay: its outcome, its result, its webhooks. With `as`, it ends
   * as if every phone it names were that test number (the sandbox's page settles with any outcome).
   */
  settle(stored: SandboxResource, as?: TestOutcome): void {
    this.stop(stored);
    if (this.#settled.has(stored)) return;
    const outcome = as ? () => as : outcomeFor;
    const result = SETTLERS[stored.type]?.(stored, this.#host, this.#customers, outcome);
    if (result === undefined) return;
    this.#settled.add(stored);
    const callbackUrl = isRecord(stored.body._links) ? stored.body._links.callback_url : undefined;
    if (typeof callbackUrl === "string" && !callbackLost(stored, outcome)) this.#host.sendResult(stored, result);
  }

  /** The resources started and not yet ended, oldest first. */
  inFlight(): SandboxResource[] {
    return [...this.#inFlight.values()];
  }

  /** Stops a resource's processing (a cancelled payment link is never paid). */
  stop(stored: SandboxResource): void {
    this.#inFlight.delete(stored.id);
    const timer = this.#timers.get(stored.id);
    if (timer) clearTimeout(timer);
    this.#timers.delete(stored.id);
    if (this.#timers.size === 0) this.#wakeIdle();
  }

  /** Resolves once no resource is still processing. */
  idle(): Promise<void> {
    if (this.#timers.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Drops every pending payment, and forgets the payers seen (the next one is a new customer again). */
  close(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    this.#inFlight.clear();
    this.#customers.clear();
    this.#wakeIdle();
  }

  #wakeIdle(): void {
    const waiting = this.#idle;
    this.#idle = [];
    for (const resolve of waiting) resolve();
  }
}

/** Moves a resource to its outcome and answers the result to post, or `undefined` for none. */
type Settler = (
  stored: SandboxResource,
  host: LifecycleHost,
  customers: Set<string>,
  outcomeFor: (phone: unknown) => TestOutcome,
) => Json | undefined;

const result = (stored: SandboxResource, attributes?: Json) =>
  resourceDocument(stored, attributes ?? statusAttributes(stored, stored.location));

/** A payment into the sandbox's till: recorded for polling and reversals, and announced by webhook. */
function receive(host: LifecycleHost, customers: Set<string>, facts: EventFacts): Json {
  const resource = webhookResource("buygoods_transaction_received", facts, host.now());
  host.ledger.push({ resource, receivedMs: host.now() });
  host.fireWebhook("buygoods_transaction_received", resource, facts.till_number);
  // K2 announces a payer it has not seen before as well (one action, several webhooks).
  if (facts.phone_number && !customers.has(facts.phone_number)) {
    customers.add(facts.phone_number);
    host.fireWebhook("customer_created", webhookResource("customer_created", facts, host.now()), facts.till_number);
  }
  return resource;
}

function disbursement(
  amount: unknown,
  type: unknown,
  reference: unknown,
  now: number,
  errors: string | null = null,
): Json {
  return {
    amount: k2Amount(amount),
    status: errors ? "Failed" : "Transferred",
    destination_type: type,
    origination_time: isoWithOffset(now),
    destination_reference: reference ?? null,
    transaction_reference: errors ? null : transactionReference(),
    ...(errors ? { errors: [errors] } : {}),
  };
}

const SETTLERS: Record<string, Settler> = {
  incoming_payment(stored, host, customers, outcomeFor) {
    const request = stored.body;
    const subscriber = isRecord(request.subscriber) ? request.subscriber : {};
    const outcome = outcomeFor(subscriber.phone_number);
    if (outcome.status === "Failed") {
      stored.state = {
        status: "Failed",
        event: { type: "Incoming Payment Request", resource: null, errors: outcome.errors },
      };
    } else {
      const resource = receive(host, customers, {
        id: randomUUID(),
        amount: k2Amount(request.amount?.value),
        till_number: String(request.till_number),
        phone_number: normalisedPhone(subscriber.phone_number),
        first_name: subscriber.first_name ?? undefined,
        middle_name: subscriber.middle_name ?? null,
        last_name: subscriber.last_name ?? undefined,
      });
      const { hashed_sender_phone: _hashed, ...paid } = resource;
      stored.state = { status: "Success", event: { type: "Incoming Payment Request", resource: paid, errors: null } };
    }
    return result(stored);
  },

  payment(stored, host) {
    const request = stored.body;
    const batch = disbursement(
      request.amount?.value,
      disbursementDestinationType(request.destination_type),
      request.destination_reference,
      host.now(),
    );
    stored.state = { status: "Processed", transfer_batches: [{ status: "Transferred", disbursements: [batch] }] };
    return result(stored);
  },

  settlement_transfer(stored, host) {
    const request = stored.body;
    // A whole-balance transfer moves what the sandbox's till has received.
    const balance = host.ledger.reduce((sum, entry) => sum + Number(entry.resource.amount ?? 0), 0);
    const value = isRecord(request.amount) && request.amount.value != null ? request.amount.value : balance;
    const type = disbursementDestinationType(request.destination_type ?? "merchant_bank_account");
    const batch = disbursement(value, type, request.destination_reference, host.now());
    stored.state = { status: "Processed", transfer_batches: [{ status: "Transferred", disbursements: [batch] }] };
    host.fireWebhook(
      "settlement_transfer_completed",
      webhookResource("settlement_transfer_completed", { amount: k2Amount(value) }, host.now()),
    );
    return result(stored);
  },

  send_money(stored, host, _customers, outcomeFor) {
    const destinations: Json[] = Array.isArray(stored.body.destinations) ? stored.body.destinations : [];
    const disbursements = destinations.map((destination): Json => {
      const outcome = destination.type === "mobile_wallet" ? outcomeFor(destination.phone_number) : undefined;
      const reference =
        destination.reference ??
        destination.phone_number ??
        destination.account_number ??
        destination.till_number ??
        destination.paybill_number;
      return {
        ...disbursement(destination.amount, destination.type, reference, host.now(), outcome?.errors ?? null),
        nickname: destination.nickname ?? null,
        favourite: destination.favourite ?? null,
        phone_number: destination.phone_number ?? null,
      };
    });
    const failed = disbursements.filter((item) => item.status === "Failed");
    const total = destinations.reduce((sum, destination) => sum + Number(destination.amount), 0);
    stored.state = {
      status: disbursements.length > 0 && failed.length === disbursements.length ? "Failed" : "Processed",
      transfer_batches: [{ status: "Processed", amount: k2Amount(total), disbursements }],
      errors: failed.length > 0 ? failed.flatMap((item) => item.errors as string[]) : null,
    };
    return result(stored);
  },

  polling(stored, host) {
    const request = stored.body;
    const from = Date.parse(request.from_time);
    const to = Date.parse(request.to_time);
    const till =
      typeof request.scope === "string" && request.scope.toLowerCase() === "till"
        ? String(request.scope_reference)
        : undefined;
    const transactions = host.ledger
      .filter((entry) => entry.receivedMs >= from && entry.receivedMs <= to)
      .filter((entry) => till === undefined || entry.resource.till_number === till)
      .map((entry) => ({ type: "Buygoods Transaction", resource: entry.resource }));
    stored.state = { status: "Success", transactions };
    return result(stored);
  },

  payment_link(stored, host, customers) {
    const request = stored.body;
    if ((stored.state.payment_link as Json).payment_link_status !== "Active") return undefined;
    const phone = "254700000000";
    const resource = receive(host, customers, {
      id: randomUUID(),
      amount: k2Amount(request.amount),
      till_number: String(request.till_number),
      phone_number: phone,
    });
    const link = stored.state.payment_link as Json;
    stored.state = { ...stored.state, payment_link: { ...link, payment_link_status: "Paid" } };
    // The paid result names the link's status `status` and gives the link absolute; the status read does neither.
    const attributes = statusAttributes(stored, stored.location);
    attributes.payment_link = {
      status: "Paid",
      link: `https://sandbox.kopokopo.com${link.link}`,
      expires_at: link.expires_at,
      transaction_reference: resource.reference,
      sender_phone_number: Number(phone),
      origination_time: resource.origination_time,
    };
    return result(stored, attributes);
  },

  reversal(stored, host) {
    const request = stored.body;
    const entry = host.ledger.find((candidate) => candidate.resource.reference === request.transaction_reference);
    if (entry && entry.resource.status !== "Reversed") {
      entry.resource = { ...entry.resource, status: "Reversed", reversal_time: isoWithOffset(host.now()) };
      host.fireWebhook("buygoods_transaction_reversed", entry.resource, entry.resource.till_number);
    }
    stored.state = {
      status: "Processed",
      reversal_bulk_payment: {
        amount: entry ? { currency: "KES", value: entry.resource.amount } : null,
        status: "Processed",
        origination_time: isoWithOffset(host.now()),
        transaction_reference: request.transaction_reference,
      },
      errors: null,
    };
    return result(stored);
  },

  transaction_sms_notification(stored) {
    stored.state = { status: "Success" };
    return result(stored);
  },
};

/** Whether a test number says this payment's callback is never sent (the STK phone, or a wallet paid). */
function callbackLost(stored: SandboxResource, outcomeFor: (phone: unknown) => TestOutcome): boolean {
  const subscriber = isRecord(stored.body.subscriber) ? stored.body.subscriber : undefined;
  const destinations = Array.isArray(stored.body.destinations) ? stored.body.destinations.filter(isRecord) : [];
  const phones = [subscriber?.phone_number, ...destinations.map((destination) => destination.phone_number)];
  return phones.some((phone) => phone !== undefined && outcomeFor(phone).callback === false);
}
