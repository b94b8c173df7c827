/**
 * Send money (v2): pay phones, bank accounts, tills and paybills, or move the balance to the
 * merchant's own accounts, in one request.
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
import type { K2TransferBatch } from "./transactions.ts";
import {
  amount,
  boolean,
  byType,
  callbackLinks,
  digits,
  kes,
  list,
  metadata,
  object,
  phone,
  text,
  validate,
} from "./validation.ts";

type Amount = number | string;

/** Fields of every destination: the amount, a description, and whether to save it. */
interface ExternalDestination {
  /** Sent as a string. */
  amount: Amount;
  description: string;
  nickname?: string | null;
  /** Save the destination as a favourite. */
  favourite?: boolean | null;
}

/** One destination of a send money request, told apart by `type`. */
export type SendMoneyDestination =
  | (ExternalDestination & {
      type: "mobile_wallet";
      /** Any form the SDKs send (`+254…`, `0…`, 9 digits); sent as `254` and 9 digits, as K2's docs show. */
      phone_number: string;
      network: string;
    })
  | (ExternalDestination & {
      type: "bank_account";
      bank_branch_ref: string;
      account_name: string;
      account_number: string | number;
    })
  | (ExternalDestination & { type: "till"; till_number: string | number })
  | (ExternalDestination & {
      type: "paybill";
      paybill_number: string | number;
      paybill_account_number: string | number;
    })
  /** One of the merchant's own settlement accounts, by its reference; the description is optional. */
  | {
      type: "merchant_wallet" | "merchant_bank_account";
      reference: string;
      amount: Amount;
      description?: string | null;
      nickname?: string | null;
      favourite?: boolean | null;
    };

/** The body of `POST /api/v2/send_money`, as K2's docs and the official SDKs write it. */
export interface SendMoneyRequest {
  /** The wallet to pay from; the main wallet when absent. */
  source_identifier?: string | null;
  currency: "KES";
  /**
   * Where the money goes. Without destinations (absent, or `[]` as K2's docs write it), the whole
   * balance goes to the merchant's own accounts.
   */
  destinations?: SendMoneyDestination[] | null;
  metadata?: K2Metadata | null;
  _links: { callback_url: string };
}

/** A send money request's status, and the result posted to its callback URL. */
export interface SendMoneyAttributes extends K2Attributes {
  status?: K2Status<"Scheduled" | "Processed" | "Failed">;
  /** `null` or `""` for the main wallet. */
  source_identifier?: string | null;
  destinations?: Record<string, unknown>[] | null;
  currency?: string;
  transfer_batches?: K2TransferBatch[] | null;
}

/**
 * A send money request as {@link getSendMoneyStatus} answers it, and as its result is posted to the
 * callback URL: `{ data: { id, type: "send_money", attributes } }`.
 */
export type SendMoney = K2Resource<"send_money", SendMoneyAttributes>;

/**
 * Sends money (`POST /api/v2/send_money`) and answers the request's location. Wallet phones are
 * sent as `254…`, amounts and numeric references as strings.
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
  const optional = { nickname: text, favourite: boolean };
  const to = (fields: Parameters<typeof object>[0]) =>
    object({ type: text, ...fields, amount, description: text }, optional);
  const own = object({ type: text, reference: text, amount }, { description: text, ...optional });
  const destination = byType({
    mobile_wallet: to({ phone_number: phone("254"), network: text }),
    bank_account: to({ bank_branch_ref: text, account_name: text, account_number: digits }),
    till: to({ till_number: digits }),
    paybill: to({ paybill_number: digits, paybill_account_number: digits }),
    merchant_wallet: own,
    merchant_bank_account: own,
  });
  const rule = object(
    { currency: kes, _links: callbackLinks },
    { source_identifier: text, destinations: list(destination), metadata },
  );
  const body = validate("send money", rule, request, options);
  return create(k2, { name: "send_money", version: "v2" }, body, options);
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
