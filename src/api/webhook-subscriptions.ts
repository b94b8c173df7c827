/**
 * Webhook subscriptions: where K2 posts events (payments received, reversals, settlements,
 * customers, card transactions).
 *
 * @module
 */
import type { K2Scope } from "./polling.ts";
import {
  create,
  readStatus,
  versioned,
  type K2Connection,
  type K2Resource,
  type K2Status,
  type K2VersionedCallOptions,
} from "./resource.ts";
import { across, all, boolean, oneOf, scoped, url, v2Only, validate } from "./validation.ts";

/** The events a webhook subscription can be made for. */
export type K2SubscribableEvent =
  | "buygoods_transaction_received"
  | "b2b_transaction_received"
  | "b2b_transaction_reversed"
  | "buygoods_transaction_reversed"
  | "settlement_transfer_completed"
  | "customer_created"
  | "card_transaction_received"
  | "card_transaction_voided"
  | "card_transaction_reversed";

/** The body of `POST /api/v2/webhook_subscriptions`, as K2's docs and the official SDKs write it. */
export type WebhookSubscriptionRequest = K2Scope & {
  event_type: K2SubscribableEvent;
  /** Where K2 posts the events. */
  url: string;
  /**
   * v2 only, and only for `buygoods_transaction_received` and `b2b_transaction_received`: post
   * Safaricom's flat Daraja payload instead of K2's event.
   */
  enable_daraja_payload?: boolean | null;
};

/** A subscription's status. K2 names the URL `webhook_uri` here. */
export interface WebhookSubscriptionAttributes {
  event_type?: string;
  webhook_uri?: string;
  scope?: string;
  scope_reference?: string | null;
  status?: K2Status<"Active" | "Inactive" | "Pending">;
  enable_daraja_payload?: boolean;
  [field: string]: unknown;
}

/**
 * A webhook subscription as {@link getWebhookSubscriptionStatus} answers it: its event, scope, URL
 * and status.
 */
export type WebhookSubscription = K2Resource<"webhook_subscription", WebhookSubscriptionAttributes>;

/**
 * Subscribes a URL to an event (`POST /api/v2/webhook_subscriptions`, or v1) and answers the
 * subscription's location.
 *
 * @see {@link https://api-docs.kopokopo.com | K2 API reference: Webhook subscriptions}
 * @see {@link https://developers.kopokopo.com/guides/webhooks/ | K2: webhooks}
 * @example
 * ```ts
 * const location = await createWebhookSubscription(k2, {
 *   event_type: "buygoods_transaction_received",
 *   url: "https://example.com/k2/webhooks",
 *   scope: "till",
 *   scope_reference: "K000000",
 * });
 * ```
 */
export async function createWebhookSubscription(
  k2: K2Connection,
  request: WebhookSubscriptionRequest,
  options: K2VersionedCallOptions = {},
): Promise<string> {
  const collection = versioned("webhook_subscriptions", options);
  const daraja = across((value, check) => {
    if (!check.strict || value.enable_daraja_payload !== true) return;
    if (value.event_type === "buygoods_transaction_received" || value.event_type === "b2b_transaction_received") return;
    const message = "can only be true for buygoods_transaction_received and b2b_transaction_received";
    check.problems.push({ path: "enable_daraja_payload", message });
  });
  const events: readonly K2SubscribableEvent[] = [
    "buygoods_transaction_received",
    "b2b_transaction_received",
    "b2b_transaction_reversed",
    "buygoods_transaction_reversed",
    "settlement_transfer_completed",
    "customer_created",
    "card_transaction_received",
    "card_transaction_voided",
    "card_transaction_reversed",
  ];
  const rule = all(
    scoped({ event_type: oneOf(...events), url }, { enable_daraja_payload: v2Only(collection.version, boolean) }),
    daraja,
  );
  const body = validate("webhook subscription", rule, request, options);
  return create(k2, collection, body, options);
}

/**
 * A webhook subscription's status, by location or id.
 *
 * @see {@link https://api-docs.kopokopo.com | K2 API reference: Webhook subscriptions}
 * @see {@link https://developers.kopokopo.com/guides/webhooks/ | K2: webhooks}
 * @example
 * ```ts
 * const { data } = await getWebhookSubscriptionStatus(k2, location);
 * console.log(data.attributes.webhook_uri);
 * ```
 */
export async function getWebhookSubscriptionStatus(
  k2: K2Connection,
  locationOrId: string,
  options: K2VersionedCallOptions = {},
): Promise<WebhookSubscription> {
  return readStatus(k2, versioned("webhook_subscriptions", options), locationOrId, ["webhook_subscription"], options);
}
