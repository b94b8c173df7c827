/**
 * The inbox loses nothing, inside workerd with the real K2Inbox Durable Object and real Queues:
 * a new state of a result, or a webhook sharing another topic's id, is stored rather than taken
 * for a duplicate; a delivery replayed after retention is still a duplicate; a pending event whose
 * queue message was lost is sent again by the alarm; and a reader gets every event, however large,
 * page by page.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import type { InboxEvent } from "../../../worker/inbox/events.ts";
import { retryHorizonMs } from "../../../worker/inbox/delivery.ts";
import { EVENTS_PAGE_BYTES, K2Inbox } from "../../../worker/inbox/object.ts";
import { baseEnv, isolate, KEY, proxyRequest } from "../support/harness.ts";
import {
  callback,
  deliveriesOf,
  emptyInbox,
  eventually,
  inboxAlarm,
  inboxSql,
  inboxStub,
  keepOnlyEnv,
  paymentLinkResult,
  paymentResult,
  readEvent,
  storedIdentities,
  storedRows,
  webhook,
  withInboxQueue,
} from "../support/inbox-helpers.ts";

const DAY_MS = 24 * 3600 * 1000;

/** Posts `body` to /k2/callbacks as K2 does; the inbox's answer. */
async function post(body: unknown, env: typeof baseEnv = keepOnlyEnv): Promise<{ status: string; id: string }> {
  const response = await isolate().proxy(await callback(typeof body === "string" ? body : JSON.stringify(body)), env);
  expect(response.status).toBe(200);
  return response.json();
}

/** Runs the inbox's alarm now, whenever it is set for. */
async function runAlarm(): Promise<void> {
  expect(await runDurableObjectAlarm(await inboxStub())).toBe(true);
}

/** Waits for what the queue may still be doing, then the backend's deliveries of `webhookId`. */
async function settledDeliveriesOf(webhookId: string) {
  await new Promise((resolve) => setTimeout(resolve, 500));
  return deliveriesOf(webhookId);
}

beforeEach(() => emptyInbox());

describe("identity: a new state is a new event", () => {
  it("a payment link's result, Active then Paid (attributes.status Processed in both), is stored twice", async () => {
    const id = crypto.randomUUID();
    const answers = [];
    for (const body of [paymentLinkResult(id, "Active"), paymentLinkResult(id, "Paid"), paymentLinkResult(id, "Paid")])
      answers.push(await post(body));
    expect(answers.map((answer) => answer.status)).toEqual(["stored", "stored", "duplicate"]);
    expect(answers[1]!.id).not.toBe(answers[0]!.id);
    expect(answers[2]!.id).toBe(answers[1]!.id);
    const rows = await storedRows();
    expect(rows.map((row) => JSON.parse(row.payload as string).data.attributes.payment_link)).toMatchObject([
      { payment_link_status: "Active" },
      { status: "Paid" },
    ]);
  });

  it("a payment whose disbursement goes from Pending to Transferred, the payment Processed throughout, is stored twice", async () => {
    const id = crypto.randomUUID();
    const answers = [];
    for (const body of [paymentResult(id, "Pending"), paymentResult(id, "Transferred"), paymentResult(id, "Pending")])
      answers.push((await post(body)).status);
    expect(answers).toEqual(["stored", "stored", "duplicate"]);
  });

  it("two webhooks with the same id and different topics are both stored; each again is a duplicate", async () => {
    const id = crypto.randomUUID();
    const received = webhook(id, "buygoods_transaction_received");
    const reversed = webhook(id, "buygoods_transaction_reversed");
    const answers = [];
    for (const body of [received, reversed, received, reversed]) answers.push(await post(body));
    expect(answers.map((answer) => answer.status)).toEqual(["stored", "stored", "duplicate", "duplicate"]);
    expect((await storedRows()).map((row) => row.topic)).toEqual([
      "buygoods_transaction_received",
      "buygoods_transaction_reversed",
    ]);
  });
});

