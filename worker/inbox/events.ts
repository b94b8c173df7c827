/**
 * `GET /k2/events?after=<cursor>&limit=<n>` and `GET /k2/events/<id>`: the inbox read back by a
 * caller holding a proxy key (checked before this, as for the API). Events come in arrival order;
 * `next` is the cursor after the last one listed, to pass as `after`, and `null` when the page is
 * empty (nothing newer yet: ask again later with the same cursor). A page may hold fewer than
 * `limit` events while more wait: the inbox also stops it at EVENTS_PAGE_BYTES of payload.
 */
import type { Caller } from "../common/callers.ts";
import { jsonResponse, methodNotAllowed, refusal } from "../common/responses.ts";
import { ownedOf, readsOnlyItsOwn, type OwnershipEnv } from "../ownership/client.ts";
import { inboxOf } from "./client.ts";
import { backoff } from "./delivery.ts";
import type { StoredEvent } from "./object.ts";
import { inboxSettingsOrRefusal } from "./receive.ts";
import type { InboxEnv } from "./settings.ts";

export const EVENTS_PATH = "/k2/events";

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 500;

/** An event as callers read it (`GET /k2/events`). */
export interface InboxEvent {
  id: string;
  kind: string;
  topic: string | null;
  type: string | null;
  receivedAt: string;
  delivery: {
    state: StoredEvent["delivery"];
    attempts: number;
    lastAttemptAt: string | null;
    /** The backend's HTTP status on the last attempt; `null` when it gave none (unreachable, timeout). */
    lastStatus: number | null;
    /** When the queue tries again a delivery that failed (its backoff), while the event is pending. */
    nextAttemptAt: string | null;
  };
  /** K2's body, as it posted it. */
  payload: unknown;
}

/**
 * A caller reading events: a key restricted to its own resources sees only the results of the
 * resources it created (ownership/).
 */
export async function readEvents(
  request: Request,
  url: URL,
  env: InboxEnv & OwnershipEnv,
  caller: Caller,
): Promise<Response> {
  const settings = inboxSettingsOrRefusal(env);
  if (settings instanceof Response) return settings;
  if (request.method !== "GET" && request.method !== "HEAD") return methodNotAllowed(["GET", "HEAD"]);
  const inbox = await inboxOf(settings.namespace, settings.clientId);

  if (url.pathname !== EVENTS_PATH) {
    const id = url.pathname.slice(EVENTS_PATH.length + 1);
    const stored = /^[0-9a-f]{32}$/.test(id) ? await inbox.get(id) : null;
    const event = stored && publicEvent(stored, settings.forward?.retryDelaySeconds);
    if (!event || (await visible(env, caller, [event])).length === 0)
      return refusal(404, "not_found", "No such event (events are kept for INBOX_RETENTION_DAYS)");
    return jsonResponse(200, { ...event });
  }

  const after = wholeNumber(url.searchParams.get("after"), 0);
  const limit = wholeNumber(url.searchParams.get("limit"), DEFAULT_LIMIT);
  if (after === undefined || limit === undefined || limit < 1 || limit > MAX_LIMIT)
    return refusal(
      400,
      "invalid_query",
      `after must be a cursor from a previous page; limit a whole number from 1 to ${MAX_LIMIT}`,
    );
  const rows = await inbox.list(after, limit);
  const next = rows.length > 0 ? String(rows[rows.length - 1]!.seq) : null;
  const events = rows.map((row) => publicEvent(row, settings.forward?.retryDelaySeconds));
  return jsonResponse(200, { events: await visible(env, caller, events), next });
}

/** `POST /k2/events/<id>/replay`: the path's form, so the route table can tell it from a read. */
export const isReplayPath = (pathname: string): boolean => /^\/k2\/events\/[^/]+\/replay$/.test(pathname);

/**
 * `POST /k2/events/<id>/replay`: a dead event is delivered again (the inbox re-queues it). The
 * caller needs `events:write`, checked before this; a key restricted to its own may replay only the
 * events it may read. 409 when the event is not dead: a pending one is still being tried, a
 * delivered one needs nothing, and with forwarding off nothing is ever delivered.
 */
export async function replayEvent(
  request: Request,
  url: URL,
  env: InboxEnv & OwnershipEnv,
  caller: Caller,
): Promise<Response> {
  const settings = inboxSettingsOrRefusal(env);
  if (settings instanceof Response) return settings;
  if (request.method !== "POST") return methodNotAllowed(["POST"]);
  const id = url.pathname.slice(EVENTS_PATH.length + 1, -"/replay".length);
  const inbox = await inboxOf(settings.namespace, settings.clientId);
  const stored = /^[0-9a-f]{32}$/.test(id) ? await inbox.get(id) : null;
  // Visibility first: a key must not learn, from a 409, that an event it may not read exists.
  if (!stored || (await visible(env, caller, [publicEvent(stored)])).length === 0)
    return refusal(404, "not_found", "No such event (events are kept for INBOX_RETENTION_DAYS)");
  if (!settings.forward)
    return refusal(409, "forwarding_off", "FORWARD_URL is not set: events are kept, never delivered");
  const { replayed, event } = await inbox.replay(id);
  if (!replayed || !event)
    return refusal(409, "not_dead", `Only a dead event is replayed; this one is ${event?.delivery ?? "gone"}`);
  return jsonResponse(200, { ...publicEvent(event) });
}

/** The events the caller may see: all, or for a key restricted to its own, the results of its resources. */
async function visible(env: OwnershipEnv, caller: Caller, events: InboxEvent[]): Promise<InboxEvent[]> {
  if (!readsOnlyItsOwn(caller)) return events;
  const ids = events.map(resourceIdOf);
  const owned = await ownedOf(
    env,
    caller,
    ids.filter((id): id is string => id !== undefined),
  );
  return events.filter((_, index) => ids[index] !== undefined && owned.has(ids[index]!));
}

/** The K2 resource a result is about (`data.id`); webhooks and Daraja payloads are about none a key created. */
function resourceIdOf(event: InboxEvent): string | undefined {
  const data = (event.payload as { data?: { id?: unknown } } | null)?.data;
  return typeof data?.id === "string" ? data.id : undefined;
}

/**
 * The event as callers read it. `retryDelaySeconds` is forwarding's first retry delay: with it, a
 * pending event that failed is told when the queue tries it again (the same backoff delivery.ts asks).
 */
export function publicEvent(row: StoredEvent, retryDelaySeconds?: number): InboxEvent {
  const retrying = row.delivery === "pending" && row.attempts > 0 && row.last_attempt_at !== null;
  const nextAttemptAt =
    retrying && retryDelaySeconds !== undefined
      ? new Date(row.last_attempt_at! + backoff(row.attempts, retryDelaySeconds) * 1000).toISOString()
      : null;
  return {
    id: row.id,
    kind: row.kind,
    topic: row.topic,
    type: row.type,
    receivedAt: new Date(row.received_at).toISOString(),
    delivery: {
      state: row.delivery,
      attempts: row.attempts,
      lastAttemptAt: row.last_attempt_at === null ? null : new Date(row.last_attempt_at).toISOString(),
      lastStatus: row.last_status,
      nextAttemptAt,
    },
    payload: JSON.parse(row.payload),
  };
}

function wholeNumber(raw: string | null, fallback: number): number | undefined {
  if (raw === null || raw === "") return fallback;
  return /^\d{1,15}$/.test(raw) ? Number(raw) : undefined;
}
