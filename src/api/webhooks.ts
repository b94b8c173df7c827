/**
 * Webhooks and results: verifies what K2 posted, then tells it apart. K2 posts two kinds of
 * things, both signed the same way: webhook events (`{ topic, id, created_at, event, _links }`) to
 * subscription URLs, and results (`{ data: { id, type, attributes } }`) to the callback URLs of
 * requests. With `enable_daraja_payload`, buygoods and b2b webhooks arrive as Safaricom's flat
 * Daraja object instead.
 *
 * @module
 */
import { isRecord } from "../transport/answer.ts";
import { K2EdgeError } from "../errors.ts";
import { verifyWebhookSignature } from "../k2/webhook-signature.ts";
import type { IncomingPaymentAttributes } from "./incoming-payments.ts";
import type { OutgoingPaymentAttributes } from "./pay.ts";
import type { PaymentLinkAttributes } from "./payment-links.ts";
import type { PollingAttributes } from "./polling.ts";
import { resourceProblem, type K2Resource } from "./resource.ts";
import type { ReversalAttributes } from "./reversals.ts";
import type { SendMoneyAttributes } from "./send-money.ts";
import type { TransactionSmsNotificationAttributes } from "./sms-notifications.ts";
import type {
  K2B2bTransaction,
  K2BuygoodsTransaction,
  K2CardTransaction,
  K2Customer,
  K2M2mTransaction,
  K2SettlementDestination,
  K2SettlementTransfer,
} from "./transactions.ts";

/** The resource each known webhook topic carries in `event.resource`. */
export interface K2WebhookResources {
  buygoods_transaction_received: K2BuygoodsTransaction;
  buygoods_transaction_reversed: K2BuygoodsTransaction;
  b2b_transaction_received: K2B2bTransaction;
  b2b_transaction_reversed: K2B2bTransaction;
  m2m_transaction_received: K2M2mTransaction;
  settlement_transfer_completed: K2SettlementTransfer;
  customer_created: K2Customer;
  card_transaction_received: K2CardTransaction;
  card_transaction_voided: K2CardTransaction;
  card_transaction_reversed: K2CardTransaction;
}

/** The webhook topics this version knows; {@link K2WebhookResources} gives each one's resource. */
export type K2WebhookTopic = keyof K2WebhookResources;

/** A webhook exactly as K2 posted it. */
export interface K2WebhookPayload<Topic extends string, Resource> {
  topic: Topic;
  /** The event's id: deduplicate on it, since K2 may deliver an event more than once. */
  id: string;
  created_at?: string;
  event: {
    /** `"Buygoods Transaction"`, `"Settlement Transfer"`, `"Customer Created"`… */
    type?: string;
    resource: Resource;
    [field: string]: unknown;
  };
  _links?: { self?: string; resource?: string; [link: string]: unknown };
  [field: string]: unknown;
}

type WebhookOf<Topic extends K2WebhookTopic> = {
  kind: "webhook";
  topic: Topic;
  payload: K2WebhookPayload<Topic, K2WebhookResources[Topic]>;
};

/** A webhook with a known topic; narrow on `topic`. */
export type K2WebhookEvent =
  | { [Topic in Exclude<K2WebhookTopic, "settlement_transfer_completed">]: WebhookOf<Topic> }[Exclude<
      K2WebhookTopic,
      "settlement_transfer_completed"
    >]
  | (WebhookOf<"settlement_transfer_completed"> & {
      /** `event.resource.destination` read from either shape the SDKs disagree on. */
      destination: K2SettlementDestination;
    });

/** A webhook whose topic this version does not know: returned as it came, never thrown. */
export interface K2UnknownWebhookEvent {
  kind: "unknown_webhook";
  topic: string;
  payload: { topic: string; id: string; event?: unknown; [field: string]: unknown };
}

/** The attributes of each result K2 posts to a request's callback URL, by `data.type`. */
export interface K2ResultAttributes {
  incoming_payment: IncomingPaymentAttributes;
  send_money: SendMoneyAttributes;
  payment: OutgoingPaymentAttributes;
  settlement_transfer: OutgoingPaymentAttributes;
  polling: PollingAttributes;
  payment_link: PaymentLinkAttributes;
  reversal: ReversalAttributes;
  /** K2's docs spell a reversal's type so; the SDKs `reversal`. */
  reversals: ReversalAttributes;
  transaction_sms_notification: TransactionSmsNotificationAttributes;
}

/** The `data.type` of each result this version knows, as posted to a request's callback URL. */
export type K2ResultType = keyof K2ResultAttributes;

/** A result with a known `data.type`; narrow on `type` (a copy of `payload.data.type`). */
export type K2ResultEvent = {
  [Type in K2ResultType]: { kind: "result"; type: Type; payload: K2Resource<Type, K2ResultAttributes[Type]> };
}[K2ResultType];

