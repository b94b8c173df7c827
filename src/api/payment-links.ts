/**
 * Payment links (v2): a link a customer opens to pay a till.
 *
 * @module
 */
import {
  create,
  postAction,
  readStatus,
  type K2CallOptions,
  type K2Connection,
  type K2Links,
  type K2Metadata,
  type K2Resource,
  type K2Status,
} from "./resource.ts";
import { amount, callbackLinks, kes, metadata, object, text, validate } from "./validation.ts";

/** The body of `POST /api/v2/payment_links`, exactly as K2 receives it. */
export interface PaymentLinkRequest {
  till_number: string;
  currency: "KES";
  amount: number | string;
  payment_reference?: string;
  note?: string;
  metadata?: K2Metadata;
  _links: { callback_url: string };
}

/**
 * A payment link's status. The SDKs disagree on where the status is: `status` in one,
 * `payment_link_status` in another; read `attributes.status ?? attributes.payment_link_status`.
 */
export interface PaymentLinkAttributes {
  status?: K2Status<"Active" | "Paid" | "Cancelled" | "Expired">;
  payment_link_status?: K2Status<"Active" | "Paid" | "Cancelled" | "Expired">;
  created_at?: string;
  till_name?: string;
  till_number?: string;
  currency?: string;
  amount?: string | number;
  payment_reference?: string | null;
  note?: string | null;
  /** The link to give the customer. */
  payment_link?: string;
  errors?: unknown;
  metadata?: K2Metadata | null;
  _links?: K2Links;
  [field: string]: unknown;
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
 * sendToCustomer(data.attributes.payment_link);
 * ```
 */
export async function createPaymentLink(
  k2: K2Connection,
  request: PaymentLinkRequest,
  options: K2CallOptions = {},
): Promise<string> {
  const rule = object(
    { till_number: text, currency: kes, amount, _links: callbackLinks },
    { payment_reference: text, note: text, metadata },
  );
  return create(k2, { name: "payment_links", version: "v2" }, validate("payment link", rule, request), options);
}

/**
 * Cancels a payment link (`POST {location}/cancel`, empty body) and answers K2's message.
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
 * const status = data.attributes.status ?? data.attributes.payment_link_status;
 * ```
 */
export async function getPaymentLinkStatus(
  k2: K2Connection,
  locationOrId: string,
  options: K2CallOptions = {},
): Promise<PaymentLink> {
  return readStatus(k2, { name: "payment_links", version: "v2" }, locationOrId, ["payment_link"], options);
}
