/**
 * The payment ledger: every payment sent through the edge, one row per K2 resource id, from its
 * creation (`pending`) to how it ended (`success`, `failed`), settled by K2's callback or, when
 * that never comes, by a status read; `unknown` when neither answered in time. One Durable Object
 * per K2 application holds it in SQLite.
 *
 * Why a Durable Object with SQLite rather than D1: the ledger is written on the request path (every
 * create) and by the inbox (every callback), and a callback racing a status read must end in one
 * state. A single writer that applies "pending or unknown may become final, final never changes" in
 * one statement makes that hold without a transaction across services; D1 would add a network hop
 * and a migrations step for the same table. Where it stops: one instance takes on the order of a
 * thousand small writes a second, far above one K2 application's payments; beyond that the ledger
 * shards into several instances by a hash of the payment id (or per till), each listing its own,
 * and the reads merge them.
 *
 * Stored: K2's id, type, the amount and currency, the caller-facing location, the key id that
 * created it, its Idempotency-Key, a masked phone number (`+2547•••••678`), times, how it settled
 * and the inbox event that settled it. Never a key, a token or a full phone number.
 */
import { DurableObject } from "cloudflare:workers";

export type PaymentState = "pending" | "success" | "failed" | "unknown";

/** A payment as the ledger keeps it. */
export interface PaymentRow {
  seq: number;
  id: string;
  type: string;
  state: PaymentState;
  currency: string | null;
  amount: string | null;
  location: string;
  key_id: string | null;
  idempotency_key: string | null;
  phone: string | null;
  created_at: number;
  updated_at: number;
  settled_by: "callback" | "status" | null;
  event_id: string | null;
  checks: number;
  next_check_at: number;
  [column: string]: string | number | null;
}

/** A new payment, as the proxy records it when K2 created it. */
export interface NewPayment {
  id: string;
  type: string;
  currency: string | null;
  amount: string | null;
  location: string;
  keyId: string | null;
  idempotencyKey: string | null;
  phone: string | null;
}