/** A result whose `data.type` this version does not know. */
export interface K2UnknownResultEvent {
  kind: "unknown_result";
  type: string;
  payload: K2Resource<string, Record<string, unknown>>;
}

/** Safaricom's flat payload, sent instead of K2's event for subscriptions with `enable_daraja_payload`. */
export interface K2DarajaPayload {
  TransactionType?: string;
  TransID: string;
  /** `YYYYMMDDhhmmss`. */
  TransTime?: string;
  TransAmount?: string | number;
  BusinessShortCode?: string;
  BillRefNumber?: string;
  InvoiceNumber?: string;
  OrgAccountBalance?: string | number;
  /** Node's spelling. */
  ThirdPartyTransID?: string;
  /** Ruby's spelling. */
  ThirdPartyTransId?: string;
  /** The payer's number: a string, sometimes an object. */
  MSISDN?: string | Record<string, unknown>;
  FirstName?: string;
  MiddleName?: string;
  LastName?: string;
  [field: string]: unknown;
}

/**
 * A webhook that came as Safaricom's flat Daraja payload (a subscription with
 * `enable_daraja_payload`) rather than as K2's event; `payload.TransID` names the transaction.
 */
export interface K2DarajaEvent {
  kind: "daraja";
  payload: K2DarajaPayload;
}

/** Everything {@link parseWebhook} answers: narrow on `kind`, then on `topic` or `type`. */
export type K2Notification =
  K2WebhookEvent | K2UnknownWebhookEvent | K2ResultEvent | K2UnknownResultEvent | K2DarajaEvent;

/**
 * What K2 posted could not be accepted: its signature does not match (`reason: "signature"`), or
 * it is not a JSON webhook, result or Daraja payload (`reason: "body"`).
 *
 * @see {@link https://developers.kopokopo.com/guides/webhooks/ | K2: webhooks}
 * @see {@link https://www.rfc-editor.org/rfc/rfc2104 | RFC 2104 (HMAC)}
 * @example
 * ```ts
 * catch (e) {
 *   if (e instanceof K2WebhookError) return new Response(null, { status: e.reason === "signature" ? 401 : 400 });
 * }
 * ```
 */
export class K2WebhookError extends K2EdgeError {
  override name = "K2WebhookError";
  readonly reason: "signature" | "body";

  constructor(reason: "signature" | "body", message: string, options?: ErrorOptions) {
    super(message, options);
    this.reason = reason;
  }
}

// Object literals rather than Sets: no module-level calls, so bundlers drop them when unused.
const TOPICS: Record<K2WebhookTopic, true> = {
  buygoods_transaction_received: true,
  buygoods_transaction_reversed: true,
  b2b_transaction_received: true,
  b2b_transaction_reversed: true,
  m2m_transaction_received: true,
  settlement_transfer_completed: true,
  customer_created: true,
  card_transaction_received: true,
  card_transaction_voided: true,
  card_transaction_reversed: true,
};

const RESULT_TYPES: Record<K2ResultType, true> = {
  incoming_payment: true,
  send_money: true,
  payment: true,
  settlement_transfer: true,
  polling: true,
  payment_link: true,
  reversal: true,
  reversals: true,
  transaction_sms_notification: true,
};

/**
 * Verifies a webhook or result against `X-KopoKopo-Signature` over the raw bytes as received, then
 * parses it. A bad or missing signature throws a {@link K2WebhookError} and nothing is parsed. The
 * answer is discriminated by `kind`: `"webhook"` (narrow on `topic`), `"result"` (narrow on `type`,
 * which is `data.type`), `"daraja"`, and `"unknown_webhook"` / `"unknown_result"` for topics and
 * types this version does not know. `payload` is K2's JSON as sent, unknown fields included.
 *
 * @see {@link https://developers.kopokopo.com/guides/webhooks/ | K2: webhooks}
 * @see {@link https://api-docs.kopokopo.com | K2 API reference: Webhooks}
 * @example
 * ```ts
 * const signature = request.headers.get("x-kopokopo-signature");
 * const notification = await parseWebhook(await request.arrayBuffer(), signature, env.K2_API_KEY);
 * if (notification.kind === "webhook" && notification.topic === "buygoods_transaction_received") {
 *   await credit(notification.payload.id, notification.payload.event.resource.amount);
 * } else if (notification.kind === "result" && notification.type === "incoming_payment") {
 *   await settle(notification.payload.data.attributes.status);
 * }
 * ```
 */
