/**
 * Send money (v2): pay phones, bank accounts, tills and paybills, or move the balance to the
 * merchant's own accounts, in one request.
 *
 * @module
 */
import {
  create,
  readStatus,
  type K2CallOptions,
  type K2Connection,
  type K2Links,
  type K2Metadata,
  type K2Resource,
  type K2Status,
} from "./resource.ts";
import type { K2TransferBatch } from "./transactions.ts";
import {
  amount,
  boolean,
  byType,
  callbackLinks,
  kes,
  list,
  metadata,
  object,
  phone,
  text,
  validate,
} from "./validation.ts";

type Amount = number | string;

/** Fields of every external destination: the amount, a description, and whether to save it. */
interface ExternalDestination {
  amount: Amount;
  description: string;
  nickname?: string;
  /** Save the destination as a favourite. */
  favourite?: boolean;
}

/** One destination of a send money request, told apart by `type`. */
export type SendMoneyDestination =
  | (ExternalDestination & {
      type: "mobile_wallet";
      /** `254` and 9 digits: `"254712345678"`. */
      phone_number: string;
      network: string;
    })
  | (ExternalDestination & {
      type: "bank_account";
      bank_branch_ref: string;
      account_name: string;
      account_number: string;
    })
  | (ExternalDestination & { type: "till"; till_number: string })
  | (ExternalDestination & { type: "paybill"; paybill_number: string; paybill_account_number: string })
  /** One of the merchant's own settlement accounts, by its reference. */
  | { type: "merchant_wallet" | "merchant_bank_account"; reference: string; amount: Amount; description?: string };

/** The body of `POST /api/v2/send_money`, exactly as K2 receives it. */
export interface SendMoneyRequest {
  /** The wallet to pay from; the main wallet when absent. */
  source_identifier?: string;
  currency: "KES";
  /** Omit to send the whole balance to the merchant's own accounts; an empty list is refused. */
  destinations?: SendMoneyDestination[];
  metadata?: K2Metadata;
  _links: { callback_url: string };
}

/** A send money request's status, and the result posted to its callback URL. */
export interface SendMoneyAttributes {
  status?: K2Status<"Scheduled" | "Processed" | "Failed">;
  created_at?: string;
  source_identifier?: string | null;
  destinations?: Record<string, unknown>[];
  currency?: string;
  transfer_batches?: K2TransferBatch[];
  errors?: unknown;
  metadata?: K2Metadata | null;
  _links?: K2Links;
  [field: string]: unknown;
}

/**
 * A send money request as {@link getSendMoneyStatus} answers it, and as its result is posted to the
 * callback URL: `{ data: { id, type: "send_money", attributes } }`.
 */
export type SendMoney = K2Resource<"send_money", SendMoneyAttributes>;

/**
 * Sends money (`POST /api/v2/send_money`) and answers the request's location.
 *
 * @see {@link https://api-docs.kopokopo.com | K2 API reference: Send money}
 * @example
 * ```ts
 * const location = await sendMoney(k2, {
 *   currency: "KES",
 *   destinations: [
 *     {
 *       type: "mobile_wallet", phone_number: "254712345678", network: "Safaricom",
 *       amount: 500, description: "Refund #42",
 *     },
 *     { type: "till", till_number: "K112233", amount: "1200", description: "Stock" },
 *   ],
 *   _links: { callback_url: "https://example.com/k2/results" },
 * });
 * ```
 */
export async function sendMoney(
  k2: K2Connection,
  request: SendMoneyRequest,
  options: K2CallOptions = {},
): Promise<string> {
  const external = { amount, description: text };
  const extra = { nickname: text, favourite: boolean };
  const own = object({ type: text, reference: text, amount }, { description: text });
  const destination = byType({
    mobile_wallet: object({ type: text, phone_number: phone("254"), network: text, ...external }, extra),
    bank_account: object(
      { type: text, bank_branch_ref: text, account_name: text, account_number: text, ...external },
      extra,
    ),
    till: object({ type: text, till_number: text, ...external }, extra),
    paybill: object({ type: text, paybill_number: text, paybill_account_number: text, ...external }, extra),
    merchant_wallet: own,
    merchant_bank_account: own,
  });
  const rule = object(
    { currency: kes, _links: callbackLinks },
    { source_identifier: text, destinations: list(destination), metadata },
  );
  return create(k2, { name: "send_money", version: "v2" }, validate("send money", rule, request), options);
}

/**
 * A send money request's status, by location or id.
 *
 * @see {@link https://api-docs.kopokopo.com | K2 API reference: Send money}
 * @example
 * ```ts
 * const { data } = await getSendMoneyStatus(k2, location);
 * for (const batch of data.attributes.transfer_batches ?? []) console.log(batch.status);
 * ```
 */
export async function getSendMoneyStatus(
  k2: K2Connection,
  locationOrId: string,
  options: K2CallOptions = {},
): Promise<SendMoney> {
  return readStatus(k2, { name: "send_money", version: "v2" }, locationOrId, ["send_money"], options);
}
