/**
 * What K2 answers, built from K2's docs and its SDKs' fixtures: status reads, the same `{ data }`
 * posted as results, and webhook resources. No Node imports: tests inside workerd use them too.
 */
import { CALLBACK } from "./requests.ts";

const SELF = "https://sandbox.kopokopo.com/api/v2";
const resource = (type: string, id: string, attributes: Record<string, unknown>) => ({
  data: {
    id,
    type,
    attributes: { ...attributes, _links: { callback_url: CALLBACK.callback_url, self: `${SELF}/${id}` } },
  },
});

/** A Buy Goods payment as K2 reports it (STK push result, polling, webhooks). */
export const buygoods = {
  id: "458712f-gr76y-24b9-40fc-ae57-2d7559785760",
  reference: "OJM6Q1W84K",
  origination_time: "2026-11-22T09:59:30+03:00",
  sender_phone_number: "+254712345678",
  amount: "20.0",
  currency: "KES",
  till_number: "K000000",
  system: "Lipa Na M-PESA",
  status: "Received",
  sender_first_name: "Jane",
  sender_middle_name: null,
  sender_last_name: "Doe",
};

const disbursement = {
  amount: "2000.0",
  status: "Transferred",
  destination_type: "Mobile Wallet",
  origination_time: "2026-11-22T12:00:00+03:00",
  destination_reference: "9764ef5f-fcd6-42c1-bbff-de280becc64b",
  transaction_reference: "LHJ7",
};

/** A `settlement_transfer_completed` event's resource (Ruby's nested destination). */
export const settlementTransferCompleted = {
  id: "st-1",
  amount: "5000.0",
  status: "Transferred",
  currency: "KES",
  transaction_reference: "T1",
  origination_time: "2026-11-22T12:00:00+03:00",
  destination: {
    type: "Bank Account",
    resource: {
      account_name: "Jane's Shop Ltd",
      account_number: "1234567890",
      bank_branch_ref: "633aa26c",
      settlement_method: "RTS",
      reference: "ref-1",
    },
  },
  disbursements: [
    {
      amount: "5000.0",
      status: "Transferred",
      destination_type: "Bank Account",
      origination_time: "2026-11-22T12:00:00+03:00",
      transaction_reference: "T1",
    },
  ],
};