export async function parseWebhook(
  rawBody: string | ArrayBuffer | ArrayBufferView,
  signatureHeader: string | null | undefined,
  apiKey: string,
): Promise<K2Notification> {
  if (!(await verifyWebhookSignature(rawBody, signatureHeader, apiKey))) {
    throw new K2WebhookError("signature", "The X-KopoKopo-Signature does not match the body: not parsed");
  }
  const text = typeof rawBody === "string" ? rawBody : new TextDecoder().decode(rawBody);
  let body: unknown;
  try {
    body = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (error) {
    throw new K2WebhookError("body", "The webhook body is not JSON", { cause: error });
  }
  if (!isRecord(body)) throw new K2WebhookError("body", "The webhook body is not a JSON object");
  if ("topic" in body) return webhookOf(body);
  if ("data" in body) return resultOf(body);
  if (typeof body.TransID === "string") return { kind: "daraja", payload: body as K2DarajaPayload };
  throw new K2WebhookError(
    "body",
    "The body is neither a K2 webhook (topic), a result (data) nor a Daraja payload (TransID)",
  );
}

function webhookOf(body: Record<string, unknown>): K2Notification {
  const { topic, id, event } = body;
  if (typeof topic !== "string" || typeof id !== "string")
    throw new K2WebhookError("body", "A webhook without a string topic and id");
  if (!Object.hasOwn(TOPICS, topic))
    return { kind: "unknown_webhook", topic, payload: body as K2UnknownWebhookEvent["payload"] };
  if (!isRecord(event) || !isRecord(event.resource))
    throw new K2WebhookError("body", `A ${topic} webhook without event.resource`);
  const known = { kind: "webhook", topic, payload: body } as K2WebhookEvent;
  if (known.topic !== "settlement_transfer_completed") return known;
  return { ...known, destination: settlementDestination(known.payload.event.resource.destination) };
}

function resultOf(body: Record<string, unknown>): K2Notification {
  const problem = resourceProblem(body, []);
  if (problem) throw new K2WebhookError("body", `A result with ${problem}`);
  const payload = body as unknown as K2Resource<string, Record<string, unknown>>;
  const type = payload.data.type;
  if (Object.hasOwn(RESULT_TYPES, type)) return { kind: "result", type, payload } as K2ResultEvent;
  return { kind: "unknown_result", type, payload };
}

/**
 * `destination` of a settlement, from any of its three shapes: nested (`{ type: "Mobile Wallet",
 * resource: {...} }`, Ruby), flat (`{ type: "mobile", msisdn, mm_system }`, `{ type: "bank", bank,
 * branch, account_number, mode }`, Node), or Python's (`{ type: "merchant_wallet", msisdn, network }`,
 * `{ type: "merchant_bank_account", bank_id, bank_branch_id, account_name, account_number }`). {@link parseWebhook} already adds it to `settlement_transfer_completed`
 * events as `destination`; this is for a payload read some other way.
 *
 * @see {@link https://api-docs.kopokopo.com | K2 API reference: Webhooks (settlement transfer completed)}
 * @example
 * ```ts
 * const stored = JSON.parse(row.body); // a settlement_transfer_completed webhook, verified when it arrived
 * const destination = settlementDestination(stored.event.resource.destination);
 * if (destination.type === "bank_account") console.log(destination.account_number, destination.settlement_method);
 * ```
 */
export function settlementDestination(destination: unknown): K2SettlementDestination {
  if (!isRecord(destination)) return { type: "unknown", raw: {} };
  const raw = destination;
  const nested = isRecord(raw.resource) ? raw.resource : {};
  const pick = (...names: string[]): string | undefined => {
    for (const source of [nested, raw]) {
      for (const name of names) {
        const value = source[name];
        if (typeof value === "string" || typeof value === "number") return String(value);
      }
    }
    return undefined;
  };
  const kind = typeof raw.type === "string" ? raw.type.toLowerCase().replace(/[\s-]+/g, "_") : "";
  if (/mobile|wallet|mpesa/.test(kind)) {
    return {
      type: "mobile_wallet",
      phone_number: pick("phone_number", "msisdn"),
      network: pick("network", "mm_system"),
      first_name: pick("first_name"),
      last_name: pick("last_name"),
      reference: pick("reference"),
      raw,
    };
  }
  if (/bank/.test(kind)) {
    return {
      type: "bank_account",
      account_name: pick("account_name"),
      account_number: pick("account_number"),
      bank_branch_ref: pick("bank_branch_ref"),
      bank: pick("bank"),
      branch: pick("branch"),
      bank_id: pick("bank_id"),
      bank_branch_id: pick("bank_branch_id"),
      settlement_method: pick("settlement_method", "transfer_method", "mode"),
      reference: pick("reference"),
      raw,
    };
  }
  return { type: "unknown", raw };
}
