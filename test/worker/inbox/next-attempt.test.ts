/**
 * When the queue tries a failed delivery again, as `GET /k2/events` tells it: the consumer's own
 * backoff (delivery.ts), from the last attempt, for a pending event only.
 */
import { beforeEach, expect, it } from "vitest";
import { backoff } from "../../../worker/inbox/delivery.ts";
import { isolate } from "../support/harness.ts";
import { callback, emptyInbox, eventRequest, inboxSql, keepOnlyEnv, webhook } from "../support/inbox-helpers.ts";

// Forwarding on, its first retry 30 s after a failure, doubling; the queue is not asked to send here.
const env = { ...keepOnlyEnv, FORWARD_URL: "http://127.0.0.1:9/events", FORWARD_SECRET: "next-attempt-secret-0001" };

beforeEach(() => emptyInbox());

it("a pending event that failed twice is next tried the consumer's backoff after its last attempt", async () => {
  const { proxy } = isolate();
  const stored = await (await proxy(await callback(JSON.stringify(webhook())), keepOnlyEnv)).json<{ id: string }>();
  const lastAttempt = Date.parse("2026-12-06T10:00:00Z");
  await inboxSql(
    "UPDATE events SET delivery = 'pending', attempts = 2, last_attempt_at = ?, last_status = 503 WHERE id = ?",
    lastAttempt,
    stored.id,
  );
  const read = async (readEnv: Record<string, unknown>) =>
    (await (await proxy(eventRequest(stored.id), readEnv as typeof keepOnlyEnv)).json<any>()).delivery;

  const retrying = await read({ ...env, FORWARD_RETRY_DELAY_SECONDS: "30" });
  expect(backoff(2, 30)).toBe(60);
  expect(retrying).toMatchObject({ state: "pending", attempts: 2, nextAttemptAt: "2026-12-06T10:01:00.000Z" });
  // Forwarding off: nothing is tried again, so no time is given.
  expect((await read(keepOnlyEnv)).nextAttemptAt).toBeNull();

  await inboxSql("UPDATE events SET delivery = 'dead' WHERE id = ?", stored.id);
  expect((await read({ ...env, FORWARD_RETRY_DELAY_SECONDS: "30" })).nextAttemptAt).toBeNull();
});
