/**
 * Settlement transfers (v1): move money to the merchant's own bank account or wallet. Deprecated
 * by K2 on v2: use send money to a merchant account, or without destinations.
 *
 * @module
 */
import { isRecord } from "../transport/answer.ts";
import type { OutgoingPaymentAttributes } from "./pay.ts";
import { create, readStatus, type K2CallOptions, type K2Connection, type K2Resource } from "./resource.ts";
import type { sendMoney } from "./send-money.ts";
import {
  absent,
  across,
  all,
  callbackLinks,
  kes,
  money,
  object,
  oneOf,
  text,
  validate,
  type Rule,
} from "./validation.ts";

/**
 * The body of `POST /api/v1/settlement_transfers`, as K2's docs and the official SDKs write it.
 * Without a destination and amount the whole balance goes to the default settlement account: an
 * amount without a value (`{}` as Node sent it, `{ currency: "KES", value: null }`) and `null`
 * fields (as PHP sends them) count as absent and are left out.
 */
export interface SettlementTransferRequest {
  amount?: { currency?: "KES" | null; value?: number | string | null } | null;
  /** Given together with `destination_reference`, or not at all. */
  destination_type?: "merchant_wallet" | "merchant_bank_account" | null;
  destination_reference?: string | null;
  _links: { callback_url: string };
}

/**
 * A settlement transfer as {@link getSettlementTransferStatus} answers it, and as its result is
 * posted to the callback URL; its attributes are those of a v1 payment (`amount.value` is `null`
 * for a whole-balance transfer).
 */
export type SettlementTransfer = K2Resource<"settlement_transfer", OutgoingPaymentAttributes>;

/**
 * Transfers to a settlement account on v1 (`POST /api/v1/settlement_transfers`) and answers the
 * transfer's location.
 *
 * @deprecated K2 deprecated settlement transfers on v2 (the Node SDK 2.0 dropped them): use
 * {@link sendMoney} to a `merchant_bank_account` / `merchant_wallet`, or without destinations.
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
  const wholeOrPart: Rule = (value, path, check) => {
    if (!isRecord(value) || !absent(value.value)) return money(value, path, check);
    if (!absent(value.currency)) kes(value.currency, `${path}.currency`, check);
    return undefined;
  };
  const bothOrNeither = across((value, check) => {
    const hasType = value.destination_type !== undefined;
    const hasReference = value.destination_reference !== undefined;
    if (hasType && !hasReference)
      check.problems.push({ path: "destination_reference", message: "is required with destination_type" });
    if (hasReference && !hasType)
      check.problems.push({ path: "destination_type", message: "is required with destination_reference" });
  });
  const rule = all(
    object(
      { _links: callbackLinks },
      {
        amount: wholeOrPart,
        destination_type: oneOf("merchant_wallet", "merchant_bank_account"),
        destination_reference: text,
      },
    ),
    bothOrNeither,
  );
  const body = validate("settlement transfer", rule, request, options);
  return create(k2, { name: "settlement_transfers", version: "v1" }, body, options);
}

/**
 * A settlement transfer's status, by location or id.
 *
 * @deprecated K2 deprecated settlement transfers on v2: use send money and its status.
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
