/**
 * Delivery to the backend (the settings call it forwarding): with FORWARD_URL set, every new event
 * goes through a Cloudflare Queue to the backend,
 * signed with FORWARD_SECRET (`X-K2-Edge-Signature`, `signEdgeEvent`), so that the backend never
 * holds K2's API key. The queue retries a failed delivery with a growing delay; after its
 * `max_retries` it moves the message to the dead-letter queue, whose consumer marks the event `dead`.
 * Each attempt is written to the event's `delivery` state.
 *
 * A message names the event (its inbox and id), not its body: the event may be larger than a queue
 * message may be, and the inbox stays the one place that holds it. Delivery is at least once (a
 * crash between the backend's answer and the ack sends it again): the backend deduplicates on `id`.
 */
import { signEdgeEvent } from "../../src/index.ts";
import { writeLog } from "../common/log.ts";
import { ConfigError } from "../common/settings.ts";
import { publicEvent, type InboxEvent } from "./events.ts";
import type { StoredEvent } from "./object.ts";
import { inboxSettings, type Forwarding, type InboxEnv } from "./settings.ts";

/** The queue names wrangler.toml gives the inbox's queue and its dead-letter queue (keep them in step). */
export const INBOX_QUEUE_NAME = "k2-connect-edge-inbox";
export const DEAD_LETTER_QUEUE_NAME = "k2-connect-edge-inbox-dead";

/** What a queue message carries: which inbox (the Durable Object's id) and which event. */
export interface DeliveryMessage {
  inbox: string;
  id: string;
}

/** The body POSTed to FORWARD_URL. */
export type DeliveredEvent = Omit<InboxEvent, "delivery">;

/** How long the backend may take to answer one delivery. */
const DELIVERY_TIMEOUT_MS = 10_000;

/** The largest delay a queue retry may ask for (12 hours). */
const MAX_DELAY_SECONDS = 43_200;

/** The inbox queue consumer's `max_retries` in wrangler.toml (keep them in step). */
export const QUEUE_MAX_RETRIES = 5;

/**
 * Slack on top of the retry delays: each attempt may take DELIVERY_TIMEOUT_MS, and the queue may hold
 * a message a while before a consumer takes it.
 */
const HORIZON_MARGIN_MS = 15 * 60_000;

/** The Worker's `queue` handler, for the inbox's queue and its dead-letter queue. */
export async function consumeDeliveries(batch: MessageBatch<DeliveryMessage>, env: InboxEnv): Promise<void> {
  if (batch.queue === DEAD_LETTER_QUEUE_NAME) {
    await Promise.all(batch.messages.map((message) => markDead(message, env)));
    return;
  }
  if (batch.queue !== INBOX_QUEUE_NAME) {
    // A queue renamed in wrangler.toml but not here: kept (retried) rather than guessed at.
    writeLog({ level: "error", event: "inbox_unknown_queue", queue: batch.queue.slice(0, 100) });
    batch.retryAll({ delaySeconds: MAX_DELAY_SECONDS / 12 });
    return;
  }
  let forward: Forwarding | undefined;
  try {
    forward = inboxSettings(env).forward;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    writeLog({ level: "error", event: "configuration_error", setting: error.setting, message: error.message });
  }
  if (!forward) {
    // Forwarding was switched off or broken after these were queued: retried, and in the end dead.
    batch.retryAll({ delaySeconds: MAX_DELAY_SECONDS / 12 });
    return;
  }
  await Promise.all(batch.messages.map((message) => deliver(message, env, forward)));
}

async function deliver(message: Message<DeliveryMessage>, env: InboxEnv, forward: Forwarding): Promise<void> {
  const inbox = inboxById(env, message.body);
  if (!inbox) return message.ack(); // not a message this Worker wrote: nothing to deliver
  const retry = () => message.retry({ delaySeconds: backoff(message.attempts, forward.retryDelaySeconds) });

  let stored: StoredEvent | null;
  try {
    stored = await inbox.get(message.body.id);
  } catch {
    return retry();
  }
  // Gone past retention, or settled by an earlier copy of this message.
  if (!stored || stored.delivery === "delivered" || stored.delivery === "dead") return message.ack();

  const body = JSON.stringify(deliveredEvent(stored));
  let status: number | null = null;
  try {
    const response = await fetch(forward.url, {
      method: "POST",
      body,
      headers: {
        "content-type": "application/json",
        "x-k2-edge-signature": await signEdgeEvent(body, forward.secret),
      },
      redirect: "manual",
      signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
    });
    status = response.status;
    await response.body?.cancel();
  } catch {
    // Unreachable or too slow: no status to record.
  }
  const delivered = status !== null && status >= 200 && status < 300;
  writeLog({ event: "inbox_forward", id: stored.id, attempt: message.attempts, status, delivered });
  try {
    await inbox.attempted(stored.id, delivered, status);
  } catch {
    // The state is behind, but the delivery stands: acking (or retrying) as the backend answered is right.
    writeLog({ level: "error", event: "inbox_state_not_updated", id: stored.id });
  }
  if (delivered) message.ack();
  else retry();
}

async function markDead(message: Message<DeliveryMessage>, env: InboxEnv): Promise<void> {
  const inbox = inboxById(env, message.body);
  if (!inbox) return message.ack();
  try {
    await inbox.dead(message.body.id);
    writeLog({ level: "error", event: "inbox_forward_dead", id: message.body.id, attempts: message.attempts });
    message.ack();
  } catch {
    message.retry({ delaySeconds: backoff(message.attempts, 30) });
  }
}

/** The event as `GET /k2/events` shows it, less its delivery state, which the backend has no use for. */
export function deliveredEvent(stored: StoredEvent): DeliveredEvent {
  const { delivery: _, ...event } = publicEvent(stored);
  return event;
}

/** The delay before the next attempt: the first retry's delay, doubled for each attempt since. */
export function backoff(attempts: number, firstDelaySeconds: number): number {
  return Math.min(firstDelaySeconds * 2 ** Math.max(0, attempts - 1), MAX_DELAY_SECONDS);
}

/**
 * How long the queue may legitimately hold a message about an event, measured from the event's last
 * send to the queue or its last attempt: every retry's delay (the same doubling and cap as
 * {@link backoff}), plus a margin. An event still pending past it has a message that will not come
 * back (lost by the queue, or its dead letter lost), and the inbox's alarm sends it again. With
 * `max_retries` raised in wrangler.toml but not in {@link QUEUE_MAX_RETRIES}, that happens too early:
 * a second message for a live one, which costs an attempt, never a lost or doubled payment.
 */
export function retryHorizonMs(firstDelaySeconds: number, maxRetries = QUEUE_MAX_RETRIES): number {
  let seconds = 0;
  for (let attempts = 1; attempts <= maxRetries; attempts++) seconds += backoff(attempts, firstDelaySeconds);
  return seconds * 1000 + HORIZON_MARGIN_MS;
}

/** The event's inbox, or `undefined` for a message this Worker did not write. */
function inboxById(env: InboxEnv, body: DeliveryMessage) {
  const namespace = env.INBOX;
  // Unbound, the message is not lost: the throw has the queue retry it.
  if (!namespace) throw new ConfigError("INBOX", "INBOX must be bound to the K2Inbox Durable Object");
  if (typeof body?.inbox !== "string" || typeof body.id !== "string") return undefined;
  try {
    return namespace.get(namespace.idFromString(body.inbox));
  } catch {
    return undefined;
  }
}
