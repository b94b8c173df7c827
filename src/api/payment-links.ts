/**
 * Payment links (v2): a link a customer opens to pay a till.
 *
 * @module
 */
import {
  create,
  type K2Attributes,
  postAction,
  readStatus,
  type K2CallOptions,
  type K2Connection,
  type K2Metadata,
  type K2Resource,
  type K2Status,
} from "./resource.ts";
import { amount, callbackLinks, digits, kes, metadata, object, text, validate } from "./validation.ts";

/** The body of `POST /api/v2/payment_links`, as K2's docs and the official SDKs write it. */
export interface PaymentLinkRequest {
  /** A number is sent as a string. */
  till_number: string | number;
  currency: "KES";
  /** Sent as a string. */
  amount: number | string;
  payment_reference?: string | null;
  note?: string | null;
  metadata?: K2Metadata | null;
  _links: { callback_url: string };
}

/**
 * The link itself, `attributes.payment_link`. In a status it has `link` (a relative path such as
 * `/links/...`), `expires_at`, `initiator_name` and `payment_link_status` (`"Active"`...); in the
 * result posted once paid, `status` (`"Paid"`), `link` (absolute), `expires_at`,
 * `transaction_reference`, `sender_phone_number` (a JSON number) and `origination_time`. Read the
 * link's own status as `payment_link_status ?? status`.
 */
export interface K2PaymentLinkDetails {
  link?: string;
  expires_at?: string;
  initiator_name?: string;
  /** The link's status in a status read. */
  payment_link_status?: K2Status<"Active" | "Paid" | "Cancelled" | "Expired">;
  /** The link's status in the paid result. */
  status?: K2Status<"Active" | "Paid" | "Cancelled" | "Expired">;
  transaction_reference?: string | null;
  sender_phone_number?: number | string | null;
  origination_time?: string | null;
  [field: string]: unknown;
}

/** A payment link's status, and the result posted to its callback URL once paid. */
export interface PaymentLinkAttributes extends K2Attributes {
  /** The request's processing status (`"Processed"`), not the link's: see `payment_link`. */
  status?: K2Status<"Pending" | "Processed" | "Failed">;
  till_name?: string;
  till_number?: string;
  currency?: string;
  amount?: string | number;
  payment_reference?: string | null;
  note?: string | null;
  /** The link to give the customer, with its own status. */
  payment_link?: K2PaymentLinkDetails | null;
}

/**
 * A payment link as {@link getPaymentLinkStatus} answers it, and as its result is posted to the
 * callback URL once paid: `{ data: { id, type: "payment_link", attributes } }`.
 */
export type PaymentLink = K2Resource<"payment_link", PaymentLinkAttributes>;

/**
 * Creates a payment link (`POST /api/v2/payment_links`) and answers its location; its status holds
 * the link itself.
 *
 * @see {@link https://api-docs.kopokopo.com | K2 API reference: Payment links}
 * @example
 * ```ts
 * const location = await createPaymentLink(k2, {
 *   till_number: "K000000",
 *   currency: "KES",
 *   amount: 1500,
 *   payment_reference: "INV-0042",
 *   note: "Invoice 42",
 *   _links: { callback_url: "https://example.com/k2/results" },
 * });
 * const { data } = await getPaymentLinkStatus(k2, location);
 * sendToCustomer(data.attributes.payment_link?.link);
 * ```
 */
export async function createPaymentLink(
  k2: K2Connection,
  request: PaymentLinkRequest,
  options: K2CallOptions = {},
): Promise<string> {
  const rule = object(
    { till_number: digits, currency: kes, amount, _links: callbackLinks },
    { payment_reference: text, note: text, metadata },
  );
  const body = validate("payment link", rule, request, options);
  return create(k2, { name: "payment_links", version: "v2" }, body, options);
}

/**
 * Cancels a payment link (`POST {location}/cancel` with the JSON body `{}`, as the SDKs send it)
 * and answers K2's message (`"Payment link cancelled."`).
 *
 * @see {@link https://api-docs.kopokopo.com | K2 API reference: Payment links}
 * @example
 * ```ts
 * const { message } = await cancelPaymentLink(k2, location);
 * ```
 */
export async function cancelPaymentLink(
  k2: K2Connection,
  locationOrId: string,
  options: K2CallOptions = {},
): Promise<{ message: string | undefined }> {
  const body = await postAction(k2, { name: "payment_links", version: "v2" }, locationOrId, "cancel", options);
  return { message: typeof body.message === "string" ? body.message : undefined };
}

/**
 * A payment link's status, by location or id.
 *
 * @see {@link https://api-docs.kopokopo.com | K2 API reference: Payment links}
 * @example
 * ```ts
 * const { data } = await getPaymentLinkStatus(k2, location);
 * const link = data.attributes.payment_link;
 * const linkStatus = link?.payment_link_status ?? link?.status; // "Active", "Paid", ...
 * ```
 */
export async function getPaymentLinkStatus(
  k2: K2Connection,
  locationOrId: string,
  options: K2CallOptions = {},
): Promise<PaymentLink> {
  return readStatus(k2, { name: "payment_links", version: "v2" }, locationOrId, ["payment_link"], options);
}
