/**
 * Settlement transfers (v1): move money to the merchant's own bank account or wallet. On v2, use
 * send money without destinations.
 *
 * @module
 */
import { isRecord } from "../transport/answer.ts";
import type { OutgoingPaymentAttributes } from "./pay.ts";
import { create, readStatus, type K2CallOptions, type K2Connection, type K2Resource } from "./resource.ts";
import { all, callbackLinks, money, object, oneOf, text, validate, type Rule } from "./validation.ts";

/**
 * The body of `POST /api/v1/settlement_transfers`, exactly as K2 receives it. Without a destination
 * and amount the whole balance goes to the default settlement account.
 */
export interface SettlementTransferRequest {
  amount?: { currency: "KES"; value: number | string };
  /** Given together with `destination_reference`, or not at all. */
  destination_type?: "merchant_wallet" | "merchant_bank_account";
  destination_reference?: string;
  _links: { callback_url: string };
}

/**
 * A settlement transfer as {@link getSettlementTransferStatus} answers it, and as its result is
 * posted to the callback URL; its attributes are those of a v1 payment.
 */
export type SettlementTransfer = K2Resource<"settlement_transfer", OutgoingPaymentAttributes>;

/**
 * Transfers to a settlement account on v1 (`POST /api/v1/settlement_transfers`) and answers the
 * transfer's location.
 *
 * @see {@link https://api-docs.kopokopo.com | K2 API reference: Settlement transfers (v1)}
 * @example
 * ```ts
 * const location = await createSettlementTransfer(k2, {
 *   amount: { currency: "KES", value: "5000" },
 *   destination_type: "merchant_bank_account",
 *   destination_reference: "c7f300c0-f1ef-4151-9bbe-005005aa3747",
 *   _links: { callback_url: "https://example.com/k2/results" },
 * });
 * ```
 */
export async function createSettlementTransfer(
  k2: K2Connection,
  request: SettlementTransferRequest,
  options: K2CallOptions = {},
): Promise<string> {
  const bothOrNeither: Rule = (value, _path, problems) => {
    if (!isRecord(value)) return;
    const hasType = value.destination_type !== undefined;
    const hasReference = value.destination_reference !== undefined;
    if (hasType && !hasReference)
      problems.push({ path: "destination_reference", message: "is required with destination_type" });
    if (hasReference && !hasType)
      problems.push({ path: "destination_type", message: "is required with destination_reference" });
  };
  const rule = all(
    object(
      { _links: callbackLinks },
      {
        amount: money,
        destination_type: oneOf("merchant_wallet", "merchant_bank_account"),
        destination_reference: text,
      },
    ),
    bothOrNeither,
  );
  return create(
    k2,
    { name: "settlement_transfers", version: "v1" },
    validate("settlement transfer", rule, request),
    options,
  );
}

/**
 * A settlement transfer's status, by location or id.
 *
 * @see {@link https://api-docs.kopokopo.com | K2 API reference: Settlement transfers (v1)}
 * @example
 * ```ts
 * const { data } = await getSettlementTransferStatus(k2, location);
 * ```
 */
export async function getSettlementTransferStatus(
  k2: K2Connection,
  locationOrId: string,
  options: K2CallOptions = {},
): Promise<SettlementTransfer> {
  return readStatus(
    k2,
    { name: "settlement_transfers", version: "v1" },
    locationOrId,
    ["settlement_transfer"],
    options,
  );
}
