/**
 * The proxy's side of idempotency keys (object.ts): check a keyed request with the key's Durable
 * Object before anything is sent, and report what K2 did once it is known.
 */
import { errorCodeOf, refusal, upstreamTruncated, withErrorCode } from "../common/responses.ts";
import type { Caller } from "../common/callers.ts";
import type { RequestLog } from "../common/log.ts";
import type { SendOutcome } from "../common/send-outcome.ts";
import { settingsOf, wholeNumber } from "../common/settings.ts";
import { sha256Hex } from "../common/sha256.ts";
import type { IdempotencyKeys, StoredResponse, Verdict } from "./object.ts";

export interface IdempotencyEnv {
  /** Idempotency keys. Unbound, an `Idempotency-Key` is dropped and promises nothing. */
  IDEMPOTENCY?: DurableObjectNamespace<IdempotencyKeys>;
  /** How long an idempotency key's response (or doubt) is kept, in seconds. Default 86 400 (24 h). */
  IDEMPOTENCY_TTL_SECONDS?: string;
}

/** The methods a key applies to: the ones that are not idempotent by HTTP's own definition. */
export const KEYED_METHODS: ReadonlySet<string> = new Set(["POST", "PATCH"]);

/** 1 to 255 visible ASCII characters, as Stripe and the IETF draft accept. */
const KEY_SYNTAX = /^[\x21-\x7e]{1,255}$/;

/** The caller-facing headers a stored response keeps: enough to replay it, nothing K2 sent besides. */
const STORED_HEADERS = ["content-type", "content-language", "location"];

/** Statuses that cannot carry a body (a Response built with one throws). */
const NULL_BODY = new Set([204, 205, 304]);

const readTtlMs = (env: IdempotencyEnv) =>
  wholeNumber(env.IDEMPOTENCY_TTL_SECONDS?.trim(), "IDEMPOTENCY_TTL_SECONDS", 24 * 60 * 60) * 1000;

/**
 * The first request's hold on a key. It renews its lease while it lives, must move the key to
 * `sending` before anything leaves for K2, and must report what K2 did.
 */
export interface KeyHold {
  /**
   * Moves the key to `sending`, immediately before the request leaves: `false` when this request no
   * longer holds the key (its lease was lost), and then nothing may be sent.
   */
  sending(): Promise<boolean>;
  /** Reports the outcome and returns the response for the first caller, read whole so it can be kept. */
  finish(response: Response, outcome: SendOutcome): Promise<Response>;
  /** Stops renewing without a report (an unexpected failure): the key's state then decides, at its lease's end. */
  abandon(): void;
}

export interface KeyedRequest {
  request: Request;
  env: IdempotencyEnv;
  caller: Caller;
  /** The upstream path and query, as sent. */
  target: string;
  body: ArrayBuffer | undefined;
  /**
   * How long a hold lasts without a renewal: past it, a claim is released and a send turns into
   * doubt. The request renews it three times a lease while it lives.
   */
  leaseMs: number;
  /** How long a duplicate waits on the request in flight before it is told "in progress". */
  waitMs: number;
  log: RequestLog;
}

/**
 * Nothing (no key, a method the key does not apply to, or no `IDEMPOTENCY` binding: the request
 * goes on as without a key), a response to give now (a malformed key, a replay, a refusal), or a
 * hold on the key: the request may go to K2 once, and its outcome must be reported.
 */
export async function holdIdempotencyKey(keyed: KeyedRequest): Promise<KeyHold | Response | undefined> {
  const { request, env, log } = keyed;
  const key = request.headers.get("idempotency-key");
  if (key === null || !KEYED_METHODS.has(request.method)) return undefined;
  const namespace = env.IDEMPOTENCY;
  if (!namespace) return undefined;
  if (!KEY_SYNTAX.test(key))
    return refusal(400, "invalid_idempotency_key", "Idempotency-Key must be 1 to 255 visible ASCII characters");
  const ttlMs = settingsOf(env, readTtlMs);

  const stub = namespace.get(namespace.idFromName(await keyScopeName(keyed.caller.scope, key)));
  const fingerprint = await sha256Hex(concat(`${request.method}\n${keyed.target}\n`, keyed.body));
  let verdict: Verdict;
  try {
    verdict = await stub.begin(fingerprint, keyed.leaseMs, ttlMs, keyed.waitMs);
  } catch {
    // The caller asked for at most once; without the store that cannot be promised, so nothing is sent.
    return refusal(
      503,
      "idempotency_unavailable",
      "The idempotency store could not be reached; nothing was sent to K2",
    );
  }
  log.idempotency = verdict.kind;
  switch (verdict.kind) {
    case "send":
      return firstRequest(stub, verdict.holder, ttlMs, keyed.leaseMs, log);
    case "replay":
      return replay(verdict.response, { "idempotent-replayed": "true" });
    case "not_sent":
      return replay(verdict.response);
    case "reused":
      return refusal(
        422,
        "idempotency_key_reused",
        "This Idempotency-Key was used for a different request (method, path or body); nothing was sent to K2",
      );
    case "in_doubt":
      return outcomeUnknown();
    case "in_progress":
      return inProgress(verdict.state);
  }
}

