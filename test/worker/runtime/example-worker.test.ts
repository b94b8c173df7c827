/**
 * examples/worker.ts inside real workerd, with the real KV binding, against the K2 sandbox: the
 * Worker a newcomer copies answers through K2 and shares its token through KV.
 */
import { beforeAll, expect, inject, it } from "vitest";
import worker from "../../../examples/worker.ts";
import { k2CacheKey, type TokenSet } from "../../../src/index.ts";
import { baseEnv } from "../support/harness.ts";
import { sandboxUrl, upstream } from "../support/sandbox-control.ts";

// Results go to the tests' own receiver, not to npm start's inbox on 8787, the default against a local K2.
const CALLBACK = `${inject("callbackReceiverUrl")}/example-worker`;
const env = { ...baseEnv, K2_CALLBACK_URL: CALLBACK };

const pay = (body: unknown): Request =>
  new Request("https://example.workers.dev/pay", { method: "POST", body: JSON.stringify(body) });

beforeAll(async () => {
  await upstream.reset();
  // Another file may have left a token for the same client in KV: start from none.
  await baseEnv.TOKEN_CACHE.delete(await k2CacheKey(baseEnv.K2_BASE_URL, baseEnv.K2_CLIENT_ID));
});

it("starts an STK push through the sandbox and leaves its token in KV", async () => {
  const response = await worker.fetch(pay({ phone_number: "+254712345678", amount: "20" }), env);
  expect(response.status).toBe(202);
  const { location } = await response.json<{ location: string }>();
  expect(location).toMatch(
    new RegExp(`^${sandboxUrl().replace(/\./g, "\\.")}/api/v2/incoming_payments/[0-9a-f-]{36}$`),
  );

  const [post, ...others] = await upstream.requestsTo("/api/v2/incoming_payments");
  expect(others).toEqual([]);
  expect(post!.method).toBe("POST");
  expect(JSON.parse(post!.body)).toEqual({
    payment_channel: "M-PESA STK Push",
    till_number: "K000000",
    subscriber: { phone_number: "+254712345678" },
    amount: { currency: "KES", value: "20" },
    _links: { callback_url: CALLBACK },
  });

  const cached = await baseEnv.TOKEN_CACHE.get<TokenSet>(
    await k2CacheKey(baseEnv.K2_BASE_URL, baseEnv.K2_CLIENT_ID),
    "json",
  );
  expect(post!.headers.authorization).toBe(`Bearer ${cached?.accessToken}`);
});

it("keeps the client, and so its token, for the isolate's next requests", async () => {
  const response = await worker.fetch(pay({ phone_number: "+254712345678", amount: "50" }), env);
  expect(response.status).toBe(202);
  expect(await upstream.requestsTo("/oauth/token")).toHaveLength(1);
  expect(await upstream.requestsTo("/api/v2/incoming_payments")).toHaveLength(2);
});

it("answers 502 with K2's message when K2 refuses, and 404 off its route", async () => {
  const refused = await worker.fetch(pay({ phone_number: "", amount: "20" }), env);
  expect(refused.status).toBe(502);
  expect(await refused.json()).toEqual({ error: expect.stringContaining("Phone number can't be blank") });
  expect((await worker.fetch(new Request("https://example.workers.dev/"), baseEnv)).status).toBe(404);
});
