/**
 * k2-connect-edge/api: one typed, validated call per K2 Connect resource, and typed webhooks.
 * Imported separately so that `import { K2Client } from "k2-connect-edge"` stays small; every call
 * is a plain function taking the client, so a bundler keeps only the ones a program uses.
 *
 * Request types are K2's wire format (snake_case, `_links.callback_url`), and take every form the
 * official SDKs send. The validation policy: **refuse only what K2 certainly refuses**, and send
 * what K2's docs show.
 *
 * - Refused, with a {@link K2ValidationError} listing every problem and nothing sent: a missing
 *   required field, a currency other than `KES`, an amount that is not a positive number, a
 *   callback or webhook URL that is not absolute http(s), more than 5 metadata pairs, a phone that
 *   is not a Kenyan mobile number, a value outside K2's fixed lists (destination and recipient
 *   types, `settlement_method`, `scope` (in any case), event types, payment channels), a till scope without its
 *   reference, polling times that are not ISO-8601 or out of order.
 * - Absent: `null`, `undefined` and, in an optional field, `""`. An absent optional field is left
 *   out of the body.
 * - Normalised: phones to `+254…` (STK push, recipients, merchant wallets) or `254…` (send money
 *   wallets); the SDKs' `payment_channel` spellings to `"M-PESA STK Push"`; `scope` to lower case; numbers given for
 *   numeric strings (`till_number`, `account_number`, amounts...) to strings.
 * - Fields K2 does not have are sent as given (K2 ignores them); `{ strict: true }` in a call's
 *   options refuses them, with v2-only fields on v1 and a Daraja payload for other events.
 *
 * @module k2-connect-edge/api
 */
export { K2ValidationError } from "./validation.ts";
export type { K2ValidationProblem } from "./validation.ts";
export type {
  K2Amount,
  K2ApiVersion,
  K2Attributes,
  K2CallOptions,
  K2Connection,
  K2Links,
  K2Metadata,
  K2Resource,
  K2Status,
  K2VersionedCallOptions,
} from "./resource.ts";
export type {
  K2B2bTransaction,
  K2BuygoodsTransaction,
  K2CardTransaction,
  K2Customer,
  K2Disbursement,
  K2M2mTransaction,
  K2SettlementDestination,
  K2SettlementTransfer,
  K2TransactionResource,
  K2TransferBatch,
} from "./transactions.ts";

export { createStkPush, getStkPushStatus } from "./incoming-payments.ts";
export type { IncomingPayment, IncomingPaymentAttributes, StkPushRequest } from "./incoming-payments.ts";
export { createExternalRecipient, createPayRecipient, getRecipientStatus } from "./recipients.ts";
export type {
  ExternalRecipientRequest,
  PayRecipientRequest,
  Recipient,
  RecipientAttributes,
  RecipientDetails,
  RecipientType,
} from "./recipients.ts";
export { getSendMoneyStatus, sendMoney } from "./send-money.ts";
export type { SendMoney, SendMoneyAttributes, SendMoneyDestination, SendMoneyRequest } from "./send-money.ts";
export { createPayment, getPaymentStatus } from "./pay.ts";
export type { OutgoingPaymentAttributes, PayRequest, Payment } from "./pay.ts";
export {
  createMerchantBankAccount,
  createMerchantWallet,
  getMerchantBankAccountStatus,
  getMerchantWalletStatus,
} from "./settlement-accounts.ts";
export type {
  MerchantBankAccount,
  MerchantBankAccountRequest,
  MerchantWallet,
  MerchantWalletRequest,
  SettlementAccountAttributes,
} from "./settlement-accounts.ts";
export { createSettlementTransfer, getSettlementTransferStatus } from "./settlement-transfers.ts";
export type { SettlementTransfer, SettlementTransferRequest } from "./settlement-transfers.ts";
export { getPollingStatus, pollTransactions } from "./polling.ts";
export type { AnyCase, K2PollingTransaction, K2Scope, Polling, PollingAttributes, PollingRequest } from "./polling.ts";
export { cancelPaymentLink, createPaymentLink, getPaymentLinkStatus } from "./payment-links.ts";
export type { K2PaymentLinkDetails, PaymentLink, PaymentLinkAttributes, PaymentLinkRequest } from "./payment-links.ts";
export { createReversal, getReversalStatus } from "./reversals.ts";
export type { Reversal, ReversalAttributes, ReversalRequest } from "./reversals.ts";
export { getTransactionSmsNotificationStatus, sendTransactionSmsNotification } from "./sms-notifications.ts";
export type {
  TransactionSmsNotification,
  TransactionSmsNotificationAttributes,
  TransactionSmsNotificationRequest,
} from "./sms-notifications.ts";
export { createWebhookSubscription, getWebhookSubscriptionStatus } from "./webhook-subscriptions.ts";
export type {
  K2SubscribableEvent,
  WebhookSubscription,
  WebhookSubscriptionAttributes,
  WebhookSubscriptionRequest,
} from "./webhook-subscriptions.ts";
export { K2WebhookError, parseWebhook, settlementDestination } from "./webhooks.ts";
export type {
  K2DarajaEvent,
  K2DarajaPayload,
  K2Notification,
  K2ResultAttributes,
  K2ResultEvent,
  K2ResultType,
  K2UnknownResultEvent,
  K2UnknownWebhookEvent,
  K2WebhookEvent,
  K2WebhookPayload,
  K2WebhookResources,
  K2WebhookTopic,
} from "./webhooks.ts";
