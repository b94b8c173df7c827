/**
 * Test inputs that choose how a payment ends, the way card test numbers do elsewhere: K2's own
 * sandbox always succeeds, so without these a client's failure paths could only be tried against
 * production. Any number not listed succeeds.
 */

/** How a payment to or from a phone ends. */
export type OutcomeName =
  | "success"
  | "insufficient_funds"
  | "cancelled_by_user"
  | "timeout"
  | "unknown_subscriber"
  | "wrong_pin"
  | "subscriber_busy";

export interface TestOutcome {
  outcome: OutcomeName;
  /** `attributes.status` of the STK push once it ends. */
  status: "Success" | "Failed";
  /** `event.errors` of a failed STK push (a string, as K2 relays M-PESA's reason), or a disbursement's. */
  errors: string | null;
  /**
   * `false` when K2's callback for the payment is never sent, as when it is lost on the way: the
   * payment still ends, and only a status read tells how.
   */
  callback?: false;
}

/**
 * The test phone numbers, written as `254` + 9 digits; every accepted spelling of a number
 * (`+254…`, `254…`, `0…`, the 9 digits) means the same entry. They apply to an STK push's
 * `subscriber.phone_number` and to the `phone_number` of a send-money `mobile_wallet` destination.
 * docs/sandbox.md shows this table: keep the two together.
 */
export const TEST_PHONE_NUMBERS: Readonly<Record<string, TestOutcome>> = Object.freeze({
  "254700000000": { outcome: "success", status: "Success", errors: null },
  "254700000001": {
    outcome: "insufficient_funds",
    status: "Failed",
    errors: "The balance is insufficient for the transaction.",
  },
  "254700000002": { outcome: "cancelled_by_user", status: "Failed", errors: "Request cancelled by user" },
  "254700000003": { outcome: "timeout", status: "Failed", errors: "No response from the user: the request timed out" },
  "254700000004": {
    outcome: "unknown_subscriber",
    status: "Failed",
    errors: "The phone number is not registered on M-PESA",
  },
  "254700000005": { outcome: "wrong_pin", status: "Failed", errors: "The initiator information is invalid." },
  "254700000006": {
    outcome: "subscriber_busy",
    status: "Failed",
    errors: "A transaction is already in process for the current subscriber",
  },
  "254700000007": { outcome: "success", status: "Success", errors: null, callback: false },
  "254700000008": {
    outcome: "insufficient_funds",
    status: "Failed",
    errors: "The balance is insufficient for the transaction.",
    callback: false,
  },
});

const SUCCESS: TestOutcome = TEST_PHONE_NUMBERS["254700000000"]!;

/**
 * A Kenyan mobile number in any spelling the SDKs and K2's docs send (`+254…`, `254…`, `0…`, or
 * the 9 digits alone), as `254` + 9 digits, or `undefined` when it is none of them. The nine
 * digits are not restricted to a leading 7 or 1: K2's own examples use `+254999999999` and
 * `+254911222536`. src/api's `phone` rule is the same; a test holds the two together.
 */
export function normalisedPhone(value: unknown): string | undefined {
  const match = typeof value === "string" ? /^(?:\+254|254|0)?(\d{9})$/.exec(value) : null;
  return match ? `254${match[1]}` : undefined;
}

/** What happens to a payment involving `phone`. */
export function outcomeFor(phone: unknown): TestOutcome {
  const normalised = normalisedPhone(phone);
  return (normalised && TEST_PHONE_NUMBERS[normalised]) || SUCCESS;
}

/** One line per test number, for the banner of `npm run sandbox`. */
export function outcomeSummary(): string[] {
  return Object.entries(TEST_PHONE_NUMBERS).map(
    ([phone, { outcome, errors, callback }]) =>
      `  ${phone}  ${outcome}${errors ? ` ("${errors}")` : ""}${callback === false ? ", no callback" : ""}`,
  );
}
