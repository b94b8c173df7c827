/**
 * What makes two deliveries the same event. K2 delivers at least once and out of order, so the inbox
 * keeps one event per identity, and answers `duplicate` to every later delivery of it. An identity
 * that is too coarse loses events (a new state is taken for a copy of an old one, answered
 * `duplicate`, and K2 stops delivering it); one that is too fine only stores a copy twice, which the
 * backend's deduplication on `id` absorbs. So when in doubt, an identity tells apart.
 *
 * - a webhook (`webhook`, `unknown_webhook`): its topic and `id`. K2's event id is the same on every
 *   delivery; the topic is in it because nothing says ids are unique across topics.
 * - a result (`result`, `unknown_result`): `data.type`, `data.id`, and every status-like value under
 *   `data.attributes`, with its path, in a stable order. K2 posts a resource's result again when it
 *   changes state, and the state is not always `attributes.status`: a payment link's result stays
 *   `"status": "Processed"` while `payment_link.payment_link_status` (Active) becomes
 *   `payment_link.status` (Paid), and a payment's transfer batches and disbursements carry their own.
 * - a Daraja payload (a subscription with `enable_daraja_payload`): its `TransID`.
 *
 * The kind is the family (webhook, result, daraja), not parseWebhook's known/unknown split, so that
 * a topic this version does not know keeps its identity once a later version knows it.
 */
import type { K2Notification } from "../../src/api/index.ts";
import { sha256Hex } from "../common/sha256.ts";
import type { NewEvent } from "./object.ts";

/** The identity as text: a JSON array, so that no id or topic can run into the next part. */
export function identityOf(notification: K2Notification): string {
  switch (notification.kind) {
    case "webhook":
    case "unknown_webhook":
      return JSON.stringify(["webhook", notification.topic, notification.payload.id]);
    case "result":
    case "unknown_result":
      return resultIdentity(notification.payload.data);
    case "daraja":
      return JSON.stringify(["daraja", notification.payload.TransID]);
  }
}

/**
 * A result's identity, and a status read's: K2's account of one resource in one state, whichever
 * way it came (its callback, or the reconciler's read), is one event.
 */
export function resultIdentity(data: { id: string; type: string; attributes?: unknown }): string {
  return JSON.stringify(["result", data.type, data.id, statusesOf(data.attributes)]);
}

/** The id of an identity: 32 hex digits of its digest. */
export async function identityId(identity: string): Promise<string> {
  return (await sha256Hex(identity)).slice(0, 32);
}

/** A key whose value is a state: `status`, `payment_link_status`, `transactionStatus`... */
const STATUS_KEY = /status$/i;

/**
 * Every status-like value under `attributes` as `path=value` (the value as JSON), sorted. Array
 * items are named by their index: a reordered array then reads as a new state (stored once more,
 * harmless), where an index-free path could read two different states as one (a lost event).
 * Walked with a stack, not recursion, so that no nesting depth can exhaust it.
 */
export function statusesOf(attributes: unknown): string[] {
  const found: string[] = [];
  const stack: [string, unknown][] = [["", attributes]];
  while (stack.length > 0) {
    const [path, value] = stack.pop()!;
    if (Array.isArray(value)) {
      value.forEach((item, index) => stack.push([`${path}[${index}]`, item]));
    } else if (value !== null && typeof value === "object") {
      for (const [key, item] of Object.entries(value)) {
        const at = path === "" ? key : `${path}.${key}`;
        if (STATUS_KEY.test(key) && (item === null || typeof item !== "object"))
          found.push(`${at}=${JSON.stringify(item)}`);
        else stack.push([at, item]);
      }
    }
  }
  return found.sort();
}

/** The event as the inbox keeps it; its id is a digest of its identity (32 hex digits). */
export async function newEvent(notification: K2Notification, payload: string): Promise<NewEvent> {
  return {
    id: await identityId(identityOf(notification)),
    kind: notification.kind,
    topic: "topic" in notification ? notification.topic : null,
    type: "type" in notification ? notification.type : null,
    payload,
  };
}
