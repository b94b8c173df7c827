/**
 * Requests, errors and token-broker fallbacks per minute, for the dashboard's last hour: one Durable Object per K2
 * application, fed by every isolate's counts (client.ts), a few times a minute at most per isolate.
 * A measure, not a promise: counts an isolate held when it died are lost, and that is all.
 *
 * Stored: per minute, how many requests were answered, how many with a 5xx, and how often an
 * isolate passed the token broker over. Nothing else.
 */
import { DurableObject } from "cloudflare:workers";

/** One minute's counts, as an isolate hands them over. */
export interface MinuteCounts {
  /** Epoch minute (`Math.floor(ms / 60_000)`). */
  minute: number;
  requests: number;
  errors: number;
  /** Times an isolate asked K2 for a token itself because the token broker failed. */
  fallbacks: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS minutes (
  minute INTEGER PRIMARY KEY,
  requests INTEGER NOT NULL,
  errors INTEGER NOT NULL,
  fallbacks INTEGER NOT NULL
);
`;

/** Minutes kept: the last hour, and one more for a clock that ran ahead in some isolate. */
const KEPT_MINUTES = 61;

export class RequestCounts extends DurableObject<object> {
  constructor(ctx: DurableObjectState, env: object) {
    super(ctx, env);
    ctx.storage.sql.exec(SCHEMA);
  }

  add(counts: MinuteCounts[]): void {
    const sql = this.ctx.storage.sql;
    for (const { minute, requests, errors, fallbacks } of counts)
      sql.exec(
        `INSERT INTO minutes (minute, requests, errors, fallbacks) VALUES (?, ?, ?, ?)
         ON CONFLICT (minute) DO UPDATE SET requests = requests + excluded.requests,
           errors = errors + excluded.errors, fallbacks = fallbacks + excluded.fallbacks`,
        minute,
        requests,
        errors,
        fallbacks,
      );
    sql.exec("DELETE FROM minutes WHERE minute < ?", Math.floor(Date.now() / 60_000) - KEPT_MINUTES);
  }

  /** Requests, 5xx answers and broker fallbacks in the last 60 minutes. */
  lastHour(): { requests: number; errors: number; fallbacks: number } {
    const since = Math.floor(Date.now() / 60_000) - 60;
    const row = this.ctx.storage.sql
      .exec<{ requests: number | null; errors: number | null; fallbacks: number | null }>(
        `SELECT SUM(requests) AS requests, SUM(errors) AS errors, SUM(fallbacks) AS fallbacks
         FROM minutes WHERE minute >= ?`,
        since,
      )
      .one();
    return { requests: row.requests ?? 0, errors: row.errors ?? 0, fallbacks: row.fallbacks ?? 0 };
  }
}
