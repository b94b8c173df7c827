/**
 * `scope` in any case: K2's docs write `company` and `till`, PHP's tests send `"Company"`. The
 * typed API takes every case and sends lower case; the sandbox accepts both what an SDK sends and
 * what the typed API sends, and routes events to such a subscription.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createWebhookSubscription,
  getPollingStatus,
  getWebhookSubscriptionStatus,
  pollTransactions,
  type K2Scope,
} from "../../src/api/index.ts";
import { K2Client } from "../../src/index.ts";
import { DEV_CLIENT } from "../../sandbox/credentials.ts";
import { K2Sandbox } from "../../sandbox/server.ts";
import { startReceiver, type Receiver } from "../sandbox/support.ts";
import { capture } from "./capture.ts";
import * as fixture from "../../sandbox/samples.ts";

const SPELLINGS: K2Scope[] = [
  { scope: "Company" },
  { scope: "COMPANY", scope_reference: null },
  { scope: "company", scope_reference: "" },
  { scope: "Till", scope_reference: "K000000" },
  { scope: "TILL", scope_reference: 555555 },
];

let sandbox: K2Sandbox;
let k2: K2Client;
let receiver: Receiver;
beforeAll(async () => {
  sandbox = await new K2Sandbox({ processingDelayMs: Infinity, callbackBackoffMs: 5 }).listen();
  k2 = new K2Client({ ...DEV_CLIENT, baseUrl: sandbox.url });
  receiver = await startReceiver();
});
afterAll(async () => {
  await sandbox.close();
  await receiver.close();
});

describe.each(SPELLINGS)("scope $scope", (scope) => {
  const lower = scope.scope.toLowerCase();
  const subscription = { event_type: "customer_created" as const, url: "https://example.com/k2/webhooks", ...scope };
  const polling = {
    from_time: fixture.tillPolling.from_time,
    to_time: fixture.tillPolling.to_time,
    _links: fixture.CALLBACK,
    ...scope,
  };

  it.each(["v1", "v2"] as const)("is sent in lower case by the typed API (%s)", async (version) => {
    const subscribe = capture();
    await createWebhookSubscription(subscribe.k2, subscription, { version });
    expect(subscribe.sent()).toMatchObject({ scope: lower });
    const poll = capture();
    await pollTransactions(poll.k2, polling, { version });
    expect(poll.sent()).toMatchObject({ scope: lower });
  });

  it("is accepted by the sandbox as an SDK sends it and as the typed API sends it", async () => {
    for (const path of ["/api/v1/webhook_subscriptions", "/api/v2/webhook_subscriptions"]) {
      const raw = await k2.fetch(path, { method: "POST", body: JSON.stringify(subscription) });
      expect(raw.status, await raw.text()).toBe(201);
    }
    const location = await createWebhookSubscription(k2, subscription);
    expect((await getWebhookSubscriptionStatus(k2, location)).data.attributes.scope).toBe(lower);
    const polled = await pollTransactions(k2, polling);
    expect((await getPollingStatus(k2, polled)).data.attributes.scope).toBe(lower === "till" ? "Till" : "Company");
  });
});

it("routes events to a subscription made with scope Company, as PHP's tests make it", async () => {
  sandbox.reset({ state: true });
  await createWebhookSubscription(k2, { event_type: "card_transaction_voided", url: receiver.url, scope: "Company" });
  const { deliveries } = sandbox.trigger("card_transaction_voided");
  expect(deliveries.map((delivery) => delivery.url)).toEqual([receiver.url]);
  const [received] = await receiver.until(1);
  expect(JSON.parse(received!.body).topic).toBe("card_transaction_voided");
});

it("still refuses a scope that is neither, in any case", async () => {
  const { k2: captured, requests } = capture();
  await expect(
    createWebhookSubscription(captured, { ...fixture.companySubscription, scope: "Shop" as never }),
  ).rejects.toMatchObject({ problems: [{ path: "scope", message: 'must be one of "till", "company"' }] });
  expect(requests).toEqual([]);
});
