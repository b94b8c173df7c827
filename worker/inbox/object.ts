/**
 * The inbox: every callback and webhook K2 posted, kept once, in arrival order. One Durable Object
 * per K2 application holds them in its SQLite storage.
 *
 * Why a Durable Object with SQLite and not D1 or KV: deduplication must be decided in one strongly
 * consistent place (KV could store a duplicate from two locations at once). A Durable Object is a
 * single writer: a unique-key insert decides "new or duplicate" for concurrent deliveries, the
 * autoincrement sequence is the read cursor, and the alarm enforces retention and re-enqueues what a
 * failed queue send left behind. It needs no migrations step (the table is created on first use) and
 * no database to provision. The trade-off: one instance per application bounds its throughput (on
 * the order of a thousand small writes a second), far above what K2 posts for one till.
 *
 * Stored: K2's body as it came (it carries no secret), what parseWebhook named it, when it arrived,
 * and the forwarding state. Never a header, a signature or a key.
 */
import { DurableObject } from "cloudflare:workers";
import { writeLog } from "../common/log.ts";
import { ConfigError } from "../common/settings.ts";
import type { DeliveryMessage } from "./delivery.ts";
import { retentionMs, type InboxEnv } from "./settings.ts";

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
  last_status INTEGER
);
CREATE INDEX IF NOT EXISTS events_by_age ON events (received_at);
`;

const COLUMNS = "seq, id, kind, topic, type, received_at, payload, delivery, attempts, last_attempt_at, last_status";

/** One K2 application's events. */
export class K2Inbox extends DurableObject<InboxEnv> {
  /** Events whose queue send is under way: a concurrent duplicate must not send them again. */
  #sending = new Set<string>();

  constructor(ctx: DurableObjectState, env: InboxEnv) {
    super(ctx, env);
    ctx.storage.sql.exec(SCHEMA);
  }

  /**
   * Keeps the event unless it is already kept. The insert and the answer are one step for the
   * object's callers: the runtime releases the answer only once the write is durable. With
   * `forward`, a new event (or a kept one whose queue send failed) is handed to the queue.
   */
  async record(event: NewEvent, forward: boolean): Promise<{ duplicate: boolean }> {
    const sql = this.ctx.storage.sql;
    const inserted = sql
      .exec(
        `INSERT INTO events (id, kind, topic, type, received_at, payload, delivery, queued)
         VALUES (?, ?, ?, ?, ?, ?, ?, 0) ON CONFLICT (id) DO NOTHING RETURNING seq`,
        event.id,
        event.kind,
        event.topic,
        event.type,
        Date.now(),
        event.payload,
        forward ? "pending" : "none",
      )
      .toArray();
    if (inserted.length > 0 && (await this.ctx.storage.getAlarm()) === null) await this.#scheduleNext();
    const unqueued = sql.exec("SELECT 1 FROM events WHERE id = ? AND delivery = 'pending' AND queued = 0", event.id);
    if (unqueued.toArray().length > 0) await this.#enqueue(event.id);
    return { duplicate: inserted.length === 0 };
  }

  /** Up to `limit` events after the cursor `after`, in arrival order. */
  list(after: number, limit: number): StoredEvent[] {
    return this.ctx.storage.sql
      .exec<StoredEvent>(`SELECT ${COLUMNS} FROM events WHERE seq > ? ORDER BY seq LIMIT ?`, after, limit)
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

  /** Deletes events past retention and sends again what a failed queue send left unqueued. */
  override async alarm(): Promise<void> {
    const keepMs = this.#retentionMs();
    if (keepMs !== undefined)
      this.ctx.storage.sql.exec("DELETE FROM events WHERE received_at < ?", Date.now() - keepMs);
    const unqueued = this.ctx.storage.sql
      .exec<{ id: string }>("SELECT id FROM events WHERE delivery = 'pending' AND queued = 0 ORDER BY seq LIMIT 100")
      .toArray();
    for (const { id } of unqueued) await this.#enqueue(id);
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
      this.ctx.storage.sql.exec("UPDATE events SET queued = 1 WHERE id = ?", id);
    } catch (error) {
      // The event is kept and stays unqueued: K2's next delivery of it or the alarm sends it again.
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
    const at = Date.now() + REQUEUE_AFTER_MS;
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }

  /** The next alarm: when the oldest event expires, or sooner when a queue send is owed. */
  async #scheduleNext(): Promise<void> {
    const sql = this.ctx.storage.sql;
    const oldest = sql.exec<{ at: number | null }>("SELECT MIN(received_at) AS at FROM events").one().at;
    const owed = sql.exec("SELECT 1 FROM events WHERE delivery = 'pending' AND queued = 0 LIMIT 1").toArray().length;
    const keepMs = this.#retentionMs();
    const times = [
      oldest === null || keepMs === undefined ? undefined : oldest + keepMs,
      owed ? Date.now() + REQUEUE_AFTER_MS : undefined,
    ];
    const next = Math.min(...times.filter((time): time is number => time !== undefined));
    if (Number.isFinite(next)) await this.ctx.storage.setAlarm(next);
    else await this.ctx.storage.deleteAlarm();
  }

  /** `undefined` when INBOX_RETENTION_DAYS is malformed: then nothing is deleted. */
  #retentionMs(): number | undefined {
    try {
      return retentionMs(this.env);
    } catch (error) {
      if (error instanceof ConfigError) return undefined;
      throw error;
    }
  }
}
