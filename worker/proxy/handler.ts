/**
 * The proxy pipeline for `/api/v1/...` and `/api/v2/...`, in the order a request meets it once
 * its caller is known: check the route, read the body, check the idempotency key, get the token and
 * send to K2 (send.ts), answer.
 */
import type { K2Client } from "../../src/index.ts";
import { holdIdempotencyKey, holdLost, type KeyHold } from "../idempotency/client.ts";
import type { Caller } from "../common/callers.ts";
import { k2Settings } from "../common/k2-settings.ts";
import type { RequestLog } from "../common/log.ts";
import { bodyRefusal, bodyTimeoutMs, readRequestBody } from "../common/request-body.ts";
import { allows, bodyLimitRefusal, capabilityOf, notAllowed } from "../common/authorization.ts";
import { methodNotAllowed, notFound, refusal } from "../common/responses.ts";
import { recordPayment } from "../ledger/client.ts";
import { owns, recordOwner } from "../ownership/client.ts";
import { rateLimitRefusal, type RateLimitEnv } from "../rate-limits/client.ts";
import { sendFailure, sendToK2, type Send, type Sent } from "./send.ts";
import { proxySettings, type ProxyEnv } from "./settings.ts";
import { upstreamPath } from "./upstream-path.ts";

const SENT_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"] as const;

/**
 * A keyed request's lease on its key, in upstream deadlines: renewed while the request lives, so
 * it bounds only how soon a key whose request died is released (or, once sent, held in doubt).
 */
const LEASE_DEADLINES = 2;

/** What a proxy request carries besides itself: its URL, its authenticated caller, its log line. */
export interface ProxyRequest {
  url: URL;
  caller: Caller;
  log: RequestLog;
}

/**
 * A proxy with its own isolate state (the K2 client and its token in memory, from `k2Client`). The
 * Worker makes one per isolate; tests make several to play several isolates.
 */
export function createProxy(
  k2Client: (env: ProxyEnv) => K2Client,
): (request: Request, env: ProxyEnv & RateLimitEnv, at: ProxyRequest) => Promise<Response> {
  return async (request, env, { url, caller, log }) => {
    const path = upstreamPath(request.url);
    if (!path) return notFound();
    if (!(SENT_METHODS as readonly string[]).includes(request.method)) return methodNotAllowed(SENT_METHODS);
    const capability = capabilityOf(request.method, path);
    if (!allows(caller, capability)) return notAllowed(caller, capability);
    // A scoped key reaches a resource by id (a read, a cancel) only if it created it.
    const resourceId = /^\/api\/v[12]\/[A-Za-z0-9_-]+\/([A-Za-z0-9_-]+)/.exec(path)?.[1];
    if (resourceId !== undefined && !(await owns(env, caller, resourceId))) return notOwned();
    const k2 = k2Settings(env);
    const client = k2Client(env);
    const settings = proxySettings(env);

    let body: ArrayBuffer | undefined;
    try {
      body = await readRequestBody(request, { maxBytes: settings.maxBodyBytes, timeoutMs: bodyTimeoutMs(env) });
    } catch (error) {
      return bodyRefusal(error);
    }
    const limited = bodyLimitRefusal(caller, request.method, path, body);
    if (limited) return limited;
    const overLimit = await rateLimitRefusal(env, caller, request.method, path, body);
    if (overLimit) return overLimit;

    // With a key, the idempotency store decides first whether this request may go to K2 at all.
    const target = `${path}${url.search}`;
    const leaseMs = LEASE_DEADLINES * k2.upstreamTimeoutMs;
    const waitMs = k2.upstreamTimeoutMs;
    const hold = await holdIdempotencyKey({ request, env, caller, target, body, leaseMs, waitMs, log });
    if (hold instanceof Response) return hold;

    const send: Send = { client, request, url, path, body, log, settings, k2 };
    const sendRecorded = () => sendAndRecord(send, env, caller);
    if (!hold) return (await sendRecorded()).response;
    try {
      return await sendHeld(send, hold, sendRecorded);
    } catch (error) {
      hold.abandon();
      throw error;
    }
  };
}

/**
 * A keyed send: the token first (the token path may be long, and the key is held meanwhile), then
 * the move to `sending` recorded by the key's object, and only then the request to K2.
 */
async function sendHeld(send: Send, hold: KeyHold, sendRecorded: () => Promise<Sent>): Promise<Response> {
  try {
    await send.client.getAccessToken();
  } catch (error) {
    const { response, outcome } = sendFailure(error, send.request.method, send.log);
    return hold.finish(response, outcome);
  }
  if (!(await hold.sending())) return hold.finish(holdLost(), "not_sent");
  const { response, outcome } = await sendRecorded();
  return hold.finish(response, outcome);
}

/**
 * Sends, and records what K2 created (who created it, and a payment in the ledger) before the
 * caller hears of it: a read of it from any isolate then finds it.
 */
async function sendAndRecord(send: Send, env: ProxyEnv, caller: Caller): Promise<Sent> {
  const sent = await sendToK2(send);
  const location = sent.response.headers.get("location");
  if (send.request.method !== "POST" || !sent.response.ok || !location) return sent;
  // K2 created it: the caller must hear so whatever fails here (a retry would pay twice).
  const [owner, payment] = await Promise.allSettled([
    recordOwner(env, caller, location),
    recordPayment(env, {
      caller,
      path: send.path,
      body: send.body,
      location,
      idempotencyKey: send.request.headers.get("idempotency-key"),
    }),
  ]);
  // A scoped key will not read it back; the reconciler will not look for it.
  if (owner.status === "rejected") send.log.ownership = "not_recorded";
  if (payment.status === "rejected") send.log.ledger = "not_recorded";
  return sent;
}

/** A resource another key created, to a key that reads only its own: as if there were none. */
const notOwned = () => refusal(404, "not_found", "No such resource for this key");
