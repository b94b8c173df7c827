/**
 * Idempotency keys: K2 has none of its own, so the proxy makes a POST or PATCH carrying
 * `Idempotency-Key` reach K2 at most once per caller and key. One Durable Object holds one key;
 * the proxy reaches it through client.ts.
 *
 * Why a Durable Object and not KV: KV is eventually consistent, so two isolates (or two locations)
 * could both read "no such key" and both send the payment. A Durable Object is one single-threaded
 * instance worldwide for its name, with storage every isolate sees: each request for the key is
 * decided here, in order, from the key's recorded state.
 *
 * The states, and the moves between them (docs/proxy-worker.md has the table a caller reads):
 *
 *   (none) --begin--> claimed --sending--> sending --report answered--> answered
 *                        |                    |--report unknown, or lease lost--> unknown
 *                        |                    `--report not sent--> (none)
 *                        `--report not sent, or lease lost--> (none)
 *
 * At most once is kept by one rule: a request may send only after it has moved its own claim to
 * `sending` here, and only `sending` can become `unknown`. A claim that never reached `sending`
 * sent nothing, so releasing it is always safe, whenever it happens. The lease is liveness, not
 * safety: a live request renews it for as long as its token path takes, and one whose request died
 * (a deploy, an exceeded CPU limit) loses it at the alarm, which releases a claim and turns a send
 * into doubt. A late report from the holder still settles a doubt.
 *
 * Stored: the request's fingerprint (SHA-256 of method, path and body), a random holder id, and the
 * caller-facing response (status, Content-Type, the rewritten Location, the body). Never a token, a
 * proxy key, the K2 secret or the Authorization header. The object's name is a digest of the
 * caller's stable name and the idempotency key, so neither appears in it.
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
  | { kind: "in_progress"; state: "claimed" | "sending" }
  | { kind: "in_doubt" }
  | { kind: "reused" };

/** The key's state, as stored. */
export type Held =
  | { state: "claimed" | "sending"; holder: string; fingerprint: string; ttlMs: number; leaseUntil: number }
  | { state: "unknown"; holder: string; fingerprint: string }
  | { state: "answered"; holder: string; fingerprint: string; response: StoredResponse };

const RECORD = "held";

/** One idempotency key of one caller. */
export class IdempotencyKeys extends DurableObject<object> {
  #held: Held | undefined;
  /**
   * Duplicates waiting on the request in flight, told its outcome, or `retry` when the key was
   * released with no response to share (they then ask again, and one of them takes the key).
   * Lost with the instance: a duplicate's own wait then ends as "in progress".
   */
  #waiters = new Set<(verdict: Verdict | "retry") => void>();

