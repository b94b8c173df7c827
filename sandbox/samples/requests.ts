/**
 * Valid requests for every resource in the form K2's documentation shows (so the body the typed
 * API sends is the request itself), accepted by the sandbox as K2 accepts them. No Node imports:
 * tests inside workerd use them too.
 */
import type {
  ExternalRecipientRequest,
  MerchantBankAccountRequest,
  MerchantWalletRequest,
  PaymentLinkRequest,
  PayRecipientRequest,
  PayRequest,
  PollingRequest,
  ReversalRequest,
  SendMoneyDestination,
  SendMoneyRequest,
  SettlementTransferRequest,
  StkPushRequest,
  TransactionSmsNotificationRequest,
  WebhookSubscriptionRequest,
} from "../../src/api/index.ts";

export const CALLBACK = { callback_url: "https://example.com/k2/results" };

export const stkPush: StkPushRequest = {
  payment_channel: "M-PESA STK Push",
  till_number: "K000000",
  subscriber: {
    first_name: "Jane",
    middle_name: "W",
    last_name: "Doe",
    phone_number: "+254712345678",
    email: "jane@example.com",
  },
  amount: { currency: "KES", value: "250.00" },
  metadata: { order: "42", customer_id: 7 },
  _links: CALLBACK,
};

export const externalRecipients: Record<ExternalRecipientRequest["type"], ExternalRecipientRequest> = {
  mobile_wallet: {
    type: "mobile_wallet",
    external_recipient: {
      first_name: "Jane",
      last_name: "Doe",
      email: "jane@example.com",
      phone_number: "+254712345678",
      network: "Safaricom",
      nickname: "Jane M-PESA",
    },
  },
  bank_account: {
    type: "bank_account",
    external_recipient: {
      account_name: "Jane Doe",
      bank_branch_ref: "633aa26c-7b7c-4091-ae28-96c0687cf886",
      account_number: "1234567890",
      settlement_method: "EFT",
      nickname: "Jane's bank",
    },
  },
  till: { type: "till", external_recipient: { till_name: "Corner shop", till_number: "K112233" } },
  paybill: {
    type: "paybill",
    external_recipient: {
      paybill_name: "Power",
      paybill_number: "888880",
      paybill_account_number: "ACC-42",
      nickname: "Electricity",
    },
  },
};

export const payRecipients: Record<PayRecipientRequest["type"], PayRecipientRequest> = {
  mobile_wallet: {
    type: "mobile_wallet",
    pay_recipient: { first_name: "Jane", last_name: "Doe", phone_number: "+254712345678", network: "Safaricom" },
  },
  bank_account: {
    type: "bank_account",
    pay_recipient: {
      account_name: "Jane Doe",
      bank_branch_ref: "633aa26c-7b7c-4091-ae28-96c0687cf886",
      account_number: "1234567890",
      settlement_method: "RTS",
    },
  },
  till: { type: "till", pay_recipient: { till_name: "Corner shop", till_number: "K112233" } },
  paybill: {
    type: "paybill",
    pay_recipient: { paybill_name: "Power", paybill_number: "888880", paybill_account_number: "ACC-42" },
  },
};

export const destinations: Record<SendMoneyDestination["type"], SendMoneyDestination> = {
  mobile_wallet: {
    type: "mobile_wallet",
    phone_number: "254712345678",
    network: "Safaricom",
    nickname: "Jane",
    amount: "500",
    description: "Refund #42",
    favourite: true,
  },
  bank_account: {
    type: "bank_account",
    bank_branch_ref: "633aa26c-7b7c-4091-ae28-96c0687cf886",
    account_name: "Jane Doe",
    account_number: "1234567890",
    amount: "1000.50",
    description: "Supplier invoice 7",
  },
  till: { type: "till", till_number: "K112233", amount: "1200", description: "Stock" },
  paybill: {
    type: "paybill",
    paybill_number: "888880",
    paybill_account_number: "ACC-42",
    amount: "300",
    description: "Power",
  },
  merchant_wallet: { type: "merchant_wallet", reference: "82e5e5e0-0bbb-4cb6-a5e6-b1a1b8e6f9a1", amount: "2000" },
  merchant_bank_account: {
    type: "merchant_bank_account",
    reference: "c7f300c0-f1ef-4151-9bbe-005005aa3747",
    amount: "5000",
    description: "Weekly sweep",
  },
};

