/**
 * The inbox: every callback and webhook K2 posted, kept once, in arrival order. One Durable Object
 * per K2 application holds them in its SQLite storage.
 *
 * Why a Durable Object with SQLite and not D1 or KV: deduplication must be decided in one strongly
 * consistent place (KV could store a duplicate from two locations at once). A Durable Object is a
 * single writer: a unique-key insert decides "new or duplicate" for concurrent deliveries, the
 * autoincrement sequence is the read cursor, and the alarm enforces retention and re-sends what the
 * queue did not take or did not bring back. It needs no migrations step (the tables are created on
 * first use) and no database to provision. The trade-off: one instance per application bounds its
 * throughput (on the order of a thousand small writes a second), far above what K2 posts for one till.
 *
 * Two kinds of guarantee, kept apart on purpose:
 * - safety, by state: an identity is written with its event in one transaction, and a delivery
 *   whose identity is known is a duplicate, so no event is stored twice or answered `duplicate`
 *   without having been kept (within INBOX_IDENTITY_DAYS); `200` only once that write is durable.
 * - liveness, by the alarm: retention, forgetting old identities, and sending again an event whose
 *   queue send failed or whose message never came back. A late or repeated sweep can only cause
 *   another delivery of the same event, which the backend deduplicates on `id`: never a second payment.
 *
 * Stored: K2's body as it came (it carries no secret), what parseWebhook named it, when it arrived,
 * and the forwarding state; and each identity's digest with when it was first seen. Never a header,
 * a signature or a key.
 */
import { DurableObject } from "cloudflare:workers";
import { writeLog } from "../common/log.ts";
import { ConfigError } from "../common/settings.ts";
import { retryHorizonMs, type DeliveryMessage } from "./delivery.ts";
import { forwardingSettings, identityMs, retentionMs, type InboxEnv } from "./settings.ts";

export type DeliveryState = "none" | "pending" | "delivered" | "dead";

/** A new event, as the receiver hands it over. */
export interface NewEvent {
  /** The public id: a digest of the event's identity (identity.ts), so a duplicate has the same one. */
  id: string;
  kind: string;
  topic: string | null;
  type: string | null;
  /** K2's body as text. */
  payload: string;
}

/** An event as stored. */
export interface StoredEvent {
  seq: number;
  id: string;
  kind: string;
  topic: string | null;
  type: string | null;
  received_at: number;
  payload: string;
  delivery: DeliveryState;
  attempts: number;
  last_attempt_at: number | null;
  last_status: number | null;
  [column: string]: string | number | null;
}

/** How soon the alarm tries again a queue send that failed, in milliseconds. */
const REQUEUE_AFTER_MS = 60_000;

/** The soonest the alarm is set for, so that a sweep that could not act yet does not spin. */
const ALARM_FLOOR_MS = 1_000;

/** At most this many events are sent to the queue per alarm; the next alarm comes at once for the rest. */
const SENDS_PER_ALARM = 100;

/**
 * The most payload text one page of `list` carries, in bytes (UTF-8). The page is the answer of a
 * call to this object, and such an answer cannot exceed about 32 MiB: without this, 500 large
 * events fail every time and a reader can never get past them. One event larger than this still
 * comes, alone on its page (an event is at most INBOX_MAX_BODY_BYTES).
 */
export const EVENTS_PAGE_BYTES = 4 * 1024 * 1024;

