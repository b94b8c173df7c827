/**
 * K2's webhook events: the topic table (event type and resource of each), the envelope, the flat
 * Daraja payload some subscriptions ask for, and who is subscribed to what. The sandbox fires them
 * when its own payments succeed, and on demand through `POST /__sandbox/trigger`, so that a
 * receiver can be tried against every topic without waiting for a real till to be paid.
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { isoWithOffset, type Json } from "./http.ts";

/** What an event is about; what the sandbox does not know (a triggered event) gets sample values. */
export interface EventFacts {
  id?: string;
  reference?: string;
  amount?: string;
  till_number?: string;
  phone_number?: string;
  first_name?: string;
  middle_name?: string | null;
  last_name?: string;
  origination_time?: string;
}

interface Topic {
  /** `event.type` as K2 writes it. */
  eventType: string;
  resource(facts: Required<EventFacts>, now: number): Json;
}

const buygoods = (status: string) => (facts: Required<EventFacts>, now: number) => ({
  id: facts.id,
  amount: facts.amount,
  status,
  system: "Lipa Na M-PESA",
  currency: "KES",
  reference: facts.reference,
  till_number: facts.till_number,
  sender_phone_number: `+${facts.phone_number}`,
  hashed_sender_phone: createHash("sha256").update(facts.phone_number).digest("hex"),
  origination_time: facts.origination_time,
  sender_first_name: facts.first_name,
  sender_middle_name: facts.middle_name,
  sender_last_name: facts.last_name,
  ...(status === "Reversed" ? { reversal_time: isoWithOffset(now) } : {}),
});

const b2b = (status: string) => (facts: Required<EventFacts>) => ({
  id: facts.id,
  amount: facts.amount,
  status,
  system: "Lipa Na M-PESA",
  currency: "KES",
  reference: facts.reference,
  till_number: facts.till_number,
  sending_till: "K999999",
  origination_time: facts.origination_time,
});

const card = (status: string) => (facts: Required<EventFacts>) => ({
  id: facts.id,
  amount: facts.amount,
  status,
  currency: "KES",
  reference: facts.reference,
  origination_time: facts.origination_time,
  till_number: facts.till_number,
  customer_cc_number: "************4242",
  ...(status === "Received" ? { settled: false } : {}),
});

/** Every webhook topic K2 documents or its SDKs parse, subscribable or not. */
export const WEBHOOK_TOPICS: Readonly<Record<string, Topic>> = Object.freeze({
  buygoods_transaction_received: { eventType: "Buygoods Transaction", resource: buygoods("Received") },
  buygoods_transaction_reversed: { eventType: "Buygoods Transaction", resource: buygoods("Reversed") },
  b2b_transaction_received: { eventType: "External Till to Till Transaction", resource: b2b("Received") },
  b2b_transaction_reversed: { eventType: "External Till To Till Reversal Transaction", resource: b2b("Reversed") },
  m2m_transaction_received: {
    eventType: "Merchant to Merchant Transaction",
    resource: (facts) => ({
      id: facts.id,
      amount: facts.amount,
      status: "Received",
      currency: "KES",
      origination_time: facts.origination_time,
      sending_merchant: "Sandbox Supplies Ltd",
    }),
  },
  settlement_transfer_completed: {
    eventType: "Settlement Transfer",
    resource: (facts) => ({
      id: facts.id,
      amount: facts.amount,
      status: "Transferred",
      currency: "KES",
      transaction_reference: facts.reference,
      origination_time: facts.origination_time,
      transfer_time: facts.origination_time,
      transfer_type: "Settlement",
      // Ruby's nested shape; parseWebhook reads the flat ones too.
      destination: {
        type: "Bank Account",
        resource: {
          reference: "c7f300c0-f1ef-4151-9bbe-005005aa3747",
          account_name: "Sandbox Merchant Ltd",
          account_number: "1234567890",
          bank_branch_ref: "633aa26c-7b7c-4091-ae28-96c0687cf886",
          settlement_method: "EFT",
        },
      },
      disbursements: [
        {
          amount: facts.amount,
          status: "Transferred",
          destination_type: "Bank Account",
          origination_time: facts.origination_time,
          destination_reference: "c7f300c0-f1ef-4151-9bbe-005005aa3747",
          transaction_reference: facts.reference,
        },
      ],
    }),
  },
  customer_created: {
    eventType: "Customer Created",
    resource: (facts) => ({
      first_name: facts.first_name,
      middle_name: facts.middle_name,
      last_name: facts.last_name,
      phone_number: `+${facts.phone_number}`,
    }),
  },
  card_transaction_received: { eventType: "Card Transaction", resource: card("Received") },
  card_transaction_voided: { eventType: "Card Transaction", resource: card("Voided") },
  card_transaction_reversed: { eventType: "Card Transaction", resource: card("Reversed") },
});

