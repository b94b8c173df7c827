/**
 * Idempotency keys: K2 has none of its own, so the proxy makes a POST or PATCH carrying
 * `Idempotency-Key` reach K2 at most once per caller and key. One Durable Object holds one key.
 *
 * Why a Durable Object and not KV: KV is eventually consistent, so two isolates (or two locations)
 * could both read "no such key" and both send the payment. A Durable Object is one single-threaded
 * instance worldwide for its name: the first request claims the key before anything is sent, and
 * every other request for that key is decided by the same instance, in order.
 *
 * The protocol, between the proxy and the object:
 * - `begin(fingerprint, holdMs)`: with no record, writes an in-flight marker (to storage, so that it
 *   outlives an eviction) and answers "send". A duplicate waits on the first (in memory) and gets its
 *   answer; a later one gets the stored answer; a different request under the same key is refused.
 * - `settle(claim, outcome, ttlMs)`: the first request reports what K2 did. An answer is kept for the
 *   TTL; "unknown" (sent, then no complete answer) holds the key in doubt for the TTL, so nothing is
 *   sent again; "not sent" releases the key for a retry.
 * - The alarm: an in-flight marker whose request never reported (the isolate died) turns into doubt
 *   when its hold passes; a kept answer or a doubt is deleted when its TTL passes.
 *
 * Stored: the request's fingerprint (SHA-256 of method, path and body), a random claim id, and the
 * caller-facing answer (status, Content-Type, the rewritten Location, the body). Never a token, a
 * proxy key, the K2 secret or the Authorization header. The object's name is a digest of the caller's
 * proxy key digest and the idempotency key, so neither appears in it.
 */
import { DurableObject } from "cloudflare:workers";
import { configurationError, refusal, upstreamTruncated } from "./answers.ts";
import type { Env } from "./config.ts";
import type { RequestLog } from "./log.ts";

/** The methods a key applies to: the ones that are not idempotent by HTTP's own definition. */
export const KEYED_METHODS: ReadonlySet<string> = new Set(["POST", "PATCH"]);

/** 1 to 255 visible ASCII characters, as Stripe and the IETF draft accept. */
const KEY_SYNTAX = /^[\x21-\x7e]{1,255}$/;

const DEFAULT_TTL_SECONDS = 24 * 60 * 60;

/** The caller-facing headers a stored answer keeps: enough to replay it, nothing K2 sent besides. */
const STORED_HEADERS = ["content-type", "content-language", "location"];

/** Statuses that cannot carry a body (a Response built with one throws). */
const NULL_BODY = new Set([204, 205, 304]);

/** An answer as kept and replayed. */
export interface StoredAnswer {
  status: number;
  headers: Record<string, string>;
  body: ArrayBuffer | null;
}

/** What the first request reports: K2's answer, no complete answer after sending, or nothing sent. */
export type Outcome =
  { kind: "answered"; answer: StoredAnswer } | { kind: "unknown" } | { kind: "not_sent"; answer: StoredAnswer };

/** What `begin` decides for a request. */
export type Verdict =
  | { kind: "send"; claim: string }
  | { kind: "replay"; answer: StoredAnswer }
  | { kind: "not_sent"; answer: StoredAnswer }
  | { kind: "in_doubt" }
  | { kind: "reused" };

type Held =
  | { state: "in_flight"; claim: string; fingerprint: string; ttlMs: number }
  | { state: "in_doubt"; claim: string; fingerprint: string }
  | { state: "answered"; claim: string; fingerprint: string; answer: StoredAnswer };

const RECORD = "held";