// `queued_at`: when the event was last handed to the queue, the start of its message's retry horizon.
// `events_pending`: the sweeps read pending events only, a few among a month of delivered ones.
// `identities`: a small tombstone per event, kept much longer than the event, so that a delivery
// after retention (a replay of a captured one: K2's signature has no timestamp) is a duplicate.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  topic TEXT,
  type TEXT,
  received_at INTEGER NOT NULL,
  payload TEXT NOT NULL,
  delivery TEXT NOT NULL,
  queued INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_attempt_at INTEGER,
  last_status INTEGER,
  queued_at INTEGER
);
CREATE INDEX IF NOT EXISTS events_by_age ON events (received_at);
CREATE INDEX IF NOT EXISTS events_pending ON events (seq) WHERE delivery = 'pending';
CREATE TABLE IF NOT EXISTS identities (
  id TEXT PRIMARY KEY,
  seen_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS identities_by_age ON identities (seen_at);
`;

const COLUMNS = "seq, id, kind, topic, type, received_at, payload, delivery, attempts, last_attempt_at, last_status";

/** When a pending, queued event's message was last known alive: its last send or its last attempt. */
const LAST_SIGN_OF_LIFE = "MAX(COALESCE(queued_at, received_at), COALESCE(last_attempt_at, 0))";

/** One K2 application's events. */
export class K2Inbox extends DurableObject<InboxEnv> {
  /** Events whose queue send is under way: a concurrent duplicate must not send them again. */
  #sending = new Set<string>();

  constructor(ctx: DurableObjectState, env: InboxEnv) {
    super(ctx, env);
    ctx.storage.transactionSync(() => upgrade(ctx.storage.sql));
  }

  /**
   * Keeps the event unless its identity is known. The identity and the event are written in one
   * transaction, and the runtime releases the answer only once it is durable. With `forward`, a new
   * event (or a kept one whose queue send failed) is handed to the queue.
   */
  async record(event: NewEvent, forward: boolean): Promise<{ duplicate: boolean }> {
    const sql = this.ctx.storage.sql;
    const now = Date.now();
    const duplicate = this.ctx.storage.transactionSync(() => {
      const known =
        sql
          .exec(
            "INSERT INTO identities (id, seen_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING RETURNING id",
            event.id,
            now,
          )
          .toArray().length === 0;
      if (known) return true;
      sql.exec(
        `INSERT INTO events (id, kind, topic, type, received_at, payload, delivery, queued)
         VALUES (?, ?, ?, ?, ?, ?, ?, 0) ON CONFLICT (id) DO NOTHING`,
        event.id,
        event.kind,
        event.topic,
        event.type,
        now,
        event.payload,
        forward ? "pending" : "none",
      );
      return false;
    });
    // Retention's alarm, for this event at the latest (an alarm already set may be a later one).
    const keepMs = this.#retentionMs();
    if (!duplicate && keepMs !== undefined) await this.#alarmBy(now + keepMs);
    const unqueued = sql.exec("SELECT 1 FROM events WHERE id = ? AND delivery = 'pending' AND queued = 0", event.id);
    if (unqueued.toArray().length > 0) await this.#enqueue(event.id);
    return { duplicate };
  }

  /**
   * Events after the cursor `after`, in arrival order: up to `limit` of them, and no more than
   * {@link EVENTS_PAGE_BYTES} of payload unless the first alone is larger. Decided here, so that the
   * answer of this call is bounded; the reader goes on from the last one's `seq`.
   */
  list(after: number, limit: number): StoredEvent[] {
    const sql = this.ctx.storage.sql;
    // The sizes first, without the payloads (SQLite knows a value's length without reading it), to
    // find where the page ends; then the rows of that page alone.
    const sizes = sql.exec<{ seq: number; bytes: number }>(
      "SELECT seq, octet_length(payload) AS bytes FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
      after,
      limit,
    );
    let last: number | undefined;
    let bytes = 0;
    for (const row of sizes) {
      if (last !== undefined && bytes + row.bytes > EVENTS_PAGE_BYTES) break;
      bytes += row.bytes;
      last = row.seq;
    }
    if (last === undefined) return [];
    return sql
      .exec<StoredEvent>(`SELECT ${COLUMNS} FROM events WHERE seq > ? AND seq <= ? ORDER BY seq`, after, last)
      .toArray();
  }

  get(id: string): StoredEvent | null {
    return (
      this.ctx.storage.sql.exec<StoredEvent>(`SELECT ${COLUMNS} FROM events WHERE id = ?`, id).toArray()[0] ?? null
    );
  }

  /** One forwarding attempt's outcome; a delivered or dead event stays so. */
  attempted(id: string, delivered: boolean, status: number | null): void {
    this.ctx.storage.sql.exec(
      `UPDATE events SET attempts = attempts + 1, last_attempt_at = ?, last_status = ?,
         delivery = CASE WHEN delivery IN ('delivered', 'dead') THEN delivery WHEN ? THEN 'delivered' ELSE 'pending' END
       WHERE id = ?`,
      Date.now(),
      status,
      delivered ? 1 : 0,
      id,
    );
  }

  /** The queue gave up on the event (its dead-letter queue's consumer says so). */
  dead(id: string): void {
    this.ctx.storage.sql.exec("UPDATE events SET delivery = 'dead' WHERE id = ? AND delivery != 'delivered'", id);
  }

  /**
   * Hands a dead event to the queue again, as if new: a person saw why it died (the backend was
   * down, a bug there) and fixed it. Only a dead one: a pending one is still being tried, and a
   * delivered one needs nothing. Its attempts are kept, so its record shows it was tried before.
   * Answers whether it was dead, and the event as it now stands (`null` when there is none).
   */
  async replay(id: string): Promise<{ replayed: boolean; event: StoredEvent | null }> {
    const replayed =
      this.ctx.storage.sql
        .exec("UPDATE events SET delivery = 'pending', queued = 0 WHERE id = ? AND delivery = 'dead' RETURNING id", id)
        .toArray().length > 0;
    if (replayed) await this.#enqueue(id);
    return { replayed, event: this.get(id) };
  }

  /**
   * Liveness, never safety: deletes events past retention and identities past INBOX_IDENTITY_DAYS,
   * sends again what a failed queue send left unqueued, and sends again a pending event whose
   * message has been silent past the queue's retry horizon (lost by the queue, or its dead letter
   * lost). Each send may repeat a delivery; none can store or pay anything twice.
   */
  override async alarm(): Promise<void> {
    const sql = this.ctx.storage.sql;
    const now = Date.now();
    const keepMs = this.#retentionMs();
    if (keepMs !== undefined) sql.exec("DELETE FROM events WHERE received_at < ?", now - keepMs);
    const rememberMs = this.#identityMs();
    if (rememberMs !== undefined) sql.exec("DELETE FROM identities WHERE seen_at < ?", now - rememberMs);

    const unqueued = sql
      .exec<{ id: string }>(
        "SELECT id FROM events WHERE delivery = 'pending' AND queued = 0 ORDER BY seq LIMIT ?",
        SENDS_PER_ALARM,
      )
      .toArray();
    for (const { id } of unqueued) await this.#enqueue(id);

    const horizonMs = this.#horizonMs();
    if (horizonMs !== undefined) {
      const silent = sql
        .exec<{ id: string; attempts: number }>(
          `SELECT id, attempts FROM events WHERE delivery = 'pending' AND queued = 1 AND ${LAST_SIGN_OF_LIFE} < ?
           ORDER BY seq LIMIT ?`,
          now - horizonMs,
          SENDS_PER_ALARM,
        )
        .toArray();
      for (const { id, attempts } of silent) {
        writeLog({ level: "warn", event: "inbox_requeue_silent", id, attempts });
        await this.#enqueue(id);
      }
    }
    await this.#scheduleNext();
  }

  async #enqueue(id: string): Promise<void> {
    const queue = this.env.INBOX_QUEUE;
    if (this.#sending.has(id) || !queue) {
      if (!queue) await this.#retrySoon();
      return;
    }
    this.#sending.add(id);
    try {
      await queue.send({ inbox: this.ctx.id.toString(), id } satisfies DeliveryMessage, { contentType: "json" });
      const now = Date.now();
      this.ctx.storage.sql.exec("UPDATE events SET queued = 1, queued_at = ? WHERE id = ?", now, id);
      // The horizon's sweep, should this message never come back.
      const horizonMs = this.#horizonMs();
      if (horizonMs !== undefined) await this.#alarmBy(now + horizonMs);
    } catch (error) {
      // The event is kept and marked unqueued (it may have been queued before, for a sweep): K2's
      // next delivery of it or the alarm sends it again.
      this.ctx.storage.sql.exec("UPDATE events SET queued = 0 WHERE id = ?", id);
      writeLog({
        level: "error",
        event: "inbox_enqueue_failed",
        message: error instanceof Error ? error.name : "unknown",
      });
      await this.#retrySoon();
    } finally {
      this.#sending.delete(id);
    }
  }

  async #retrySoon(): Promise<void> {
    await this.#alarmBy(Date.now() + REQUEUE_AFTER_MS);
  }

  /** Sets the alarm for `at`, unless it is already set for earlier. */
  async #alarmBy(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }

  /**
   * The next alarm: when the oldest event or identity expires, soon when a queue send is owed, or
   * when the oldest silent pending event passes the queue's retry horizon.
   */
  async #scheduleNext(): Promise<void> {
    const sql = this.ctx.storage.sql;
    const oldest = sql.exec<{ at: number | null }>("SELECT MIN(received_at) AS at FROM events").one().at;
    const oldestIdentity = sql.exec<{ at: number | null }>("SELECT MIN(seen_at) AS at FROM identities").one().at;
    const owed = sql.exec("SELECT 1 FROM events WHERE delivery = 'pending' AND queued = 0 LIMIT 1").toArray().length;
    const silentSince = sql
      .exec<{ at: number | null }>(
        `SELECT MIN(${LAST_SIGN_OF_LIFE}) AS at FROM events WHERE delivery = 'pending' AND queued = 1`,
      )
      .one().at;
    const keepMs = this.#retentionMs();
    const rememberMs = this.#identityMs();
    const horizonMs = this.#horizonMs();
    const times = [
      oldest === null || keepMs === undefined ? undefined : oldest + keepMs,
      oldestIdentity === null || rememberMs === undefined ? undefined : oldestIdentity + rememberMs,
      owed ? Date.now() + REQUEUE_AFTER_MS : undefined,
      silentSince === null || horizonMs === undefined ? undefined : silentSince + horizonMs,
    ];
    const next = Math.min(...times.filter((time): time is number => time !== undefined));
    if (Number.isFinite(next)) await this.ctx.storage.setAlarm(Math.max(next, Date.now() + ALARM_FLOOR_MS));
    else await this.ctx.storage.deleteAlarm();
  }

  /** `undefined` when INBOX_RETENTION_DAYS is malformed: then nothing is deleted. */
  #retentionMs(): number | undefined {
    return tolerant(() => retentionMs(this.env));
  }

  /** `undefined` when INBOX_IDENTITY_DAYS is malformed: then no identity is forgotten. */
  #identityMs(): number | undefined {
    return tolerant(() => identityMs(this.env));
  }

  /**
   * The queue's retry horizon, or `undefined` when forwarding is off or broken: then nothing is
   * swept, since the consumer is retrying (and will dead-letter) those messages on its own.
   */
  #horizonMs(): number | undefined {
    return tolerant(() => {
      const forward = forwardingSettings(this.env);
      return forward && retryHorizonMs(forward.retryDelaySeconds);
    });
  }
}

/** A setting, or `undefined` when it is malformed (the alarm then does what does not depend on it). */
function tolerant<T>(read: () => T | undefined): T | undefined {
  try {
    return read();
  } catch (error) {
    if (error instanceof ConfigError) return undefined;
    throw error;
  }
}

/**
 * Brings the tables to this version, in one transaction. An inbox made before identities were kept
 * apart has an `events` table without `queued_at`; adding it marks the upgrade done, and in the same
 * step every kept event's identity becomes a tombstone (its id is that identity's digest), so that
 * events stored before the upgrade stay duplicates once retention removes them.
 */
function upgrade(sql: SqlStorage): void {
  sql.exec(SCHEMA);
  const columns = sql.exec<{ name: string }>("SELECT name FROM pragma_table_info('events')").toArray();
  if (!columns.some((column) => column.name === "queued_at")) {
    sql.exec("ALTER TABLE events ADD COLUMN queued_at INTEGER");
    sql.exec(
      "INSERT INTO identities (id, seen_at) SELECT id, received_at FROM events WHERE true ON CONFLICT (id) DO NOTHING",
    );
  }
}
