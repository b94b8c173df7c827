/**
 * The rate limits of one scoped key: `rate_per_minute` (requests) and `phone_rate_per_hour` (STK
 * prompts to one phone). One Durable Object per key id; the proxy reaches it through client.ts,
 * once per request.
 *
 * Why a Durable Object and not the Workers Rate Limiting binding or KV: the binding counts per
 * location and approximately, and KV is eventually consistent, so either would let a key spread
 * over isolates and locations go past its limit. One instance per key decides every request of the
 * key in order, from its stored state, whichever isolate asks.
 *
 * The windows are sliding logs: each admitted request is a row with its time, and a request is
 * admitted only if fewer than the limit were admitted in the window before it. So no window of
 * 60 s (3 600 s for a phone) ever holds more than the limit, unlike fixed windows, which allow
 * twice the limit across a window's edge. Refused requests are not recorded: a caller retrying
 * against the limit is admitted again as soon as the window frees. Rows are at most the limits
 * themselves (a key's rate, plus its phone rate per phone prompted in the hour).
 *
 * Guarantees come from the rows and their times, not from timers: rows past their window are
 * ignored by every count and deleted on access; the alarm only deletes the rows of windows nobody
 * asks about again (a phone prompted once), so that storage does not grow.
 *
 * Stored: the rule, a subject (empty for the key's own rate; for a phone, an HMAC the client made
 * with the key's digest, which is never stored here) and a time. Never a phone number, a key or
 * its digest.
 */
import { DurableObject } from "cloudflare:workers";

/** The limits one request is checked against, from the caller's policy. */
export interface Limits {
  /** `rate_per_minute` of the key, when it has one. */
  perMinute?: number;
  /** `phone_rate_per_hour`, with the keyed digest of the phone this STK push prompts. */
  phone?: { digest: string; perHour: number };
}

export type LimitRule = "rate_per_minute" | "phone_rate_per_hour";

/** Admitted (and counted in every window it falls in), or refused until the window frees. */
export type Admission = { admitted: true } | { admitted: false; rule: LimitRule; retryAfterMs: number };

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;

const WINDOW_MS: Record<LimitRule, number> = { rate_per_minute: MINUTE_MS, phone_rate_per_hour: HOUR_MS };

const SCHEMA = `
CREATE TABLE IF NOT EXISTS hits (
  rule TEXT NOT NULL,
  subject TEXT NOT NULL,
  at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS hits_by_subject ON hits (rule, subject, at);
`;

export class RateLimits extends DurableObject<object> {
  constructor(ctx: DurableObjectState, env: object) {
    super(ctx, env);
    ctx.storage.sql.exec(SCHEMA);
  }

  /**
   * Admits the request if it is inside every limit given, recording it in each; otherwise records
   * nothing and names the limit that frees last. Synchronous storage and no await before the
   * decision is recorded: two requests of the key can never both take the last place.
   *
   * `now` is for tests, which move the clock instead of waiting; the proxy never passes it.
   */
  async admit(limits: Limits, now: number = Date.now()): Promise<Admission> {
    const checks: { rule: LimitRule; subject: string; limit: number }[] = [];
    if (limits.perMinute !== undefined) checks.push({ rule: "rate_per_minute", subject: "", limit: limits.perMinute });
    if (limits.phone)
      checks.push({ rule: "phone_rate_per_hour", subject: limits.phone.digest, limit: limits.phone.perHour });

    let refused: Admission | undefined;
    for (const check of checks) {
      const waitMs = this.#waitMs(check.rule, check.subject, check.limit, now);
      if (waitMs > 0 && (refused?.admitted !== false || waitMs > refused.retryAfterMs))
        refused = { admitted: false, rule: check.rule, retryAfterMs: waitMs };
    }
    if (refused) return refused;
    for (const check of checks)
      this.ctx.storage.sql.exec(
        "INSERT INTO hits (rule, subject, at) VALUES (?, ?, ?)",
        check.rule,
        check.subject,
        now,
      );
    // An alarm at the end of the longest window recorded, unless one is already set (it reschedules itself).
    if (checks.length > 0 && (await this.ctx.storage.getAlarm()) === null)
      await this.ctx.storage.setAlarm(now + Math.max(...checks.map((check) => WINDOW_MS[check.rule])));
    return { admitted: true };
  }

  /** Deletes the rows past their window, and comes back for the rest when the first of them expires. */
  override async alarm(): Promise<void> {
    const now = Date.now();
    this.#forget(now);
    const next = this.ctx.storage.sql
      .exec<{ expires: number | null }>(
        `SELECT MIN(at + CASE rule WHEN 'rate_per_minute' THEN ${MINUTE_MS} ELSE ${HOUR_MS} END) AS expires FROM hits`,
      )
      .one().expires;
    if (next !== null) await this.ctx.storage.setAlarm(Math.max(next, now + 1));
  }

  /**
   * How long until one more request fits the window of `rule` for `subject` (0: it fits now).
   * Old rows of this subject are deleted first: a row counts while `now < at + window`.
   */
  #waitMs(rule: LimitRule, subject: string, limit: number, now: number): number {
    const windowMs = WINDOW_MS[rule];
    const sql = this.ctx.storage.sql;
    sql.exec("DELETE FROM hits WHERE rule = ? AND subject = ? AND at <= ?", rule, subject, now - windowMs);
    const count = sql
      .exec<{ n: number }>("SELECT COUNT(*) AS n FROM hits WHERE rule = ? AND subject = ?", rule, subject)
      .one().n;
    if (count < limit) return 0;
    // The window frees when all but limit - 1 of its rows have left it: the (count - limit + 1)th oldest.
    const freeing = sql
      .exec<{ at: number }>(
        "SELECT at FROM hits WHERE rule = ? AND subject = ? ORDER BY at LIMIT 1 OFFSET ?",
        rule,
        subject,
        count - limit,
      )
      .one().at;
    return Math.max(1, freeing + windowMs - now);
  }

  #forget(now: number): void {
    for (const [rule, windowMs] of Object.entries(WINDOW_MS))
      this.ctx.storage.sql.exec("DELETE FROM hits WHERE rule = ? AND at <= ?", rule, now - windowMs);
  }
}
