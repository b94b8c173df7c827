/**
 * Reversals (v2): give a received payment back.
 *
 * @module
 */
import {
  create,
  type K2Attributes,
  readStatus,
  type K2CallOptions,
  type K2Connection,
  type K2Metadata,
  type K2Resource,
  type K2Status,
} from "./resource.ts";
import { callbackLinks, metadata, object, text, validate } from "./validation.ts";

/** The body of `POST /api/v2/reversals`, as K2's docs and the official SDKs write it. */
export interface ReversalRequest {
  /** The reference of the transaction to reverse, e.g. M-PESA's `"OJM6Q1W84K"` (incoming, last 30 days). */
  transaction_reference: string;
  reason: string;
  metadata?: K2Metadata | null;
  _links: { callback_url: string };
}

/** A reversal's status, and the result posted to its callback URL. */
export interface ReversalAttributes extends K2Attributes {
  /** Seen as `"Scheduled"` (docs), `"Received"` (Node) and `"Processed"` (Ruby). */
  status?: K2Status<"Scheduled" | "Received" | "Processed" | "Failed">;
  transaction_reference?: string;
  reason?: string;
  /** The money given back. */
  reversal_bulk_payment?: {
    amount?: string | number;
    status?: string;
    origination_time?: string | null;
    transaction_reference?: string | null;
    [field: string]: unknown;
  } | null;
}

/**
 * A reversal as {@link getReversalStatus} answers it, and as its result is posted to the callback
 * URL: `{ data: { id, type, attributes } }`, with `type` `"reversal"` (the SDKs) or `"reversals"`
 * (K2's docs).
 */
export type Reversal = K2Resource<"reversal" | "reversals", ReversalAttributes>;

/**
 * Reverses a transaction (`POST /api/v2/reversals`) and answers the reversal's location.
 *
 * @see {@link https://api-docs.kopokopo.com | K2 API reference: Reversals}
 * @example
 * ```ts
 * const location = await createReversal(k2, {
 *   transaction_reference: "OJM6Q1W84K",
 *   reason: "Customer paid twice",
 *   _links: { callback_url: "https://example.com/k2/results" },
 * });
 * ```
 */
export async function createReversal(
  k2: K2Connection,
  request: ReversalRequest,
  options: K2CallOptions = {},
): Promise<string> {
  const rule = object({ transaction_reference: text, reason: text, _links: callbackLinks }, { metadata });
  return create(k2, { name: "reversals", version: "v2" }, validate("reversal", rule, request, options), options);
}

/**
 * A reversal's status, by location or id.
 *
 * @see {@link https://api-docs.kopokopo.com | K2 API reference: Reversals}
 * @example
 * ```ts
 * const { data } = await getReversalStatus(k2, location);
 * ```
 */
export async function getReversalStatus(
  k2: K2Connection,
  locationOrId: string,
  options: K2CallOptions = {},
): Promise<Reversal> {
  return readStatus(k2, { name: "reversals", version: "v2" }, locationOrId, ["reversal", "reversals"], options);
}
