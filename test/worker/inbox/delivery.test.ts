/**
 * Forwarding inside workerd with real Queues: an event stored by /k2/callbacks goes through the
 * `INBOX_QUEUE` to FORWARD_URL (a backend global-setup runs in Node), signed with FORWARD_SECRET;
 * failures are retried with a growing delay, and what the queue gives up on ends in the dead-letter
 * queue, whose consumer marks the event `dead`. The test Worker's retries are not delayed
 * (FORWARD_RETRY_DELAY_SECONDS = 0), so the queue's own retries run here in full.
 */
import {
  createExecutionContext,
  createMessageBatch,
  getQueueResult,
  runDurableObjectAlarm,
  runInDurableObject,
} from "cloudflare:test";
import { inject } from "vitest";
import { beforeEach, describe, expect, it } from "vitest";
import { DEV_API_KEY } from "../../../sandbox/credentials.ts";
import { verifyEdgeSignature } from "../../../src/index.ts";
import type { InboxEvent } from "../../../worker/inbox/events.ts";
import { DEAD_LETTER_QUEUE_NAME, INBOX_QUEUE_NAME, type DeliveryMessage } from "../../../worker/inbox/delivery.ts";
import type { K2Inbox } from "../../../worker/inbox/object.ts";
import worker from "../../../worker/index.ts";
import { baseEnv, isolate } from "../support/harness.ts";
import {
  callback,
  deliveriesOf,
  emptyInbox,
  eventually,
  inboxStub,
  keepOnlyEnv,
  readEvent,
  storedRows,
  webhook,
  withInboxQueue,
} from "../support/inbox-helpers.ts";
import { FORWARD_TEST_SECRET, TEST_PROXY_KEYS } from "../support/keys.ts";

const backend = () => inject("forwardReceiverUrl");

/** The backend answers 500 to the next `fail` deliveries of the webhook `webhookId`. */
async function failNext(webhookId: string, fail: number): Promise<void> {
  await fetch(`${backend()}/__script`, { method: "POST", body: JSON.stringify({ match: webhookId, fail }) });
}

/** Receives a new webhook through the proxy, with forwarding on; its inbox id and K2 id. */
async function receive(env: typeof baseEnv = baseEnv): Promise<{ id: string; webhookId: string; body: string }> {
  const hook = webhook();
  const body = JSON.stringify(hook);
  const response = await isolate().proxy(await callback(body), env);
  expect(response.status).toBe(200);
  const { id } = (await response.json()) as { id: string };
  return { id, webhookId: hook.id, body };
}

async function settled(id: string, state: InboxEvent["delivery"]["state"]): Promise<InboxEvent> {
  const { proxy } = isolate();
  return eventually(
    () => readEvent(proxy, id),
    (event) => event.delivery.state === state,
  );
}

beforeEach(() => emptyInbox());

