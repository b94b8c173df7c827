/**
 * Settlement accounts: the merchant's own bank accounts and M-PESA wallets, where send money
 * (v2) and settlement transfers (v1) can move the balance.
 *
 * @module
 */
import {
  create,
  readStatus,
  versioned,
  type K2Connection,
  type K2Resource,
  type K2Status,
  type K2VersionedCallOptions,
} from "./resource.ts";
import { digits, email, object, oneOf, phone, text, v2Only, validate } from "./validation.ts";

/** The body of `POST /api/v2/merchant_bank_accounts`, as K2's docs and the official SDKs write it. */
export interface MerchantBankAccountRequest {
  account_name: string;
  /** `EFT` or `RTS` (real-time, for larger amounts). */
  settlement_method: "EFT" | "RTS";
  bank_branch_ref: string;
  /** A number is sent as a string. */
  account_number: string | number;
  /** v2 only. */
  nickname?: string | null;
}

/** The body of `POST /api/v2/merchant_wallets`, as K2's docs and the official SDKs write it. */
export interface MerchantWalletRequest {
  first_name: string;
  last_name: string;
  /**
   * `+254712345678`, `254712345678`, `0712345678` or `712345678`; sent as `+254` and 9 digits,
   * as K2's docs write a mobile wallet's number.
   */
  phone_number: string;
  /** `"Safaricom"`. */
  network: string;
  email?: string | null;
  /** v2 only. */
  nickname?: string | null;
}

/** A settlement account's status: K2 echoes its details. */
export interface SettlementAccountAttributes {
  /** `"Approved"` once money can be sent to it. */
  status?: K2Status<"Approved" | "Pending" | "Failed">;
  nickname?: string | null;
  /**
   * The reference later paid to (`destination_reference`, send money's `reference`).
   *
   * @deprecated K2 discontinued reading a settlement account's reference through the API: read it
   * in the Kopo Kopo dashboard (Settings, Settlement details). It may no longer be in the answer.
   */
  account_reference?: string;
  [field: string]: unknown;
}

/**
 * A merchant bank account as {@link getMerchantBankAccountStatus} answers it: its status, and the
 * details it was added with.
 */
export type MerchantBankAccount = K2Resource<
  "merchant_bank_account",
  SettlementAccountAttributes & Partial<MerchantBankAccountRequest>
>;
/**
 * A merchant wallet as {@link getMerchantWalletStatus} answers it: its status, and the details it
 * was added with.
 */
export type MerchantWallet = K2Resource<
  "merchant_wallet",
  SettlementAccountAttributes & Partial<MerchantWalletRequest>
>;

/**
 * Adds a bank account for settlements (`POST /api/v2/merchant_bank_accounts`, or v1 with
 * `{ version: "v1" }`, which takes no `nickname`) and answers its location.
 *
 * @see {@link https://api-docs.kopokopo.com | K2 API reference: Settlement accounts}
 * @example
 * ```ts
 * const location = await createMerchantBankAccount(k2, {
 *   account_name: "Jane's Shop Ltd",
 *   settlement_method: "RTS",
 *   bank_branch_ref: "633aa26c-7b7c-4091-ae28-96c0687cf886",
 *   account_number: "1234567890",
 *   nickname: "Main account",
 * });
 * ```
 */
export async function createMerchantBankAccount(
  k2: K2Connection,
  request: MerchantBankAccountRequest,
  options: K2VersionedCallOptions = {},
): Promise<string> {
  const collection = versioned("merchant_bank_accounts", options);
  const rule = object(
    { account_name: text, settlement_method: oneOf("EFT", "RTS"), bank_branch_ref: text, account_number: digits },
    { nickname: v2Only(collection.version, text) },
  );
  return create(k2, collection, validate("merchant bank account", rule, request, options), options);
}

/**
 * Adds an M-PESA wallet for settlements (`POST /api/v2/merchant_wallets`, or v1) and answers its
 * location.
 *
 * @see {@link https://api-docs.kopokopo.com | K2 API reference: Settlement accounts}
 * @example
 * ```ts
 * const location = await createMerchantWallet(k2, {
 *   first_name: "Jane", last_name: "Doe", phone_number: "254712345678", network: "Safaricom",
 * });
 * ```
 */
export async function createMerchantWallet(
  k2: K2Connection,
  request: MerchantWalletRequest,
  options: K2VersionedCallOptions = {},
): Promise<string> {
  const collection = versioned("merchant_wallets", options);
  const rule = object(
    { first_name: text, last_name: text, phone_number: phone("+254"), network: text },
    { email, nickname: v2Only(collection.version, text) },
  );
  return create(k2, collection, validate("merchant wallet", rule, request, options), options);
}

/**
 * A merchant bank account's status, by location or id.
 *
 * @deprecated K2 discontinued reading a settlement account (and its reference) through the API:
 * read the reference in the Kopo Kopo dashboard. Kept for applications that still get an answer.
 * @see {@link https://developers.kopokopo.com/guides/transfer-money-settle/view-destination-reference | K2: view a settlement account's reference (discontinued through the API)}
 * @see {@link https://api-docs.kopokopo.com | K2 API reference: Settlement accounts}
 * @example
 * ```ts
 * const { data } = await getMerchantBankAccountStatus(k2, location);
 * ```
 */
export async function getMerchantBankAccountStatus(
  k2: K2Connection,
  locationOrId: string,
  options: K2VersionedCallOptions = {},
): Promise<MerchantBankAccount> {
  return readStatus(k2, versioned("merchant_bank_accounts", options), locationOrId, ["merchant_bank_account"], options);
}

/**
 * A merchant wallet's status, by location or id.
 *
 * @deprecated K2 discontinued reading a settlement account (and its reference) through the API:
 * read the reference in the Kopo Kopo dashboard. Kept for applications that still get an answer.
 * @see {@link https://developers.kopokopo.com/guides/transfer-money-settle/view-destination-reference | K2: view a settlement account's reference (discontinued through the API)}
 * @see {@link https://api-docs.kopokopo.com | K2 API reference: Settlement accounts}
 * @example
 * ```ts
 * const { data } = await getMerchantWalletStatus(k2, location);
 * ```
 */
export async function getMerchantWalletStatus(
  k2: K2Connection,
  locationOrId: string,
  options: K2VersionedCallOptions = {},
): Promise<MerchantWallet> {
  return readStatus(k2, versioned("merchant_wallets", options), locationOrId, ["merchant_wallet"], options);
}
