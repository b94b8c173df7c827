// Node (ES module, plain JavaScript): get a K2 token, ask for an STK push, read its status.
//
//   node examples/node-esm.mjs
//
// It reads K2_CLIENT_ID, K2_CLIENT_SECRET and, optionally, K2_BASE_URL from the environment.
// `npm run sandbox` starts a local K2 sandbox and prints the line that sets them; without
// K2_BASE_URL the client talks to Kopo Kopo's own sandbox, https://sandbox.kopokopo.com.
import { K2Client, readK2Error } from "k2-connect-edge";

const { K2_CLIENT_ID, K2_CLIENT_SECRET, K2_BASE_URL, K2_CALLBACK_URL } = process.env;
if (!K2_CLIENT_ID || !K2_CLIENT_SECRET) {
  console.error("Set K2_CLIENT_ID and K2_CLIENT_SECRET first (npm run sandbox prints them).");
  process.exit(1);
}

// One client for the whole program: it fetches the token once and reuses it until it expires.
const k2 = new K2Client({ clientId: K2_CLIENT_ID, clientSecret: K2_CLIENT_SECRET, baseUrl: K2_BASE_URL });

// Where K2 posts the result; against a local K2, npm start's inbox: nothing leaves this machine.
const callbackUrl =
  K2_CALLBACK_URL ?? (K2_BASE_URL ? "http://127.0.0.1:8787/k2/callbacks" : "https://example.com/k2/result");

// The token itself is a secret: print only when it expires.
const token = await k2.getToken();
console.log(`Token received, valid until ${new Date(token.expiresAt).toISOString()}`);

// An STK push asks the customer's phone to pay. k2.fetch adds the token; the body is K2's own JSON.
const response = await k2.fetch("/api/v2/incoming_payments", {
  method: "POST",
  body: JSON.stringify({
    payment_channel: "M-PESA STK Push",
    till_number: "K000000",
    subscriber: { first_name: "Jane", last_name: "Doe", phone_number: "+254712345678", email: "jane@example.com" },
    amount: { currency: "KES", value: "20" },
    metadata: { order: "42" },
    _links: { callback_url: callbackUrl },
  }),
});
// K2 answers 201 and the new payment's URL in Location; readK2Error reads any other answer as an error.
if (!response.ok) throw await readK2Error(response);
const location = response.headers.get("location");
if (!location) throw new Error("K2 answered without a Location");
console.log(`STK push created: ${location}`);

// The status lives at that URL. The payment ends once the customer answers on the phone (the local
// sandbox ends it after about 2 s), and K2 also posts the result to the callback URL. Ask until then.
for (let attempt = 1; attempt <= 30; attempt++) {
  const status = await k2.fetch(location);
  if (!status.ok) throw await readK2Error(status);
  const { attributes } = (await status.json()).data;
  console.log(`Status: ${attributes.status}`);
  if (attributes.status !== "Pending") break;
  await new Promise((resolve) => setTimeout(resolve, 1000));
}