export const sendMoneyTo = (...to: SendMoneyDestination[]): SendMoneyRequest => ({
  source_identifier: "wallet-1",
  currency: "KES",
  destinations: to,
  metadata: { batch: "2026-11-22" },
  _links: CALLBACK,
});

/** No destinations: everything goes to the merchant's own accounts. */
export const sendMoneyToOwnAccounts: SendMoneyRequest = { currency: "KES", _links: CALLBACK };

export const pay: PayRequest = {
  destination_type: "mobile_wallet",
  destination_reference: "9764ef5f-fcd6-42c1-bbff-de280becc64b",
  amount: { currency: "KES", value: "2000" },
  description: "Salary for November",
  category: "salaries",
  tags: "november",
  metadata: { employee: "17" },
  _links: CALLBACK,
};

export const merchantBankAccount: MerchantBankAccountRequest = {
  account_name: "Jane's Shop Ltd",
  settlement_method: "RTS",
  bank_branch_ref: "633aa26c-7b7c-4091-ae28-96c0687cf886",
  account_number: "1234567890",
  nickname: "Main account",
};

export const merchantWallet: MerchantWalletRequest = {
  first_name: "Jane",
  last_name: "Doe",
  phone_number: "+254712345678",
  network: "Safaricom",
  nickname: "Jane's M-PESA",
};

export const settlementTransfer: SettlementTransferRequest = {
  amount: { currency: "KES", value: "5000" },
  destination_type: "merchant_bank_account",
  destination_reference: "c7f300c0-f1ef-4151-9bbe-005005aa3747",
  _links: CALLBACK,
};

export const wholeBalanceTransfer: SettlementTransferRequest = { _links: CALLBACK };

export const tillPolling: PollingRequest = {
  scope: "till",
  scope_reference: "K000000",
  from_time: "2026-11-22T08:00:00+03:00",
  to_time: "2026-11-22T18:00:00+03:00",
  _links: CALLBACK,
};

export const companyPolling: PollingRequest = {
  scope: "company",
  from_time: "2026-11-21T00:00:00Z",
  to_time: "2026-11-22T00:00:00Z",
  _links: CALLBACK,
};

export const paymentLink: PaymentLinkRequest = {
  till_number: "K000000",
  currency: "KES",
  amount: "1500",
  payment_reference: "INV-0042",
  note: "Invoice 42",
  metadata: { invoice: "42" },
  _links: CALLBACK,
};

export const reversal: ReversalRequest = {
  transaction_reference: "OJM6Q1W84K",
  reason: "Customer paid twice",
  metadata: { ticket: "981" },
  _links: CALLBACK,
};

export const smsNotification: TransactionSmsNotificationRequest = {
  webhook_event_reference: "2133dbfb-24b9-40fc-ae57-2d7559785760",
  message: "Thank you for your payment",
  _links: CALLBACK,
};

export const tillSubscription: WebhookSubscriptionRequest = {
  event_type: "buygoods_transaction_received",
  url: "https://example.com/k2/webhooks",
  scope: "till",
  scope_reference: "K000000",
  enable_daraja_payload: true,
};

export const companySubscription: WebhookSubscriptionRequest = {
  event_type: "settlement_transfer_completed",
  url: "https://example.com/k2/webhooks",
  scope: "company",
};

/** An STK push the sandbox accepts: the short one the demo, the benchmarks and the Worker's tests send. */
export const SAMPLE_STK_PUSH = Object.freeze({
  payment_channel: "M-PESA STK Push",
  till_number: "K000000",
  subscriber: { first_name: "Jane", last_name: "Doe", phone_number: "+254712345678", email: "jane@example.com" },
  amount: { currency: "KES", value: "20" },
  metadata: { order: "42" },
  _links: { callback_url: "https://example.com/k2/result" },
});

/** A company-wide polling request the sandbox accepts (K2 refuses `{}`). */
export const SAMPLE_POLLING = Object.freeze({
  scope: "company",
  from_time: "2026-01-01T00:00:00+03:00",
  to_time: "2026-01-02T00:00:00+03:00",
  _links: { callback_url: "https://example.com/k2/result" },
});