describe("identity: remembered long after the event", () => {
  it("a delivery replayed after retention is a duplicate: not stored, not forwarded again", async () => {
    const hook = webhook();
    const body = JSON.stringify(hook);
    const { id } = await post(body, baseEnv);
    const { proxy } = isolate();
    await eventually(
      () => readEvent(proxy, id),
      (event) => event.delivery.state === "delivered",
    );
    await inboxSql("UPDATE events SET received_at = ?", Date.now() - 31 * DAY_MS);
    await runAlarm();
    expect(await storedRows()).toEqual([]);

    expect(await post(body, baseEnv)).toEqual({ status: "duplicate", id });
    expect(await storedRows()).toEqual([]);
    expect(await settledDeliveriesOf(hook.id)).toHaveLength(1);
    // The event is gone; its identity stays, and with it the answer to a replay.
    expect(await storedIdentities()).toMatchObject([{ id }]);
  });

  it("an identity is forgotten after INBOX_IDENTITY_DAYS (default 365), and the alarm is set for it", async () => {
    const body = JSON.stringify(webhook());
    const { id } = await post(body);
    await inboxSql("UPDATE events SET received_at = ?", Date.now() - 31 * DAY_MS);
    await runAlarm();
    // No event left: the next alarm is when the identity expires, a year after it was first seen.
    const seenAt = (await storedIdentities())[0]!.seen_at as number;
    expect(await inboxAlarm()).toBe(seenAt + 365 * DAY_MS);

    await inboxSql("UPDATE identities SET seen_at = ?", Date.now() - 366 * DAY_MS);
    await runAlarm();
    expect(await storedIdentities()).toEqual([]);
    expect(await inboxAlarm()).toBeNull();
    expect(await post(body)).toEqual({ status: "stored", id });
  });

  it("an inbox from before identities were kept gets its events' identities on first use", async () => {
    const body = JSON.stringify(webhook());
    const { id } = await post(body);
    // The inbox as the previous version left it: no identities, no queued_at column.
    await inboxSql("DELETE FROM identities");
    await inboxSql("DROP INDEX events_pending");
    await inboxSql("ALTER TABLE events DROP COLUMN queued_at");
    await runInDurableObject(await inboxStub(), (_: K2Inbox, state) => {
      // The constructor is the first use of a woken object.
      new K2Inbox(state, keepOnlyEnv as never);
      new K2Inbox(state, keepOnlyEnv as never); // and a second one changes nothing
    });
    expect(await storedIdentities()).toMatchObject([{ id }]);
    expect((await inboxSql("SELECT name FROM pragma_table_info('events')")).map((column) => column.name)).toContain(
      "queued_at",
    );
    await inboxSql("UPDATE events SET received_at = ?", Date.now() - 31 * DAY_MS);
    await runAlarm();
    expect(await post(body)).toEqual({ status: "duplicate", id });
  });

  it("a malformed INBOX_IDENTITY_DAYS is a configuration error naming it", async () => {
    const response = await isolate().proxy(await callback(JSON.stringify(webhook())), {
      ...keepOnlyEnv,
      INBOX_IDENTITY_DAYS: "a year",
    });
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ error: "configuration_error", setting: "INBOX_IDENTITY_DAYS" });
  });
});

