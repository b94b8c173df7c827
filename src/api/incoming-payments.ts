/**
 * STK push (incoming payments): asks a customer's phone to pay a till.
 *
 * @module
 */
import {
  create,
  type K2Attributes,
  readStatus,
  versioned,
  type K2Connection,
  type K2Metadata,
  type K2Resource,
  type K2Status,
  type K2VersionedCallOptions,
} from "./resource.ts";
import type { K2BuygoodsTransaction } from "./transactions.ts";
import {
  callbackLinks,
  digits,
  email,
  metadata,
  money,
  object,
  phone,
  text,
  validate,
  type Rule,
} from "./validation.ts";

/** The body of `POST /api/v2/incoming_payments`, as K2's docs and the official SDKs write it. */
export interface StkPushRequest {
  /**
   * `"M-PESA STK Push"`, as K2's docs write it; the SDKs' `"M-PESA"`, `"MPESA"` and
   * `"M-PESA STK PUSH"` are sent as that too.
   */
  payment_channel: "M-PESA STK Push" | "M-PESA" | "MPESA" | "M-PESA STK PUSH";
  /** The till to pay, e.g. `"K000000"` in the sandbox; a number is sent as a string. */
  till_number: string | number;
  subscriber: {
    first_name?: string | null;
    middle_name?: string | null;
    last_name?: string | null;
    /**
     * `+254712345678`, `254712345678`, `0712345678` or `712345678`; sent as `+254` and 9 digits,
     * as K2's STK docs show.
     */
    phone_number: string;
    email?: string | null;
  };
  amount: { currency: "KES"; value: number | string };
  /** At most 5 pairs, echoed back in the result. */
  metadata?: K2Metadata | null;
  _links: { callback_url: string };
}

/** An STK push's status, and the result posted to its callback URL. */
export interface IncomingPaymentAttributes extends K2Attributes {
  initiation_time?: string;
  status?: K2Status<"Pending" | "Success" | "Failed">;
  event?: {
    /** `"Incoming Payment Request"`. */
    type?: string;
    /** The payment, once `status` is `"Success"`; `null` before. */
    resource?: K2BuygoodsTransaction | null;
    /** Why it failed, when it did. */
    errors?: string | string[] | null;
    [field: string]: unknown;
  };
}

/**
 * An STK push as {@link getStkPushStatus} answers it, and as its result is posted to the callback
 * URL: `{ data: { id, type: "incoming_payment", attributes } }`.
 */
export type IncomingPayment = K2Resource<"incoming_payment", IncomingPaymentAttributes>;

/**
 * Sends an STK push to the subscriber's phone (`POST /api/v2/incoming_payments`, or v1 with
 * `{ version: "v1" }`) and answers its location. Validated first: nothing is sent when the request
 * is wrong, a {@link K2ValidationError} lists every problem. The phone is sent as `+254…` and the
 * channel as `"M-PESA STK Push"`, whichever form the SDKs use was given.
 *
 * @see {@link https://api-docs.kopokopo.com | K2 API reference: Receive payments (STK push)}
 * @see {@link https://developers.kopokopo.com/guides/receive-money/mpesa-stk.html | K2: M-PESA STK push}
 * @example
 * ```ts
 * const location = await createStkPush(k2, {
 *   payment_channel: "M-PESA STK Push",
 *   till_number: "K000000",
 *   subscriber: { first_name: "Jane", last_name: "Doe", phone_number: "+254712345678", email: "jane@example.com" },
 *   amount: { currency: "KES", value: 250 },
 *   metadata: { order: "42" },
 *   _links: { callback_url: "https://example.com/k2/results" },
 * });
 * ```
 */
export async function createStkPush(
  k2: K2Connection,
  request: StkPushRequest,
  options: K2VersionedCallOptions = {},
): Promise<string> {
  const channel: Rule = (value, path, check) => {
    if (typeof value === "string" && /^MPESA(STKPUSH)?$/.test(value.toUpperCase().replace(/[^A-Z]/g, ""))) {
      return "M-PESA STK Push";
    }
    check.problems.push({ path, message: 'must be "M-PESA STK Push" (or "M-PESA", "MPESA", "M-PESA STK PUSH")' });
    return value;
  };
  const rule = object(
    {
      payment_channel: channel,
      till_number: digits,
      subscriber: object(
        { phone_number: phone("+254") },
        { first_name: text, middle_name: text, last_name: text, email },
      ),
      amount: money,
      _links: callbackLinks,
    },
    { metadata },
  );
  const body = validate("STK push", rule, request, options);
  return create(k2, versioned("incoming_payments", options), body, options);
}

/**
 * An STK push's status, by the location {@link createStkPush} answered or by id.
 *
 * @see {@link https://api-docs.kopokopo.com | K2 API reference: Receive payments (STK push)}
 * @see {@link https://developers.kopokopo.com/guides/receive-money/mpesa-stk.html | K2: M-PESA STK push}
 * @example
 * ```ts
 * const { data } = await getStkPushStatus(k2, location);
 * if (data.attributes.status === "Success") fulfil(data.attributes.event?.resource?.reference);
 * ```
 */
export async function getStkPushStatus(
  k2: K2Connection,
  locationOrId: string,
  options: K2VersionedCallOptions = {},
): Promise<IncomingPayment> {
  return readStatus(k2, versioned("incoming_payments", options), locationOrId, ["incoming_payment"], options);
}
