/**
 * Pay (v1): one payment to a pay recipient. Deprecated by K2 on v2: use send money.
 *
 * @module
 */
import {
  create,
  type K2Attributes,
  readStatus,
  type K2Amount,
  type K2CallOptions,
  type K2Connection,
  type K2Metadata,
  type K2Resource,
  type K2Status,
} from "./resource.ts";
import type { getSendMoneyStatus, sendMoney } from "./send-money.ts";
import type { K2TransferBatch } from "./transactions.ts";
import { callbackLinks, metadata, money, object, oneOf, text, validate } from "./validation.ts";

/** The body of `POST /api/v1/payments`, as K2's docs and the official SDKs write it. */
export interface PayRequest {
  destination_type: "mobile_wallet" | "bank_account" | "till" | "paybill";
  /** The reference of a pay recipient (from its status). */
  destination_reference: string;
  amount: { currency: "KES"; value: number | string };
  description: string;
  category?: string | null;
  tags?: string | null;
  metadata?: K2Metadata | null;
  _links: { callback_url: string };
}

/** The status of a payment (v1 pay) or of a settlement transfer, and their results. */
export interface OutgoingPaymentAttributes extends K2Attributes {
  status?: K2Status<"Pending" | "Processed" | "Transferred" | "Failed">;
  amount?: K2Amount;
  transfer_batches?: K2TransferBatch[] | null;
}

/**
 * A v1 payment as {@link getPaymentStatus} answers it, and as its result is posted to the callback
 * URL: `{ data: { id, type: "payment", attributes } }`.
 */
export type Payment = K2Resource<"payment", OutgoingPaymentAttributes>;

/**
 * Pays a pay recipient on v1 (`POST /api/v1/payments`) and answers the payment's location.
 *
 * @deprecated K2 deprecated v1 Pay on v2 (the Node SDK 2.0 dropped it): use {@link sendMoney}.
 * @see {@link https://api-docs.kopokopo.com | K2 API reference: Pay (v1)}
 * @example
 * ```ts
 * const location = await createPayment(k2, {
 *   destination_type: "mobile_wallet",
 *   destination_reference: "9764ef5f-fcd6-42c1-bbff-de280becc64b",
 *   amount: { currency: "KES", value: "2000" },
 *   description: "Salary for November",
 *   _links: { callback_url: "https://example.com/k2/results" },
 * });
 * ```
 */
export async function createPayment(
  k2: K2Connection,
  request: PayRequest,
  options: K2CallOptions = {},
): Promise<string> {
  const rule = object(
    {
      destination_type: oneOf("mobile_wallet", "bank_account", "till", "paybill"),
      destination_reference: text,
      amount: money,
      description: text,
      _links: callbackLinks,
    },
    { category: text, tags: text, metadata },
  );
  return create(k2, { name: "payments", version: "v1" }, validate("pay", rule, request, options), options);
}

/**
 * A v1 payment's status, by location or id.
 *
 * @deprecated K2 deprecated v1 Pay on v2: use {@link sendMoney} and {@link getSendMoneyStatus}.
 * @see {@link https://api-docs.kopokopo.com | K2 API reference: Pay (v1)}
 * @example
 * ```ts
 * const { data } = await getPaymentStatus(k2, location);
 * ```
 */
export async function getPaymentStatus(
  k2: K2Connection,
  locationOrId: string,
  options: K2CallOptions = {},
): Promise<Payment> {
  return readStatus(k2, { name: "payments", version: "v1" }, locationOrId, ["payment"], options);
}