export const answers = {
  stkPending: resource("incoming_payment", "ip-1", {
    initiation_time: "2026-11-22T10:00:00+03:00",
    status: "Pending",
    event: { type: "Incoming Payment Request", resource: null, errors: null },
    metadata: null,
  }),
  stkSuccess: resource("incoming_payment", "ip-2", {
    initiation_time: "2026-11-22T10:00:00+03:00",
    status: "Success",
    event: { type: "Incoming Payment Request", resource: buygoods, errors: null },
    metadata: { order: "42" },
  }),
  /** Ruby's fixture: `amount.value` a JSON number, disbursements' amounts strings. */
  payment: resource("payment", "pay-1", {
    status: "Processed",
    created_at: "2026-11-22T10:00:00+03:00",
    amount: { currency: "KES", value: 2000 },
    transfer_batches: [{ status: "Transferred", disbursements: [disbursement] }],
    metadata: { employee: "17" },
  }),
  wholeBalanceTransfer: resource("settlement_transfer", "st-1", {
    status: "Transferred",
    created_at: "2026-11-22T10:00:00+03:00",
    amount: { currency: "KES", value: null },
    transfer_batches: [
      { status: "Transferred", disbursements: [{ ...disbursement, destination_type: "Bank Account" }] },
    ],
    metadata: null,
  }),
  sendMoneyScheduled: resource("send_money", "sm-1", {
    status: "Scheduled",
    created_at: "2026-11-22T10:00:00+03:00",
    source_identifier: null,
    destinations: null,
    currency: "KES",
    transfer_batches: null,
    errors: null,
    metadata: null,
  }),
  sendMoneyProcessed: resource("send_money", "sm-2", {
    status: "Processed",
    created_at: "2026-11-22T10:00:00+03:00",
    source_identifier: "",
    destinations: [{ type: "mobile_wallet", phone_number: "254712345678", network: "Safaricom", amount: "500" }],
    currency: "KES",
    transfer_batches: [
      {
        status: "Transferred",
        amount: "500.0",
        disbursements: [
          {
            ...disbursement,
            amount: "500.0",
            errors: null,
            nickname: "Jane",
            favourite: true,
            phone_number: "254712345678",
          },
        ],
      },
    ],
    errors: null,
    metadata: { batch: "2026-11-22" },
  }),
  /** The docs' status example spells the type `reversals`. */
  reversalScheduled: resource("reversals", "rv-1", {
    status: "Scheduled",
    created_at: "2026-11-22T10:00:00+03:00",
    transaction_reference: "OJM6Q1W84K",
    reason: "Customer paid twice",
    reversal_bulk_payment: {
      amount: "20.0",
      status: "Scheduled",
      origination_time: null,
      transaction_reference: null,
    },
    metadata: null,
  }),
  /** The SDKs' fixtures: `reversal`. */
  reversalProcessed: resource("reversal", "rv-2", {
    status: "Processed",
    transaction_reference: "OJM6Q1W84K",
    reason: "Customer paid twice",
    reversal_bulk_payment: {
      amount: "20.0",
      status: "Processed",
      origination_time: "2026-11-22T11:00:00+03:00",
      transaction_reference: "OJM7R2X95L",
    },
    metadata: { ticket: "981" },
  }),
  externalRecipient: resource("external_recipient", "er-1", {
    recipient_type: "Mobile Wallet",
    status: "Approved",
    recipient_reference: "c7f300c0-f1ef-4151-9bbe-005005aa3747",
    first_name: "Jane",
    last_name: "Doe",
    phone_number: "+254712345678",
    network: "Safaricom",
  }),
  payRecipient: resource("pay_recipient", "pr-1", {
    recipient_type: "Bank Account",
    status: "Approved",
    recipient_reference: "9764ef5f-fcd6-42c1-bbff-de280becc64b",
    account_name: "Jane Doe",
    account_number: "1234567890",
    settlement_method: "EFT",
  }),
  merchantBankAccount: resource("merchant_bank_account", "mba-1", {
    status: "Approved",
    account_reference: "9a84aea3-4ac3-4834-b4a0-86da943be3a9",
    bank_branch_ref: "633aa26c-7b7c-4091-ae28-96c0687cf886",
    account_name: "Jane's Shop Ltd",
    account_number: "324264",
    settlement_method: "EFT",
  }),
  merchantWallet: resource("merchant_wallet", "mw-1", {
    status: "Approved",
    account_reference: "82e5e5e0-0bbb-4cb6-a5e6-b1a1b8e6f9a1",
    first_name: "Jane",
    last_name: "Doe",
    phone_number: "+254712345678",
    network: "Safaricom",
  }),
  companyPolling: resource("polling", "po-1", {
    status: "Success",
    created_at: "2026-11-22T10:00:00+03:00",
    scope: "Company",
    scope_reference: null,
    from_time: "2026-11-21T00:00:00+03:00",
    to_time: "2026-11-22T00:00:00+03:00",
    transactions: [{ type: "Buygoods Transaction", resource: buygoods }],
  }),
  paymentLinkActive: resource("payment_link", "pl-1", {
    status: "Processed",
    created_at: "2026-11-22T10:00:00+03:00",
    till_number: "K000000",
    currency: "KES",
    amount: "1500.0",
    payment_reference: null,
    note: null,
    payment_link: {
      link: "/links/9gLQyx",
      expires_at: "2026-11-29T10:00:00+03:00",
      initiator_name: "Jane Doe",
      payment_link_status: "Active",
    },
    metadata: null,
  }),
  paymentLinkPaid: resource("payment_link", "pl-2", {
    status: "Processed",
    till_number: "K000000",
    currency: "KES",
    amount: "1500.0",
    payment_link: {
      status: "Paid",
      link: "https://pay.kopokopo.com/links/9gLQyx",
      expires_at: "2026-11-29T10:00:00+03:00",
      transaction_reference: "OJM6Q1W84K",
      sender_phone_number: 254712345678,
      origination_time: "2026-11-22T10:05:00+03:00",
    },
    metadata: { invoice: "42" },
  }),
  smsNotification: resource("transaction_sms_notification", "sms-1", {
    status: "Success",
    webhook_event_reference: "2133dbfb-24b9-40fc-ae57-2d7559785760",
    message: "Thank you for your payment",
  }),
  subscription: resource("webhook_subscription", "ws-1", {
    event_type: "b2b_transaction_reversed",
    webhook_uri: "https://example.com/k2/webhooks",
    scope: "company",
    scope_reference: null,
    status: "Active",
  }),
};
