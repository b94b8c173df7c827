/**
 * Settlement accounts: the merchant's own bank accounts and M-PESA wallets, where send money
 * (v2) and settlement transfers (v1) can move the balance.
 *
 * @module
 */
import {
  create,
  readStatus,
  type K2Connection,
  type K2Resource,
  type K2Status,
  type K2VersionedCallOptions,
} from "./resource.ts";
import { email, object, oneOf, phone, text, v2Only, validate } from "./validation.ts";

/** The body of `POST /api/v2/merchant_bank_accounts`, exactly as K2 receives it. */
export interface MerchantBankAccountRequest {
  account_name: string;
  /** `EFT` or `RTS` (real-time, for larger amounts). */
  settlement_method: "EFT" | "RTS";
  bank_branch_ref: string;
  account_number: string;
  /** v2 only. */
  nickname?: string;
}

/** The body of `POST /api/v2/merchant_wallets`, exactly as K2 receives it. */
export interface MerchantWalletRequest {
  first_name: string;
  last_name: string;
  /** `+254` or `254`, and 9 digits. */
  phone_number: string;
  /** `"Safaricom"`. */
  network: string;
  email?: string;
  /** v2 only. */
  nickname?: string;
}

/** A settlement account's status: K2 echoes its details. */
export interface SettlementAccountAttributes {
  status?: K2Status<"Pending" | "Success" | "Failed">;
  nickname?: string;
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
  const version = options?.version ?? "v2";
  const rule = object(
    { account_name: text, settlement_method: oneOf("EFT", "RTS"), bank_branch_ref: text, account_number: text },
    { nickname: v2Only(version, text) },
  );
  return create(
    k2,
    { name: "merchant_bank_accounts", version },
    validate("merchant bank account", rule, request),
    options,
  );
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
  const version = options?.version ?? "v2";
  const rule = object(
    { first_name: text, last_name: text, phone_number: phone("+254", "254"), network: text },
    { email, nickname: v2Only(version, text) },
  );
  return create(k2, { name: "merchant_wallets", version }, validate("merchant wallet", rule, request), options);
}

/**
 * A merchant bank account's status, by location or id.
 *
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
  const collection = { name: "merchant_bank_accounts", version: options?.version ?? "v2" };
  return readStatus(k2, collection, locationOrId, ["merchant_bank_account"], options);
}

/**
 * A merchant wallet's status, by location or id.
 *
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
  return readStatus(
    k2,
    { name: "merchant_wallets", version: options?.version ?? "v2" },
    locationOrId,
    ["merchant_wallet"],
    options,
  );
}
