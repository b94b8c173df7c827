// The typed api (`k2-connect-edge/api`): every request is checked against K2's rules before it is
// sent, and every answer is typed. Runs on Node with tsx, as an ES module (top-level await needs
// "type": "module" in package.json, as this repository has; tsx would otherwise compile to CommonJS):
//
//   npx tsx examples/typed-api.ts
//
// It reads K2_CLIENT_ID, K2_CLIENT_SECRET and, optionally, K2_BASE_URL (`npm run sandbox` prints
// the line that sets them for the local sandbox).
import { K2Client } from "k2-connect-edge";
import { createStkPush, getStkPushStatus, K2ValidationError, type StkPushRequest } from "k2-connect-edge/api";

const { K2_CLIENT_ID, K2_CLIENT_SECRET, K2_BASE_URL, K2_CALLBACK_URL } = process.env;
if (!K2_CLIENT_ID || !K2_CLIENT_SECRET) {
  throw new Error("Set K2_CLIENT_ID and K2_CLIENT_SECRET first (npm run sandbox prints them).");
}
const k2 = new K2Client({ clientId: K2_CLIENT_ID, clientSecret: K2_CLIENT_SECRET, baseUrl: K2_BASE_URL });

// Where K2 posts the result; against a local K2, npm start's inbox: nothing leaves this machine.
const callbackUrl =
  K2_CALLBACK_URL ?? (K2_BASE_URL ? "http://127.0.0.1:8787/k2/callbacks" : "https://example.com/k2/result");

// The request is K2's wire format, snake_case and all; the type catches a misspelt field.
const payment: StkPushRequest = {
  payment_channel: "M-PESA STK Push",
  till_number: "K000000",
  subscriber: { first_name: "Jane", last_name: "Doe", phone_number: "+254712345678", email: "jane@example.com" },
  amount: { currency: "KES", value: "20" },
  metadata: { order: "42" },
  _links: { callback_url: callbackUrl },
};

// createStkPush answers the new payment's location; getStkPushStatus reads it, typed.
const location = await createStkPush(k2, payment);
console.log(`STK push created: ${location}`);
const { data } = await getStkPushStatus(k2, location);
console.log(`Status: ${data.attributes.status}`); // "Pending", later "Success" or "Failed"

// A request that breaks K2's rules is refused before anything is sent, with every problem listed.
try {
  await createStkPush(k2, { ...payment, subscriber: { ...payment.subscriber, phone_number: "12345" } });
} catch (error) {
  if (!(error instanceof K2ValidationError)) throw error;
  for (const problem of error.problems) console.log(`Refused before sending: ${problem.path} ${problem.message}`);
}
