// Node (CommonJS, plain JavaScript): the same as node-esm.mjs, with require() and an async main.
//
//   node examples/node-cjs.cjs
//
// It reads K2_CLIENT_ID, K2_CLIENT_SECRET and, optionally, K2_BASE_URL from the environment
// (`npm run sandbox` prints the line that sets them for the local sandbox).
const { K2Client, readK2Error } = require("k2-connect-edge");

async function main() {
  const { K2_CLIENT_ID, K2_CLIENT_SECRET, K2_BASE_URL, K2_CALLBACK_URL } = process.env;
  if (!K2_CLIENT_ID || !K2_CLIENT_SECRET) {
    throw new Error("Set K2_CLIENT_ID and K2_CLIENT_SECRET first (npm run sandbox prints them).");
  }
  const k2 = new K2Client({ clientId: K2_CLIENT_ID, clientSecret: K2_CLIENT_SECRET, baseUrl: K2_BASE_URL });

  // Where K2 posts the result; against a local K2, npm start's inbox: nothing leaves this machine.
  const callbackUrl =
    K2_CALLBACK_URL ?? (K2_BASE_URL ? "http://127.0.0.1:8787/k2/callbacks" : "https://example.com/k2/result");

  // getAccessToken answers the token string; keep it to yourself (never log it).
  await k2.getAccessToken();
  console.log("Token received");

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
  if (!response.ok) throw await readK2Error(response);
  const location = response.headers.get("location");
  if (!location) throw new Error("K2 answered without a Location");
  console.log(`STK push created: ${location}`);

  const status = await k2.fetch(location);
  if (!status.ok) throw await readK2Error(status);
  const payment = await status.json();
  console.log(`Status: ${payment.data.attributes.status}`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