  constructor(ctx: DurableObjectState, env: object) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      this.#held = await ctx.storage.get<Held>(RECORD);
    });
  }

  /**
   * Gives the key to a request with this fingerprint (`claimed`, leased for `leaseMs`), or says what
   * became of the first one. A duplicate of a request in flight waits up to `waitMs` for its
   * outcome, then is told it is still in progress.
   */
  async begin(fingerprint: string, leaseMs: number, ttlMs: number, waitMs: number): Promise<Verdict> {
    const held = this.#held;
    if (!held) {
      const holder = crypto.randomUUID();
      // The claim is in memory before the first await, so a duplicate arriving meanwhile sees it.
      await this.#keep({ state: "claimed", holder, fingerprint, ttlMs, leaseUntil: Date.now() + leaseMs });
      return { kind: "send", holder };
    }
    if (held.fingerprint !== fingerprint) return { kind: "reused" };
    if (held.state === "answered") return { kind: "replay", response: held.response };
    if (held.state === "unknown") return { kind: "in_doubt" };
    const started = Date.now();
    const verdict = await this.#await(held.state, waitMs);
    if (verdict !== "retry") return verdict;
    return this.begin(fingerprint, leaseMs, ttlMs, Math.max(0, waitMs - (Date.now() - started)));
  }

  /**
   * The holder is about to send: its claim becomes `sending`. False when the claim is no longer
   * this holder's (released after its lease was lost): then nothing may be sent.
   */
  async sending(holder: string, leaseMs: number): Promise<boolean> {
    const held = this.#held;
    if (held?.state !== "claimed" || held.holder !== holder) return false;
    await this.#keep({ ...held, state: "sending", leaseUntil: Date.now() + leaseMs });
    return true;
  }

  /** The holder is alive: its claim or send keeps the key for another `leaseMs`. */
  async renew(holder: string, leaseMs: number): Promise<boolean> {
    const held = this.#held;
    if ((held?.state !== "claimed" && held?.state !== "sending") || held.holder !== holder) return false;
    await this.#keep({ ...held, leaseUntil: Date.now() + leaseMs });
    return true;
  }

  /** The holder's report. A report from a request that no longer holds the key is ignored. */
  async report(holder: string, report: Report, ttlMs: number): Promise<void> {
    const held = this.#held;
    // A late report may still settle a doubt the alarm declared; a kept response stays as it is.
    if (!held || held.holder !== holder || held.state === "answered") return;
    // Only a send can have an unknown outcome: a claim that never reached `sending` sent nothing.
    if (report.outcome === "not_sent" || (report.outcome === "unknown" && held.state === "claimed")) {
      await this.#release();
      return this.#wake(report.outcome === "not_sent" ? { kind: "not_sent", response: report.response } : "retry");
    }
    if (report.outcome === "unknown") {
      await this.#keep({ state: "unknown", holder, fingerprint: held.fingerprint }, ttlMs);
      return this.#wake({ kind: "in_doubt" });
    }
    const answered: Held = { state: "answered", holder, fingerprint: held.fingerprint, response: report.response };
    await this.#keep(answered, ttlMs);
    this.#wake({ kind: "replay", response: report.response });
  }

  /**
   * A lease or a TTL has passed (alarms fire at their time or later, never earlier). A claim whose
   * holder went silent sent nothing: released. A send whose holder went silent may have reached K2:
   * doubt. A kept response or doubt past its TTL: deleted.
   */
  override async alarm(): Promise<void> {
    const held = this.#held;
    if ((held?.state === "claimed" || held?.state === "sending") && held.leaseUntil > Date.now()) {
      // Renewed since this alarm was set.
      return this.ctx.storage.setAlarm(held.leaseUntil);
    }
    if (held?.state === "sending") {
      await this.#keep({ state: "unknown", holder: held.holder, fingerprint: held.fingerprint }, held.ttlMs);
      return this.#wake({ kind: "in_doubt" });
    }
    await this.#release();
    this.#wake("retry");
  }

  /** Waits for the request in flight to settle, up to `waitMs`. */
  #await(state: "claimed" | "sending", waitMs: number): Promise<Verdict | "retry"> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(done);
        resolve({ kind: "in_progress", state: this.#inFlightState() ?? state });
      }, waitMs);
      const done = (verdict: Verdict | "retry") => {
        clearTimeout(timer);
        resolve(verdict);
      };
      this.#waiters.add(done);
    });
  }

  #inFlightState(): "claimed" | "sending" | undefined {
    const held = this.#held;
    return held?.state === "claimed" || held?.state === "sending" ? held.state : undefined;
  }

  /** Stores the state, with the alarm at its lease's end or at `ttlMs` from now. */
  async #keep(held: Held, ttlMs?: number): Promise<void> {
    this.#held = held;
    await this.ctx.storage.put(RECORD, held);
    const at = held.state === "claimed" || held.state === "sending" ? held.leaseUntil : Date.now() + ttlMs!;
    await this.ctx.storage.setAlarm(at);
  }

  async #release(): Promise<void> {
    this.#held = undefined;
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
  }

  /** Tells the waiting duplicates the outcome, or that the key is free again (`retry`). */
  #wake(verdict: Verdict | "retry"): void {
    const waiters = this.#waiters;
    this.#waiters = new Set();
    for (const resolve of waiters) resolve(verdict);
  }
}