/** 409 for a key whose first request is still under way: nothing more was sent. */
const inProgress = (state: "claimed" | "sending") =>
  refusal(
    409,
    "in_progress",
    state === "claimed"
      ? "The first request with this Idempotency-Key is in progress and has not been sent to K2 yet; nothing more " +
          "was sent. Retry with the same key"
      : "The first request with this Idempotency-Key is in progress and was sent to K2; nothing more was sent. " +
          "Retry with the same key for its answer",
    { state },
  );

/** 503 for a request that lost its hold on the key before sending (its lease ran out): nothing was sent. */
export const holdLost = () =>
  refusal(
    503,
    "idempotency_unavailable",
    "This request lost its hold on the Idempotency-Key before it was sent; nothing was sent to K2. Retry with the same key",
  );

/** 409 for a key whose first request may have reached K2 without a complete response coming back. */
export const outcomeUnknown = () =>
  refusal(
    409,
    "outcome_unknown",
    "The first request with this Idempotency-Key was sent to K2 but no complete answer came back, so it is not " +
      "sent again. Settle it from K2's callback, or by reading the resource's status, before using a new key",
  );

function firstRequest(
  stub: DurableObjectStub<IdempotencyKeys>,
  holder: string,
  ttlMs: number,
  leaseMs: number,
  log: RequestLog,
): KeyHold {
  // A live request keeps its hold however long its token path takes; a failed renewal is only late.
  const renewal = setInterval(() => void stub.renew(holder, leaseMs).catch(() => {}), leaseMs / 3);
  return {
    async sending() {
      try {
        return await stub.sending(holder, leaseMs);
      } catch {
        // Not recorded as sending, so it must not be sent: a send the store never saw could be sent twice.
        return false;
      }
    },
    abandon: () => clearInterval(renewal),
    async finish(response, outcome) {
      clearInterval(renewal);
      let body: ArrayBuffer;
      try {
        body = await response.arrayBuffer();
      } catch {
        // K2's response broke off while streaming: it answered, but with what is not known.
        outcome = "unknown";
        response = upstreamTruncated();
        body = await response.arrayBuffer();
      }
      const stored = storedResponse(response, body);
      const kind = outcome === "answered" ? outcomeOfStatus(response.status) : outcome;
      try {
        await stub.report(holder, kind === "unknown" ? { outcome: kind } : { outcome: kind, response: stored }, ttlMs);
      } catch {
        // The hold stays in flight; its alarm turns it into doubt, so nothing is sent twice.
        log.idempotency = "settle_failed";
      }
      return withErrorCode(new Response(stored.body, response), errorCodeOf(response));
    },
  };
}

/**
 * What K2's status says it did. 401, 408 and 429 mean K2 refused before acting, so the key is
 * released for a retry; a 5xx may come after K2 acted (or from a gateway in front of it), so the key
 * is held in doubt rather than replaying an error forever or sending again.
 */
function outcomeOfStatus(status: number): SendOutcome {
  if (status === 401 || status === 408 || status === 429) return "not_sent";
  return status >= 500 ? "unknown" : "answered";
}

function storedResponse(response: Response, body: ArrayBuffer): StoredResponse {
  const headers: Record<string, string> = {};
  for (const name of STORED_HEADERS) {
    const value = response.headers.get(name);
    if (value !== null) headers[name] = value;
  }
  return { status: response.status, headers, body: NULL_BODY.has(response.status) ? null : body };
}

function replay(stored: StoredResponse, extra: Record<string, string> = {}): Response {
  const response = new Response(stored.body, { status: stored.status, headers: stored.headers });
  for (const [name, value] of Object.entries(extra)) response.headers.set(name, value);
  return response;
}

/**
 * The object's name: one per caller and key. The caller is known by its stable name (its key id,
 * the same across a rotation, or else the digest of its key), so two callers' keys never collide
 * and neither the proxy key nor its digest can be read back from the name.
 */
export function keyScopeName(callerScope: string, key: string): Promise<string> {
  return sha256Hex(`idempotency\n${callerScope}\n${key}`);
}

function concat(head: string, body: ArrayBuffer | undefined): Uint8Array {
  const prefix = new TextEncoder().encode(head);
  const bytes = new Uint8Array(prefix.byteLength + (body?.byteLength ?? 0));
  bytes.set(prefix);
  if (body) bytes.set(new Uint8Array(body), prefix.byteLength);
  return bytes;
}