/** One idempotency key of one caller. */
export class IdempotencyKeys extends DurableObject<Env> {
  #held: Held | undefined;
  /** Duplicates waiting on the request in flight; lost with the instance, which the alarm covers. */
  #waiters: ((verdict: Verdict) => void)[] = [];

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      this.#held = await ctx.storage.get<Held>(RECORD);
    });
  }

  /** Claims the key for a request with this fingerprint, or says what became of the first one. */
  async begin(fingerprint: string, holdMs: number, ttlMs: number): Promise<Verdict> {
    const held = this.#held;
    if (!held) {
      const claim = crypto.randomUUID();
      // The marker is in memory before the first await, so a duplicate arriving meanwhile sees it.
      await this.#keep({ state: "in_flight", claim, fingerprint, ttlMs }, holdMs);
      return { kind: "send", claim };
    }
    if (held.fingerprint !== fingerprint) return { kind: "reused" };
    if (held.state === "in_flight") return new Promise((resolve) => this.#waiters.push(resolve));
    return held.state === "answered" ? { kind: "replay", answer: held.answer } : { kind: "in_doubt" };
  }

  /** The first request's report. A report from a claim that is no longer the key's is ignored. */
  async settle(claim: string, outcome: Outcome, ttlMs: number): Promise<void> {
    const held = this.#held;
    // A late report may still settle a doubt the alarm declared; a kept answer stays as it is.
    if (!held || held.claim !== claim || held.state === "answered") return;
    if (outcome.kind === "not_sent") {
      this.#held = undefined;
      await this.ctx.storage.deleteAlarm();
      await this.ctx.storage.deleteAll();
      return this.#wake({ kind: "not_sent", answer: outcome.answer });
    }
    if (outcome.kind === "unknown") {
      await this.#keep({ state: "in_doubt", claim, fingerprint: held.fingerprint }, ttlMs);
      return this.#wake({ kind: "in_doubt" });
    }
    await this.#keep({ state: "answered", claim, fingerprint: held.fingerprint, answer: outcome.answer }, ttlMs);
    this.#wake({ kind: "replay", answer: outcome.answer });
  }

  /**
   * A hold or a TTL has passed (alarms fire at their time or later, never earlier, so the state
   * alone says what to do). A request that never reported may have reached K2: it becomes a doubt.
   */
  override async alarm(): Promise<void> {
    const held = this.#held;
    if (held?.state === "in_flight") {
      await this.#keep({ state: "in_doubt", claim: held.claim, fingerprint: held.fingerprint }, held.ttlMs);
      return this.#wake({ kind: "in_doubt" });
    }
    this.#held = undefined;
    await this.ctx.storage.deleteAll();
  }

  async #keep(held: Held, forMs: number): Promise<void> {
    this.#held = held;
    await this.ctx.storage.put(RECORD, held);
    await this.ctx.storage.setAlarm(Date.now() + forMs);
  }

  #wake(verdict: Verdict): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const resolve of waiters) resolve(verdict);
  }
}

/** The first request's hold on a key: it must report what K2 did. */
export interface Claim {
  /** Reports the outcome and returns the answer for the first caller, read whole so it can be kept. */
  settle(response: Response, outcome: "answered" | "unknown" | "not_sent"): Promise<Response>;
}

export interface ClaimRequest {
  request: Request;
  env: Env;
  /** The upstream path and query, as forwarded. */
  target: string;
  body: ArrayBuffer | undefined;
  /** How long the request may take before an unreported claim counts as in doubt. */
  holdMs: number;
  entry: RequestLog;
}

/**
 * Nothing (no key, a method the key does not apply to, or no `IDEMPOTENCY` binding: the request
 * goes on as without a key), an answer to give now (a malformed key, a replay, a refusal), or a
 * claim on the key: the request may go to K2 once, and its outcome must be reported.
 */
export async function claimIdempotencyKey(claim: ClaimRequest): Promise<Claim | Response | undefined> {
  const { request, env, entry } = claim;
  const key = request.headers.get("idempotency-key");
  if (key === null || !KEYED_METHODS.has(request.method)) return undefined;
  const { namespace, ttlMs } = settingsOf(env);
  if (!namespace) return undefined;
  if (!KEY_SYNTAX.test(key)) {
    entry.error = "invalid_idempotency_key";
    return refusal(400, "invalid_idempotency_key", "Idempotency-Key must be 1 to 255 visible ASCII characters");
  }
  if (Number.isNaN(ttlMs)) {
    entry.error = "configuration_error";
    return configurationError("IDEMPOTENCY_TTL_SECONDS", "IDEMPOTENCY_TTL_SECONDS must be a positive whole number");
  }

  const stub = namespace.get(namespace.idFromName(await keyScopeName(request.headers.get("authorization"), key)));
  const fingerprint = await hex(concat(`${request.method}\n${claim.target}\n`, claim.body));
  let verdict: Verdict;
  try {
    verdict = await stub.begin(fingerprint, claim.holdMs, ttlMs);
  } catch {
    // The caller asked for at most once; without the store that cannot be promised, so nothing is sent.
    entry.error = "idempotency_unavailable";
    return refusal(
      503,
      "idempotency_unavailable",
      "The idempotency store could not be reached; nothing was sent to K2",
    );
  }
  entry.idempotency = verdict.kind;
  switch (verdict.kind) {
    case "send":
      return firstRequest(stub, verdict.claim, ttlMs, entry);
    case "replay":
      return replay(verdict.answer, { "idempotent-replayed": "true" });
    case "not_sent":
      return replay(verdict.answer);
    case "reused":
      entry.error = "idempotency_key_reused";
      return refusal(
        422,
        "idempotency_key_reused",
        "This Idempotency-Key was used for a different request (method, path or body); nothing was sent to K2",
      );
    case "in_doubt":
      entry.error = "outcome_unknown";
      return outcomeUnknown();
  }
}

