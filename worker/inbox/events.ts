/**
 * `GET /k2/events?after=<cursor>&limit=<n>` and `GET /k2/events/<id>`: the inbox read back by a
 * caller holding a proxy key (checked before this, as for the API). Events come in arrival order;
 * `next` is the cursor after the last one listed, to pass as `after`, and `null` when the page is
 * empty (nothing newer yet: ask again later with the same cursor).
 */
import { eventNotFound, invalidQuery, jsonAnswer, methodNotAllowed } from "../answers.ts";
import type { Env, ProxyConfig } from "../config.ts";
import type { RequestLog } from "../log.ts";
import { inboxOf, type StoredEvent } from "./inbox.ts";
import { inboxConfigOrAnswer } from "./receive.ts";

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
  };
  /** K2's body, as it posted it. */
  payload: unknown;
}

export function isEventsPath(pathname: string): boolean {
  return pathname === EVENTS_PATH || pathname.startsWith(`${EVENTS_PATH}/`);
}

export async function readEvents(
  request: Request,
  url: URL,
  env: Env,
  proxy: ProxyConfig,
  entry: RequestLog,
): Promise<Response> {
  const config = inboxConfigOrAnswer(env, entry);
  if (config instanceof Response) return config;
  if (request.method !== "GET" && request.method !== "HEAD") {
    entry.error = "method_not_allowed";
    return methodNotAllowed(["GET", "HEAD"]);
  }
  const inbox = await inboxOf(config.namespace, proxy.clientId);

  if (url.pathname !== EVENTS_PATH) {
    const id = url.pathname.slice(EVENTS_PATH.length + 1);
    const stored = /^[0-9a-f]{32}$/.test(id) ? await inbox.get(id) : null;
    if (!stored) {
      entry.error = "not_found";
      return eventNotFound();
    }
    return jsonAnswer(200, { ...publicEvent(stored) });
  }

  const after = wholeNumber(url.searchParams.get("after"), 0);
  const limit = wholeNumber(url.searchParams.get("limit"), DEFAULT_LIMIT);
  if (after === undefined || limit === undefined || limit < 1 || limit > MAX_LIMIT) {
    entry.error = "invalid_query";
    return invalidQuery(`after must be a cursor from a previous page; limit a whole number from 1 to ${MAX_LIMIT}`);
  }
  const rows = await inbox.list(after, limit);
  const next = rows.length > 0 ? String(rows[rows.length - 1]!.seq) : null;
  return jsonAnswer(200, { events: rows.map(publicEvent), next });
}

export function publicEvent(row: StoredEvent): InboxEvent {
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
    },
    payload: JSON.parse(row.payload),
  };
}

function wholeNumber(raw: string | null, fallback: number): number | undefined {
  if (raw === null || raw === "") return fallback;
  return /^\d{1,15}$/.test(raw) ? Number(raw) : undefined;
}
