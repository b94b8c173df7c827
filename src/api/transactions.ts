/**
 * Types of the transactions K2 reports in webhooks, STK push results and polling results. Every
 * field is optional and unknown ones are kept: K2's payloads vary between SDK fixtures and the live
 * API, so nothing here is assumed that K2 might leave out.
 *
 * @module
 */

/** Fields every transaction resource carries. */
export interface K2TransactionResource {
  id?: string;
  amount?: string | number;
  currency?: string;
  status?: string;
  origination_time?: string;
  reference?: string;
  [field: string]: unknown;
}

/** A Buy Goods (till) payment: `buygoods_transaction_received` / `_reversed`, STK push and polling results. */
export interface K2BuygoodsTransaction extends K2TransactionResource {
  system?: string;
  till_number?: string;
  sender_phone_number?: string;
  hashed_sender_phone?: string;
  sender_first_name?: string;
  sender_middle_name?: string | null;
  sender_last_name?: string;
  reversal_time?: string;
}

/**
 * `b2b_transaction_received` (event type `"External Till to Till Transaction"`) and
 * `b2b_transaction_reversed` (`"External Till To Till Reversal Transaction"`, status `"Reversed"`):
 * a payment from another till.
 */
export interface K2B2bTransaction extends K2TransactionResource {
  system?: string;
  till_number?: string;
  sending_till?: string;
  reversal_time?: string;
}

/** `m2m_transaction_received`: a payment from another Kopo Kopo merchant. */
export interface K2M2mTransaction extends K2TransactionResource {
  sending_merchant?: string;
}

/** `card_transaction_received` / `_voided` / `_reversed`. */
export interface K2CardTransaction extends K2TransactionResource {
  till_number?: string;
  customer_cc_number?: string;
  /** Whether the card payment is settled; in `card_transaction_received`. */
  settled?: boolean | string;
}

/** `customer_created`. */
export interface K2Customer {
  first_name?: string;
  middle_name?: string | null;
  last_name?: string;
  phone_number?: string;
  [field: string]: unknown;
}

/** One disbursement of a transfer batch (send money, pay, settlement transfers). */
export interface K2Disbursement {
  amount?: string | number;
  status?: string;
  destination_type?: string;
  origination_time?: string;
  destination_reference?: string;
  transaction_reference?: string | null;
  /** Send money's disbursements also carry these. */
  phone_number?: string;
  nickname?: string | null;
  favourite?: boolean | null;
  errors?: unknown;
  [field: string]: unknown;
}

/** A batch of disbursements in an outgoing payment's status. */
export interface K2TransferBatch {
  status?: string;
  /** Send money's batches carry their total. */
  amount?: string | number | { currency?: string; value?: string | number | null; [field: string]: unknown };
  disbursements?: K2Disbursement[] | null;
  [field: string]: unknown;
}

/** `settlement_transfer_completed`'s resource as K2 sends it; see {@link K2SettlementDestination} for `destination`. */
export interface K2SettlementTransfer extends K2TransactionResource {
  transfer_time?: string;
  transfer_type?: string;
  destination?: Record<string, unknown> | null;
  disbursements?: K2Disbursement[];
}

/**
 * Where a settlement went, read from any of the three shapes the SDKs disagree on: nested
 * (`destination: { type: "Mobile Wallet" | "Bank Account", resource: { ... } }`, Ruby), flat
 * (`destination: { type: "mobile" | "bank", msisdn, mm_system, bank, branch, account_number, mode }`,
 * Node), or typed like the accounts (`{ type: "merchant_bank_account", bank_id, bank_branch_id,
 * account_name, account_number }` / `{ type: "merchant_wallet", msisdn, network }`, Python). Fields
 * are looked up in `destination.resource` first, then in `destination`.
 */
export type K2SettlementDestination =
  | {
      type: "mobile_wallet";
      /** `phone_number`, or the flat shape's `msisdn`. */
      phone_number?: string;
      /** `network`, or the flat shape's `mm_system`. */
      network?: string;
      first_name?: string;
      last_name?: string;
      reference?: string;
      /** `destination` exactly as K2 sent it. */
      raw: Readonly<Record<string, unknown>>;
    }
  | {
      type: "bank_account";
      account_name?: string;
      account_number?: string;
      bank_branch_ref?: string;
      /** The flat shape's `bank` and `branch`. */
      bank?: string;
      branch?: string;
      /** Python's shape's `bank_id` and `bank_branch_id`. */
      bank_id?: string;
      bank_branch_id?: string;
      /** `settlement_method`, `transfer_method` or the flat shape's `mode` (`EFT` / `RTS`). */
      settlement_method?: string;
      reference?: string;
      raw: Readonly<Record<string, unknown>>;
    }
  | { type: "unknown"; raw: Readonly<Record<string, unknown>> };