/** 409 for a key whose first request may have reached K2 without an answer coming back. */
export const outcomeUnknown = () =>
  refusal(
    409,
    "outcome_unknown",
    "The first request with this Idempotency-Key was sent to K2 but no complete answer came back, so it is not " +
      "sent again. Settle it from K2's callback, or by reading the resource's status, before using a new key",
  );

function firstRequest(stub: DurableObjectStub<IdempotencyKeys>, claim: string, ttlMs: number, entry: RequestLog) {
  return {
    async settle(response: Response, outcome: "answered" | "unknown" | "not_sent"): Promise<Response> {
      let body: ArrayBuffer;
      try {
        body = await response.arrayBuffer();
      } catch {
        // K2's answer broke off while streaming: it answered, but with what is not known.
        outcome = "unknown";
        response = upstreamTruncated();
        body = await response.arrayBuffer();
      }
      const answer = storedAnswer(response, body);
      const kind = outcome === "answered" ? outcomeOfStatus(response.status) : outcome;
      try {
        await stub.settle(claim, kind === "unknown" ? { kind } : { kind, answer }, ttlMs);
      } catch {
        // The claim stays in flight; its alarm turns it into doubt, so nothing is sent twice.
        entry.idempotency = "settle_failed";
      }
      return new Response(answer.body, response);
    },
  } satisfies Claim;
}

/**
 * What K2's status says it did. 401, 408 and 429 mean K2 refused before acting, so the key is
 * released for a retry; a 5xx may come after K2 acted (or from a gateway in front of it), so the key
 * is held in doubt rather than replaying an error forever or sending again.
 */
function outcomeOfStatus(status: number): "answered" | "unknown" | "not_sent" {
  if (status === 401 || status === 408 || status === 429) return "not_sent";
  return status >= 500 ? "unknown" : "answered";
}

function storedAnswer(response: Response, body: ArrayBuffer): StoredAnswer {
  const headers: Record<string, string> = {};
  for (const name of STORED_HEADERS) {
    const value = response.headers.get(name);
    if (value !== null) headers[name] = value;
  }
  return { status: response.status, headers, body: NULL_BODY.has(response.status) ? null : body };
}

function replay(answer: StoredAnswer, extra: Record<string, string> = {}): Response {
  const response = new Response(answer.body, { status: answer.status, headers: answer.headers });
  for (const [name, value] of Object.entries(extra)) response.headers.set(name, value);
  return response;
}

// The runtime hands an isolate's requests the same env object: its settings are read once per isolate.
const settings = new WeakMap<Env, { namespace: Env["IDEMPOTENCY"]; ttlMs: number }>();

/** The binding and the TTL (NaN when malformed). */
function settingsOf(env: Env): { namespace: Env["IDEMPOTENCY"]; ttlMs: number } {
  let known = settings.get(env);
  if (!known) {
    const raw = env.IDEMPOTENCY_TTL_SECONDS?.trim();
    const seconds = !raw ? DEFAULT_TTL_SECONDS : /^\d+$/.test(raw) && Number(raw) > 0 ? Number(raw) : Number.NaN;
    known = { namespace: env.IDEMPOTENCY, ttlMs: seconds * 1000 };
    settings.set(env, known);
  }
  return known;
}

/**
 * The object's name: one per caller and key. The caller is known by the SHA-256 of the proxy key it
 * presented (already checked by caller-auth.ts), so two callers' keys never collide and neither the
 * proxy key nor its digest can be read back from the name.
 */
export async function keyScopeName(authorization: string | null, key: string): Promise<string> {
  const presented = /^Bearer ([\x21-\x7e]+)$/i.exec(authorization ?? "")?.[1] ?? "";
  const caller = await hex(new TextEncoder().encode(presented));
  return hex(new TextEncoder().encode(`idempotency\n${caller}\n${key}`));
}

function concat(head: string, body: ArrayBuffer | undefined): Uint8Array {
  const prefix = new TextEncoder().encode(head);
  const bytes = new Uint8Array(prefix.byteLength + (body?.byteLength ?? 0));
  bytes.set(prefix);
  if (body) bytes.set(new Uint8Array(body), prefix.byteLength);
  return bytes;
}

async function hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, "0")).join("");
}
