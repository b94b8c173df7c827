/**
 * Idempotency keys: K2 has none of its own, so the proxy makes a POST or PATCH carrying
 * `Idempotency-Key` reach K2 at most once per caller and key. One Durable Object holds one key;
 * the proxy reaches it through client.ts.
 *
 * Why a Durable Object and not KV: KV is eventually consistent, so two isolates (or two locations)
 * could both read "no such key" and both send the payment. A Durable Object is one single-threaded
 * instance worldwide for its name: the first request takes the key before anything is sent, and
 * every other request for that key is decided by the same instance, in order.
 *
 * The protocol, between the proxy and the object:
 * - `begin(fingerprint, holdMs)`: with no record, writes an in-flight marker (to storage, so that it
 *   outlives an eviction) naming its holder, and answers "send". A duplicate waits on the first (in
 *   memory) and gets its response; a later one gets the stored response; a different request under
 *   the same key is refused.
 * - `report(holder, report, ttlMs)`: the holder says what K2 did. A response is kept for the TTL;
 *   "unknown" (sent, then no complete response) holds the key in doubt for the TTL, so nothing is
 *   sent again; "not sent" releases the key for a retry.
 * - The alarm: an in-flight marker whose holder never reported (the isolate died) turns into doubt
 *   when its hold passes; a kept response or a doubt is deleted when its TTL passes.
 *
 * Stored: the request's fingerprint (SHA-256 of method, path and body), a random holder id, and the
 * caller-facing response (status, Content-Type, the rewritten Location, the body). Never a token, a
 * proxy key, the K2 secret or the Authorization header. The object's name is a digest of the caller's
 * proxy key digest and the idempotency key, so neither appears in it.
 */
import { DurableObject } from "cloudflare:workers";
import type { SendOutcome } from "../common/send-outcome.ts";

/** A response as kept and replayed. */
export interface StoredResponse {
  status: number;
  headers: Record<string, string>;
  body: ArrayBuffer | null;
}

/** What the holder reports: K2's response, no complete response after sending, or nothing sent. */
export type Report = { outcome: "unknown" } | { outcome: Exclude<SendOutcome, "unknown">; response: StoredResponse };

/** What `begin` decides for a request. */
export type Verdict =
  | { kind: "send"; holder: string }
  | { kind: "replay"; response: StoredResponse }
  | { kind: "not_sent"; response: StoredResponse }
  | { kind: "in_doubt" }
  | { kind: "reused" };

type Held =
  | { state: "in_flight"; holder: string; fingerprint: string; ttlMs: number }
  | { state: "in_doubt"; holder: string; fingerprint: string }
  | { state: "answered"; holder: string; fingerprint: string; response: StoredResponse };

const RECORD = "held";

/** One idempotency key of one caller. */
export class IdempotencyKeys extends DurableObject<object> {
  #held: Held | undefined;
  /** Duplicates waiting on the request in flight; lost with the instance, which the alarm covers. */
  #waiters: ((verdict: Verdict) => void)[] = [];

  constructor(ctx: DurableObjectState, env: object) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      this.#held = await ctx.storage.get<Held>(RECORD);
    });
  }

  /** Gives the key to a request with this fingerprint, or says what became of the first one. */
  async begin(fingerprint: string, holdMs: number, ttlMs: number): Promise<Verdict> {
    const held = this.#held;
    if (!held) {
      const holder = crypto.randomUUID();
      // The marker is in memory before the first await, so a duplicate arriving meanwhile sees it.
      await this.#keep({ state: "in_flight", holder, fingerprint, ttlMs }, holdMs);
      return { kind: "send", holder };
    }
    if (held.fingerprint !== fingerprint) return { kind: "reused" };
    if (held.state === "in_flight") return new Promise((resolve) => this.#waiters.push(resolve));
    return held.state === "answered" ? { kind: "replay", response: held.response } : { kind: "in_doubt" };
  }

  /** The holder's report. A report from a request that no longer holds the key is ignored. */
  async report(holder: string, report: Report, ttlMs: number): Promise<void> {
    const held = this.#held;
    // A late report may still settle a doubt the alarm declared; a kept response stays as it is.
    if (!held || held.holder !== holder || held.state === "answered") return;
    if (report.outcome === "not_sent") {
      this.#held = undefined;
      await this.ctx.storage.deleteAlarm();
      await this.ctx.storage.deleteAll();
      return this.#wake({ kind: "not_sent", response: report.response });
    }
    if (report.outcome === "unknown") {
      await this.#keep({ state: "in_doubt", holder, fingerprint: held.fingerprint }, ttlMs);
      return this.#wake({ kind: "in_doubt" });
    }
    await this.#keep({ state: "answered", holder, fingerprint: held.fingerprint, response: report.response }, ttlMs);
    this.#wake({ kind: "replay", response: report.response });
  }

  /**
   * A hold or a TTL has passed (alarms fire at their time or later, never earlier, so the state
   * alone says what to do). A request that never reported may have reached K2: it becomes a doubt.
   */
  override async alarm(): Promise<void> {
    const held = this.#held;
    if (held?.state === "in_flight") {
      await this.#keep({ state: "in_doubt", holder: held.holder, fingerprint: held.fingerprint }, held.ttlMs);
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
