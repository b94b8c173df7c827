/**
 * Request bodies the K2 sandbox accepts, shared by the demo and the tests. No Node imports here:
 * tests inside workerd use them too.
 */
/** An STK push the sandbox accepts: one shared example for the demo and the tests. */
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
