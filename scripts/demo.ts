/**
 * `npm run demo`: starts the local K2 sandbox and walks through the client against it, so a
 * newcomer sees every feature work without Kopo Kopo credentials.
 */
import { K2Client, readK2Error, signWebhook, verifyWebhookSignature } from "../src/index.ts";
import { SAMPLE_STK_PUSH } from "../sandbox/samples.ts";
import { DEV_API_KEY, DEV_CLIENT } from "../sandbox/credentials.ts";
import { K2Sandbox } from "../sandbox/server.ts";

const sandbox = await new K2Sandbox().listen(0);
const apiKey = DEV_API_KEY;
const k2 = new K2Client({ ...DEV_CLIENT, baseUrl: sandbox.url });
const step = (title: string, value: unknown) => console.log(`\n> ${title}\n${JSON.stringify(value, null, 2)}`);

try {
  console.log(`Local K2 sandbox listening on ${sandbox.url}`);

  const token = await k2.getToken();
  step("k2.getToken()", { ...token, accessToken: `${token.accessToken.slice(0, 6)}…`, raw: "(omitted)" });

  const tokens = await Promise.all(Array.from({ length: 100 }, () => k2.getAccessToken()));
  step("100 concurrent k2.getAccessToken() calls", {
    distinctTokens: new Set(tokens).size,
    tokenRequestsSent: sandbox.requestsTo("/oauth/token").length,
  });

  const created = await k2.fetch("/api/v2/incoming_payments", {
    method: "POST",
    body: JSON.stringify(SAMPLE_STK_PUSH),
  });
  const location = created.headers.get("location")!;
  step("POST /api/v2/incoming_payments (STK push)", { status: created.status, location });
  step(`GET ${location}`, await (await k2.fetch(location)).json());

  const invalid = await k2.fetch("/api/v2/incoming_payments", { method: "POST", body: "{}" });
  const error = await readK2Error(invalid);
  step("An invalid STK push, read with readK2Error()", { name: error.name, message: error.message });

  const webhook = JSON.stringify(
    { topic: "buygoods_transaction_received", id: "demo", event: { type: "Buygoods Transaction" } },
    null,
    2,
  );
  const signature = await signWebhook(webhook, apiKey);
  step("Webhook signatures", {
    genuine: await verifyWebhookSignature(webhook, signature, apiKey),
    tampered: await verifyWebhookSignature(webhook.replace("demo", "evil"), signature, apiKey),
  });

  step("k2.introspectToken()", await k2.introspectToken());
  step("k2.tokenInfo()", await k2.tokenInfo());
  await k2.revokeToken();
  step("After k2.revokeToken(), the old token introspects as", await k2.introspectToken(token.accessToken));
} finally {
  await sandbox.close();
}
