/**
 * Recipients: people, bank accounts, tills and paybills that outgoing payments can be sent to.
 * v2 calls them external recipients, v1 pay recipients; the bodies differ only in that key (and v2
 * takes a `nickname`).
 *
 * @module
 */
import { isRecord } from "../transport/answer.ts";
import {
  create,
  readStatus,
  type K2ApiVersion,
  type K2CallOptions,
  type K2Connection,
  type K2Resource,
  type K2Status,
  type K2VersionedCallOptions,
} from "./resource.ts";
import { digits, email, object, oneOf, phone, text, v2Only, validate, type Rule } from "./validation.ts";

/** The details of each type of recipient, as v2 takes them. */
export interface RecipientDetails {
  mobile_wallet: {
    first_name: string;
    last_name: string;
    email?: string | null;
    /**
     * `+254712345678`, `254712345678`, `0712345678` or `712345678`; sent as `+254` and 9 digits,
     * as K2's recipient docs show.
     */
    phone_number: string;
    /** `"Safaricom"`. */
    network: string;
  };
  bank_account: {
    account_name: string;
    bank_branch_ref: string;
    /** A number is sent as a string. */
    account_number: string | number;
    /** Optional on v2 (the Python and Ruby SDKs never send it), required on v1. */
    settlement_method?: "EFT" | "RTS" | null;
  };
  till: { till_name: string; till_number: string | number };
  paybill: { paybill_name: string; paybill_number: string | number; paybill_account_number: string | number };
}

/** The kinds of recipient: `"mobile_wallet"`, `"bank_account"`, `"till"` or `"paybill"`. */
export type RecipientType = keyof RecipientDetails;

/** The body of `POST /api/v2/external_recipients`, as K2's docs and the official SDKs write it. */
export type ExternalRecipientRequest = {
  [T in RecipientType]: { type: T; external_recipient: RecipientDetails[T] & { nickname?: string | null } };
}[RecipientType];

/** The body of `POST /api/v1/pay_recipients`: v2's details without `nickname`, and a bank account's `settlement_method` required. */
export type PayRecipientRequest = {
  [T in RecipientType]: {
    type: T;
    pay_recipient: T extends "bank_account"
      ? RecipientDetails[T] & { settlement_method: "EFT" | "RTS" }
      : RecipientDetails[T];
  };
}[RecipientType];

/** A recipient's status; K2 echoes the recipient's details. */
export interface RecipientAttributes {
  /** `"Approved"` once the recipient can be paid. */
  status?: K2Status<"Approved" | "Pending" | "Failed">;
  /** `"Mobile Wallet"`, `"Bank Account"`, `"Till"`, `"Paybill"`. */
  recipient_type?: string;
  /**
   * The reference later paid to (`destination_reference`).
   *
   * @deprecated K2 discontinued reading a recipient's reference through the API: read it in the
   * Kopo Kopo dashboard (Pay, Recipients). It may no longer be in the answer.
   */
  recipient_reference?: string;
  [field: string]: unknown;
}

/** v1 answers `pay_recipient`; v2's type is not confirmed by any source, so both are accepted. */
export type Recipient = K2Resource<"external_recipient" | "pay_recipient", RecipientAttributes>;

/**
 * Adds an external recipient (`POST /api/v2/external_recipients`) and answers its location.
 *
 * @see {@link https://api-docs.kopokopo.com | K2 API reference: Add external recipients}
 * @example
 * ```ts
 * const location = await createExternalRecipient(k2, {
 *   type: "mobile_wallet",
 *   external_recipient: {
 *     first_name: "Jane", last_name: "Doe", phone_number: "+254712345678", network: "Safaricom", nickname: "Jane",
 *   },
 * });
 * ```
 */
export async function createExternalRecipient(
  k2: K2Connection,
  request: ExternalRecipientRequest,
  options: K2CallOptions = {},
): Promise<string> {
  const body = validate("external recipient", recipientRule("external_recipient", "v2"), request, options);
  return create(k2, { name: "external_recipients", version: "v2" }, body, options);
}

/**
 * Adds a pay recipient on v1 (`POST /api/v1/pay_recipients`) and answers its location.
 *
 * @see {@link https://api-docs.kopokopo.com | K2 API reference: Add pay recipients (v1)}
 * @example
 * ```ts
 * const location = await createPayRecipient(k2, {
 *   type: "till",
 *   pay_recipient: { till_name: "Corner shop", till_number: "K112233" },
 * });
 * ```
 */
export async function createPayRecipient(
  k2: K2Connection,
  request: PayRecipientRequest,
  options: K2CallOptions = {},
): Promise<string> {
  const body = validate("pay recipient", recipientRule("pay_recipient", "v1"), request, options);
  return create(k2, { name: "pay_recipients", version: "v1" }, body, options);
}

/**
 * A recipient's status, by location or id (an id is looked up on v2's `external_recipients`, or on
 * v1's `pay_recipients` with `{ version: "v1" }`).
 *
 * @deprecated K2 discontinued reading a recipient (and its reference) through the API: read the
 * reference in the Kopo Kopo dashboard. Kept for applications that still get an answer.
 * @see {@link https://developers.kopokopo.com/guides/send-money/view-destination-reference | K2: view a recipient's reference (discontinued through the API)}
 * @see {@link https://api-docs.kopokopo.com | K2 API reference: Add external recipients}
 * @example
 * ```ts
 * const { data } = await getRecipientStatus(k2, location);
 * ```
 */
export async function getRecipientStatus(
  k2: K2Connection,
  locationOrId: string,
  options: K2VersionedCallOptions = {},
): Promise<Recipient> {
  const collection =
    options?.version === "v1"
      ? { name: "pay_recipients", version: "v1" as const }
      : { name: "external_recipients", version: "v2" as const };
  return readStatus(k2, collection, locationOrId, ["external_recipient", "pay_recipient"], options);
}

function recipientRule(key: "external_recipient" | "pay_recipient", version: K2ApiVersion): Rule {
  const nickname = { nickname: v2Only(version, text) };
  const method = { settlement_method: oneOf("EFT", "RTS") };
  const details: Record<RecipientType, Rule> = {
    mobile_wallet: object(
      { first_name: text, last_name: text, phone_number: phone("+254"), network: text },
      { email, ...nickname },
    ),
    bank_account: object(
      { account_name: text, bank_branch_ref: text, account_number: digits, ...(version === "v1" ? method : {}) },
      { ...(version === "v2" ? method : {}), ...nickname },
    ),
    till: object({ till_name: text, till_number: digits }, nickname),
    paybill: object({ paybill_name: text, paybill_number: digits, paybill_account_number: digits }, nickname),
  };
  return (value, path, check) => {
    const type = isRecord(value) ? value.type : undefined;
    const inner: Rule =
      typeof type === "string" && Object.hasOwn(details, type) ? details[type as RecipientType] : (v) => v;
    return object({ type: oneOf(...Object.keys(details)), [key]: inner })(value, path, check);
  };
}