/** Topics whose subscriptions may ask for Safaricom's flat payload instead (`enable_daraja_payload`). */
const DARAJA_TOPICS: Record<string, string> = {
  buygoods_transaction_received: "Buygoods",
  b2b_transaction_received: "Organization To Organization Transfer",
};

/** An M-PESA-style transaction code (10 capitals and digits, e.g. OJM6Q1W84K). */
export function transactionReference(): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  const bytes = randomBytes(10);
  return Array.from(bytes, (byte) => alphabet[byte % alphabet.length]).join("");
}

function withSamples(facts: EventFacts, now: number): Required<EventFacts> {
  return {
    id: facts.id ?? randomUUID(),
    reference: facts.reference ?? transactionReference(),
    amount: facts.amount ?? "100.00",
    till_number: facts.till_number ?? "K000000",
    phone_number: facts.phone_number ?? "254700000000",
    first_name: facts.first_name ?? "Jane",
    middle_name: facts.middle_name ?? null,
    last_name: facts.last_name ?? "Doe",
    origination_time: facts.origination_time ?? isoWithOffset(now),
  };
}

/** The `event.resource` of `topic`, with `overrides` laid over it (a triggered event's `resource`). */
export function webhookResource(topic: string, facts: EventFacts, now: number, overrides: Json = {}): Json {
  return { ...WEBHOOK_TOPICS[topic]!.resource(withSamples(facts, now), now), ...overrides };
}

/** K2's webhook envelope; `origin` is the sandbox's, for `_links`. */
export function webhookEvent(topic: string, resource: Json, origin: string, now: number): Json {
  const id = randomUUID();
  return {
    topic,
    id,
    created_at: isoWithOffset(now),
    event: { type: WEBHOOK_TOPICS[topic]!.eventType, resource },
    _links: {
      self: `${origin}/api/v2/webhook_events/${id}`,
      resource: `${origin}/api/v2/financial_transaction/${typeof resource.id === "string" ? resource.id : id}`,
    },
  };
}

/** The Daraja object sent instead of the envelope, or `undefined` for a topic that has none. */
export function darajaPayload(topic: string, resource: Json): Json | undefined {
  const type = DARAJA_TOPICS[topic];
  if (!type) return undefined;
  const time = typeof resource.origination_time === "string" ? resource.origination_time : new Date().toISOString();
  return {
    TransactionType: type,
    TransID: resource.reference,
    TransTime: time.slice(0, 19).replace(/\D/g, ""),
    TransAmount: resource.amount,
    BusinessShortCode: resource.till_number,
    BillRefNumber: "",
    InvoiceNumber: "",
    OrgAccountBalance: "",
    ThirdPartyTransID: "",
    MSISDN: typeof resource.sender_phone_number === "string" ? resource.sender_phone_number.replace(/^\+/, "") : "",
    FirstName: resource.sender_first_name ?? "",
    MiddleName: resource.sender_middle_name ?? "",
    LastName: resource.sender_last_name ?? "",
  };
}

/** A webhook subscription as the sandbox keeps it. */
export interface Subscription {
  id: string;
  event_type: string;
  url: string;
  scope: string;
  scope_reference: string | null;
  enable_daraja_payload: boolean;
}

/** The subscriptions an event of `topic` on `till` goes to: the company's, and that till's. */
export function subscribersOf(subscriptions: Iterable<Subscription>, topic: string, till?: string): Subscription[] {
  return [...subscriptions].filter(
    (subscription) =>
      subscription.event_type === topic &&
      (till === undefined ||
        subscription.scope.toLowerCase() !== "till" ||
        String(subscription.scope_reference) === String(till)),
  );
}
