/**
 * Transaction SMS notifications (v1): text the customer of a received Buy Goods payment. Deprecated
 * by K2 on v2, with no replacement.
 *
 * @module
 */
import {
  create,
  type K2Attributes,
  readStatus,
  type K2CallOptions,
  type K2Connection,
  type K2Resource,
  type K2Status,
} from "./resource.ts";
import { callbackLinks, object, text, validate } from "./validation.ts";

/** The body of `POST /api/v1/transaction_sms_notifications`, as K2's docs and the official SDKs write it. */
export interface TransactionSmsNotificationRequest {
  /** The `id` of the `buygoods_transaction_received` webhook the SMS is about. */
  webhook_event_reference: string;
  message: string;
  _links: { callback_url: string };
}

/** An SMS notification's status, and the result posted to its callback URL. */
export interface TransactionSmsNotificationAttributes extends K2Attributes {
  status?: K2Status<"Pending" | "Success" | "Failed">;
  webhook_event_reference?: string;
  message?: string;
}

/**
 * A transaction SMS notification as {@link getTransactionSmsNotificationStatus} answers it, and as
 * its result is posted to the callback URL.
 */
export type TransactionSmsNotification = K2Resource<
  "transaction_sms_notification",
  TransactionSmsNotificationAttributes
>;

/**
 * Sends the customer of a received payment an SMS (`POST /api/v1/transaction_sms_notifications`)
 * and answers the notification's location.
 *
 * @deprecated K2 deprecated transaction SMS notifications on v2 (the Node SDK 2.0 dropped them).
 * @see {@link https://api-docs.kopokopo.com | K2 API reference: Transaction SMS notifications}
 * @example
 * ```ts
 * const location = await sendTransactionSmsNotification(k2, {
 *   webhook_event_reference: event.payload.id,
 *   message: "Thank you for your payment",
 *   _links: { callback_url: "https://example.com/k2/results" },
 * });
 * ```
 */
export async function sendTransactionSmsNotification(
  k2: K2Connection,
  request: TransactionSmsNotificationRequest,
  options: K2CallOptions = {},
): Promise<string> {
  const rule = object({ webhook_event_reference: text, message: text, _links: callbackLinks });
  return create(
    k2,
    { name: "transaction_sms_notifications", version: "v1" },
    validate("transaction SMS notification", rule, request, options),
    options,
  );
}

/**
 * An SMS notification's status, by location or id.
 *
 * @deprecated K2 deprecated transaction SMS notifications on v2.
 * @see {@link https://api-docs.kopokopo.com | K2 API reference: Transaction SMS notifications}
 * @example
 * ```ts
 * const { data } = await getTransactionSmsNotificationStatus(k2, location);
 * ```
 */
export async function getTransactionSmsNotificationStatus(
  k2: K2Connection,
  locationOrId: string,
  options: K2CallOptions = {},
): Promise<TransactionSmsNotification> {
  const collection = { name: "transaction_sms_notifications", version: "v1" as const };
  return readStatus(k2, collection, locationOrId, ["transaction_sms_notification"], options);
}