describe("forwarding through the queue", () => {
  it("delivers each event once to FORWARD_URL, signed so that verifyEdgeSignature accepts it", async () => {
    const { id, webhookId, body } = await receive();
    const event = await settled(id, "delivered");
    expect(event.delivery).toMatchObject({ state: "delivered", attempts: 1, lastStatus: 200 });

    const [delivery, ...others] = await deliveriesOf(webhookId);
    expect(others).toEqual([]);
    expect(delivery!.signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(await verifyEdgeSignature(delivery!.body, delivery!.signature, FORWARD_TEST_SECRET)).toBe(true);
    expect(await verifyEdgeSignature(delivery!.body, delivery!.signature, "another-secret")).toBe(false);
    expect(
      await verifyEdgeSignature(delivery!.body.replace("100.0", "999.0"), delivery!.signature, FORWARD_TEST_SECRET),
    ).toBe(false);
    const forwarded = JSON.parse(delivery!.body);
    expect(Object.keys(forwarded).sort()).toEqual(["id", "kind", "payload", "receivedAt", "topic", "type"]);
    expect(forwarded).toMatchObject({ id, kind: "webhook", topic: "buygoods_transaction_received", type: null });
    expect(forwarded.payload).toEqual(JSON.parse(body));
    expect(forwarded.receivedAt).toBe(event.receivedAt);
    for (const secret of [DEV_API_KEY, FORWARD_TEST_SECRET, ...TEST_PROXY_KEYS]) {
      expect(delivery!.body).not.toContain(secret);
    }
  });

  it("10 concurrent duplicates from K2 are stored once and forwarded once", async () => {
    const hook = webhook();
    const body = JSON.stringify(hook);
    const proxies = Array.from({ length: 5 }, () => isolate().proxy);
    const requests = await Promise.all(Array.from({ length: 10 }, () => callback(body)));
    const answers = await Promise.all(requests.map((request, i) => proxies[i % 5]!(request, baseEnv)));
    expect(answers.map((answer) => answer.status)).toEqual(Array(10).fill(200));
    const { id } = (await answers[0]!.json()) as { id: string };
    await settled(id, "delivered");
    expect(await deliveriesOf(hook.id)).toHaveLength(1);
    expect(await storedRows()).toHaveLength(1);
  });

  it("a backend answering 500 twice, then 200, gets the event on the third attempt", async () => {
    const hook = webhook();
    await failNext(hook.id, 2);
    const response = await isolate().proxy(await callback(JSON.stringify(hook)), baseEnv);
    const { id } = (await response.json()) as { id: string };
    const event = await settled(id, "delivered");
    expect(event.delivery).toMatchObject({ attempts: 3, lastStatus: 200 });
    expect((await deliveriesOf(hook.id)).map((delivery) => delivery.status)).toEqual([500, 500, 200]);
  });

  it("a backend that always fails: after the queue's retries the event is in the dead-letter queue, and says dead", async () => {
    const hook = webhook();
    await failNext(hook.id, 1000);
    const response = await isolate().proxy(await callback(JSON.stringify(hook)), baseEnv);
    const { id } = (await response.json()) as { id: string };
    const event = await settled(id, "dead");
    // wrangler.toml: max_retries = 5, so six attempts in all.
    expect(event.delivery).toMatchObject({ state: "dead", attempts: 6, lastStatus: 500 });
    const deliveries = await deliveriesOf(hook.id);
    expect(deliveries.map((delivery) => delivery.status)).toEqual(Array(6).fill(500));
    await failNext(hook.id, 0);
  });
});

describe("the enqueue: nothing is lost when the queue cannot be reached", () => {
  const failingQueue = { send: () => Promise.reject(new Error("queue unavailable")) };

  /** Runs `during` with the inbox's queue failing, then puts the real one back. */
  const withQueueDown = <T>(during: () => Promise<T>) => withInboxQueue(failingQueue, during);

  it("the event is kept (200) but unqueued; K2's next delivery of it enqueues it", async () => {
    const hook = webhook();
    const body = JSON.stringify(hook);
    const { proxy } = isolate();
    const stored = await withQueueDown(async () => proxy(await callback(body), baseEnv));
    expect(stored.status).toBe(200);
    const { id } = (await stored.json()) as { id: string };
    expect(await storedRows()).toMatchObject([{ id, delivery: "pending", queued: 0 }]);
    // The alarm is due soon, to send it if K2 does not deliver again.
    const alarm = await runInDurableObject(await inboxStub(), (_: K2Inbox, state) => state.storage.getAlarm());
    expect(alarm).toBeLessThanOrEqual(Date.now() + 60_000);

    const redelivered = await proxy(await callback(body), baseEnv);
    expect(await redelivered.json()).toMatchObject({ status: "duplicate", id });
    await settled(id, "delivered");
    expect(await deliveriesOf(hook.id)).toHaveLength(1);
  });

  it("the event is kept but unqueued; the inbox's alarm enqueues it", async () => {
    const hook = webhook();
    const stored = await withQueueDown(async () => isolate().proxy(await callback(JSON.stringify(hook)), baseEnv));
    const { id } = (await stored.json()) as { id: string };
    expect(await storedRows()).toMatchObject([{ id, queued: 0 }]);
    expect(await runDurableObjectAlarm(await inboxStub())).toBe(true);
    await settled(id, "delivered");
    expect(await storedRows()).toMatchObject([{ id, queued: 1, delivery: "delivered" }]);
    expect(await deliveriesOf(hook.id)).toHaveLength(1);
  });
});

describe("the queue consumer, driven batch by batch", () => {
  /** A kept event (forwarding off, so no real queue message) and the message that would name it. */
  async function keptEvent(): Promise<{ message: DeliveryMessage; webhookId: string }> {
    const { id, webhookId } = await receive(keepOnlyEnv);
    const stub = await inboxStub();
    return { message: { inbox: stub.id.toString(), id }, webhookId };
  }

  /**
   * One batch of one message through the Worker's queue handler. The plugin's result says whether it
   * was acked or retried, not with what delay, so the message's `retry` is watched for that.
   */
  async function run(queue: string, message: DeliveryMessage, attempts: number, env: typeof baseEnv) {
    const batch = createMessageBatch<DeliveryMessage>(queue, [
      { id: `message-${attempts}`, timestamp: new Date(), attempts, body: message },
    ]);
    const delays: (number | undefined)[] = [];
    const [only] = batch.messages;
    const retry = only!.retry.bind(only);
    only!.retry = (options?: QueueRetryOptions) => {
      delays.push(options?.delaySeconds);
      retry(options);
    };
    const ctx = createExecutionContext();
    await worker.queue(batch, env);
    return { ...(await getQueueResult(batch, ctx)), delays };
  }

  it("asks for a growing delay on each failed attempt, and acks the one that succeeds", async () => {
    const { message, webhookId } = await keptEvent();
    await failNext(webhookId, 3);
    const env = { ...baseEnv, FORWARD_RETRY_DELAY_SECONDS: "10" };
    const delays: (number | undefined)[] = [];
    for (const attempts of [1, 2, 3]) {
      const result = await run(INBOX_QUEUE_NAME, message, attempts, env);
      expect(result.explicitAcks).toEqual([]);
      expect(result.retryMessages.map((retry) => retry.msgId)).toEqual([`message-${attempts}`]);
      delays.push(...result.delays);
    }
    expect(delays).toEqual([10, 20, 40]);
    const last = await run(INBOX_QUEUE_NAME, message, 4, env);
    expect(last.explicitAcks).toEqual(["message-4"]);
    expect(last.retryMessages).toEqual([]);
    const event = await readEvent(isolate().proxy, message.id);
    expect(event.delivery).toMatchObject({ state: "delivered", attempts: 4, lastStatus: 200 });

    // A copy of the message after delivery is acked without sending again.
    const again = await run(INBOX_QUEUE_NAME, message, 1, env);
    expect(again.explicitAcks).toEqual(["message-1"]);
    expect(await deliveriesOf(webhookId)).toHaveLength(4);
  });

  it("the dead-letter queue's consumer marks the event dead", async () => {
    const { message } = await keptEvent();
    const result = await run(DEAD_LETTER_QUEUE_NAME, message, 1, baseEnv);
    expect(result.explicitAcks).toEqual(["message-1"]);
    expect((await readEvent(isolate().proxy, message.id)).delivery.state).toBe("dead");
  });
});