/** How a payment ended, and what said so. */
export interface Settlement {
  id: string;
  state: "success" | "failed" | "unknown";
  settledBy: "callback" | "status";
  /** The inbox event that told it (the result, or the status read kept as a `reconciled` event). */
  eventId: string | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS payments (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL,
  state TEXT NOT NULL,
  currency TEXT,
  amount TEXT,
  location TEXT NOT NULL,
  key_id TEXT,
  idempotency_key TEXT,
  phone TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  settled_by TEXT,
  event_id TEXT,
  checks INTEGER NOT NULL DEFAULT 0,
  next_check_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS payments_due ON payments (state, next_check_at);
CREATE TABLE IF NOT EXISTS reconcile_runs (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  at INTEGER NOT NULL,
  report TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS payment_events (
  payment_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  PRIMARY KEY (payment_id, event_id)
);
`;

const COLUMNS =
  "seq, id, type, state, currency, amount, location, key_id, idempotency_key, phone, created_at, updated_at, " +
  "settled_by, event_id, checks, next_check_at";

export class PaymentLedger extends DurableObject<object> {
  constructor(ctx: DurableObjectState, env: object) {
    super(ctx, env);
    ctx.storage.sql.exec(SCHEMA);
  }

  /**
   * Records a payment K2 created, once: a replayed answer or a second report of the same id changes
   * nothing. Its first status check is due `checkAfterMs` from now.
   */
  record(payment: NewPayment, checkAfterMs: number): void {
    const now = Date.now();
    this.ctx.storage.sql.exec(
      `INSERT INTO payments (id, type, state, currency, amount, location, key_id, idempotency_key, phone,
         created_at, updated_at, next_check_at)
       VALUES (?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
      payment.id,
      payment.type,
      payment.currency,
      payment.amount,
      payment.location,
      payment.keyId,
      payment.idempotencyKey,
      payment.phone,
      now,
      now,
      now + checkAfterMs,
    );
  }

  /**
   * Settles a payment: only a `pending` or `unknown` one changes, so whichever of a callback and a
   * status read comes first decides, and the other finds it final (one statement, one writer: no
   * window between the check and the write). `unknown` is only ever set on a `pending` payment.
   * Answers whether this call changed it; the event is linked to the payment either way.
   */
  settle(settlement: Settlement): { changed: boolean; known: boolean } {
    const sql = this.ctx.storage.sql;
    const from = settlement.state === "unknown" ? "('pending')" : "('pending', 'unknown')";
    const changed = sql
      .exec(
        `UPDATE payments SET state = ?, settled_by = ?, event_id = ?, updated_at = ?
         WHERE id = ? AND state IN ${from} RETURNING id`,
        settlement.state,
        settlement.settledBy,
        settlement.eventId,
        Date.now(),
        settlement.id,
      )
      .toArray().length;
    const known = sql.exec("SELECT 1 FROM payments WHERE id = ?", settlement.id).toArray().length > 0;
    if (known && settlement.eventId !== null)
      sql.exec(
        "INSERT INTO payment_events (payment_id, event_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
        settlement.id,
        settlement.eventId,
      );
    return { changed: changed > 0, known };
  }

  /**
   * Newest first, after the cursor `before` (a `seq`), optionally in one state and of one key's
   * making (a scoped key's own).
   */
  list(filter: { state?: PaymentState; keyId?: string }, limit: number, before: number | undefined): PaymentRow[] {
    const conditions = ["seq < ?"];
    const values: (string | number)[] = [before ?? Number.MAX_SAFE_INTEGER];
    if (filter.state) (conditions.push("state = ?"), values.push(filter.state));
    if (filter.keyId !== undefined) (conditions.push("key_id = ?"), values.push(filter.keyId));
    return this.ctx.storage.sql
      .exec<PaymentRow>(
        `SELECT ${COLUMNS} FROM payments WHERE ${conditions.join(" AND ")} ORDER BY seq DESC LIMIT ?`,
        ...values,
        limit,
      )
      .toArray();
  }

  /** One payment, with the ids of the inbox events about it. */
  get(id: string): { payment: PaymentRow; events: string[] } | null {
    const sql = this.ctx.storage.sql;
    const payment = sql.exec<PaymentRow>(`SELECT ${COLUMNS} FROM payments WHERE id = ?`, id).toArray()[0];
    if (!payment) return null;
    const events = sql
      .exec<{ event_id: string }>("SELECT event_id FROM payment_events WHERE payment_id = ? ORDER BY rowid", id)
      .toArray()
      .map((row) => row.event_id);
    return { payment, events };
  }

  /** Pending payments whose next status check is due, oldest due first, at most `limit`. */
  due(limit: number): PaymentRow[] {
    return this.ctx.storage.sql
      .exec<PaymentRow>(
        `SELECT ${COLUMNS} FROM payments WHERE state = 'pending' AND next_check_at <= ?
         ORDER BY next_check_at LIMIT ?`,
        Date.now(),
        limit,
      )
      .toArray();
  }

  /** A status check found the payment still pending (or could not read it): the next is due at `nextAt`. */
  checked(id: string, nextAt: number): void {
    this.ctx.storage.sql.exec(
      "UPDATE payments SET checks = checks + 1, next_check_at = ?, updated_at = ? WHERE id = ? AND state = 'pending'",
      nextAt,
      Date.now(),
      id,
    );
  }

  /**
   * The reconciler's last pass: kept here, one row overwritten each time, so that the ledger that
   * the pass worked on can say when it last ran and what it did (the dashboard's health view).
   */
  ran(at: number, report: Record<string, number>): void {
    this.ctx.storage.sql.exec(
      "INSERT INTO reconcile_runs (id, at, report) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at, report = excluded.report",
      at,
      JSON.stringify(report),
    );
  }

  /** The health view's figures: payments per state, those created since `since` and how many failed, the last pass. */
  health(since: number): {
    counts: Record<PaymentState, number>;
    since: { created: number; failed: number };
    lastReconcile: { at: number; report: Record<string, number> } | null;
  } {
    const sql = this.ctx.storage.sql;
    const recent = sql
      .exec<{ created: number; failed: number | null }>(
        "SELECT COUNT(*) AS created, SUM(state = 'failed') AS failed FROM payments WHERE created_at >= ?",
        since,
      )
      .one();
    const run = sql.exec<{ at: number; report: string }>("SELECT at, report FROM reconcile_runs").toArray()[0];
    return {
      counts: this.counts(),
      since: { created: recent.created, failed: recent.failed ?? 0 },
      lastReconcile: run ? { at: run.at, report: JSON.parse(run.report) as Record<string, number> } : null,
    };
  }

  /** How many payments are in each state: for the health view and the tests. */
  counts(): Record<PaymentState, number> {
    const counts: Record<PaymentState, number> = { pending: 0, success: 0, failed: 0, unknown: 0 };
    for (const row of this.ctx.storage.sql
      .exec<{ state: PaymentState; n: number }>("SELECT state, COUNT(*) AS n FROM payments GROUP BY state")
      .toArray())
      counts[row.state] = row.n;
    return counts;
  }
}