describe("the sweep: a queue message that never comes back", () => {
  // Accepts the message and loses it: the event is pending and queued, and nothing will deliver it.
  const losingQueue = { send: () => Promise.resolve() };
  // The test Worker's FORWARD_RETRY_DELAY_SECONDS is 0: the horizon is the margin alone.
  const horizonMs = retryHorizonMs(0);

  it("a pending event whose message was lost is sent again by the alarm once past the queue's retry horizon", async () => {
    const hook = webhook();
    const { id } = await withInboxQueue(losingQueue, () => post(hook, baseEnv));
    expect(await storedRows()).toMatchObject([{ id, delivery: "pending", queued: 1, attempts: 0 }]);
    // The alarm is set for the horizon at the latest, not only for retention.
    expect(await inboxAlarm()).toBeLessThanOrEqual(Date.now() + horizonMs);

    // Within the horizon the message may still come: nothing is sent.
    await runAlarm();
    expect(await settledDeliveriesOf(hook.id)).toEqual([]);
    expect(await storedRows()).toMatchObject([{ delivery: "pending", queued: 1, attempts: 0 }]);

    const past = Date.now() - horizonMs - 1000;
    await inboxSql("UPDATE events SET received_at = ?, queued_at = ?", past, past);
    await runAlarm();
    const { proxy } = isolate();
    const event = await eventually(
      () => readEvent(proxy, id),
      (delivered) => delivered.delivery.state === "delivered",
    );
    expect(event.delivery).toMatchObject({ attempts: 1, lastStatus: 200 });
    expect(await deliveriesOf(hook.id)).toHaveLength(1);
  });

  it("the horizon runs from the last attempt too: an event the queue is still retrying is left alone", async () => {
    const hook = webhook();
    await withInboxQueue(losingQueue, () => post(hook, baseEnv));
    const old = Date.now() - horizonMs - 1000;
    await inboxSql("UPDATE events SET queued_at = ?, attempts = 2, last_attempt_at = ?", old, Date.now());
    await runAlarm();
    expect(await settledDeliveriesOf(hook.id)).toEqual([]);

    await inboxSql("UPDATE events SET last_attempt_at = ?", old);
    await runAlarm();
    await eventually(
      () => deliveriesOf(hook.id),
      (deliveries) => deliveries.length === 1,
    );
  });

  it("the horizon follows FORWARD_RETRY_DELAY_SECONDS and max_retries with the consumer's doubling and cap", () => {
    const margin = retryHorizonMs(0);
    // 30 + 60 + 120 + 240 + 480 seconds: the five retries of wrangler.toml's max_retries = 5.
    expect(retryHorizonMs(30) - margin).toBe(930_000);
    // Each delay is at most 12 hours.
    expect(retryHorizonMs(40_000) - margin).toBe((40_000 + 4 * 43_200) * 1000);
    expect(margin).toBeGreaterThan(0);
  });
});

describe("GET /k2/events: pages bounded in bytes", () => {
  it("events whose payloads total more than a page's budget come in several pages, each exactly once", async () => {
    const roomy = { ...keepOnlyEnv, INBOX_MAX_BODY_BYTES: String(6 * 1024 * 1024) };
    const ids: string[] = [];
    // 20 events of 240 KiB (about 4.7 MiB), then one alone larger than the budget, then a small one.
    for (let i = 0; i < 20; i++) ids.push((await post({ ...webhook(), padding: "x".repeat(240 * 1024) }, roomy)).id);
    const big = (await post({ ...webhook(), padding: "y".repeat(EVENTS_PAGE_BYTES + 1024) }, roomy)).id;
    ids.push(big, (await post(webhook(), roomy)).id);
    const sizes = new Map(
      (await storedRows()).map((row) => [row.id as string, new TextEncoder().encode(row.payload as string).length]),
    );

    const pages: string[][] = [];
    let cursor = "0";
    for (let page = 0; page < 10; page++) {
      const response = await isolate().proxy(proxyRequest(`/k2/events?limit=500&after=${cursor}`, { key: KEY }), roomy);
      expect(response.status).toBe(200);
      const answer = (await response.json()) as { events: InboxEvent[]; next: string | null };
      if (answer.next === null) break;
      pages.push(answer.events.map((event) => event.id));
      cursor = answer.next;
    }
    expect(pages.flat()).toEqual(ids);
    expect(pages.length).toBeGreaterThanOrEqual(3);
    for (const page of pages) {
      const bytes = page.reduce((sum, id) => sum + sizes.get(id)!, 0);
      if (page.length > 1) expect(bytes).toBeLessThanOrEqual(EVENTS_PAGE_BYTES);
    }
    expect(pages.find((page) => page.includes(big))).toEqual([big]);
  });
});
