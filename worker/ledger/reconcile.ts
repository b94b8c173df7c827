/**
 * Reconciliation: a payment whose callback has not come within `RECONCILE_AFTER_SECONDS` is settled
 * by reading K2's status, as K2's docs offer for a lost callback. Run by the Cron Trigger (every
 * minute), at most `RECONCILE_BATCH` payments a pass, each read backing off on its own. A final
 * status settles the payment and is kept in the inbox as a `reconciled` event, with a result's
 * identity, so that the backend gets one final event whichever came first; a payment nothing
 * settled within `RECONCILE_GIVE_UP_HOURS` becomes `unknown`, with an event saying so.
 *
 * What it promises is kept by the ledger's state, not by when a pass runs: a pass reads only
 * `pending` payments, and settling is a no-op on a final one, so a callback racing a status read
 * leaves one final state, and a pass K2 could not answer changes nothing but the next check's time.
 */
import type { K2Client } from "../../src/index.ts";
import { recordReconciled, recordUnreconciled, type InboxEnv, type StatusRead } from "../inbox/client.ts";
import { ledgerOf, ledgerSettings, publicPayment, settlePayment, stateOfAttributes, type LedgerEnv } from "./client.ts";
import type { PaymentRow } from "./object.ts";

/** The wait after a payment's first status read that did not settle it: the Cron Trigger's period. */
const FIRST_BACKOFF_MS = 60 * 1000;
/** The longest wait between two status reads of one payment. */
const MAX_BACKOFF_MS = 60 * 60 * 1000;

/** Status reads in flight at once in a pass. */
const CONCURRENT_READS = 6;

/** What one pass did, for its log line. */
export interface ReconcileReport {
  read: number;
  settled: number;
  stillPending: number;
  unreadable: number;
  gaveUp: number;
}

/**
 * One pass over the payments due. `k2` is the isolate's K2 client; a payment's status is read at
 * its location, whose path the proxy gave the caller (`/api/vN/<resource>/<id>`).
 */
export async function reconcile(env: LedgerEnv & InboxEnv, k2: K2Client): Promise<ReconcileReport> {
  const report: ReconcileReport = { read: 0, settled: 0, stillPending: 0, unreadable: 0, gaveUp: 0 };
  const found = await ledgerOf(env);
  if (!found) return report;
  const ledger = found;
  const settings = ledgerSettings(env);
  const due = await ledger.due(settings.batch);
  // A Worker keeps at most six connections open at once: the pass reads six statuses at a time.
  const next = () => due.shift();
  await Promise.all(Array.from({ length: CONCURRENT_READS }, () => work(next)));
  // Kept for the dashboard; a ledger that cannot take it loses only that word, not the pass.
  await ledger.ran(Date.now(), { ...report }).catch(() => {});
  return report;

  async function work(take: () => PaymentRow | undefined): Promise<void> {
    for (let payment = take(); payment; payment = take()) await settleOne(payment);
  }

  async function settleOne(payment: PaymentRow): Promise<void> {
    const later = () => ledger.checked(payment.id, Date.now() + backoff(payment.checks));
    try {
      if (Date.now() - payment.created_at >= settings.giveUpMs) {
        await giveUp(env, payment);
        report.gaveUp++;
        return;
      }
      report.read++;
      const status = await readStatus(k2, payment);
      if (!status) {
        report.unreadable++;
        return await later();
      }
      const { type, attributes } = status.json.data;
      const state = stateOfAttributes(type, attributes);
      if (state === "pending") {
        report.stillPending++;
        return await later();
      }
      // The event first: a payment is never final without the event the backend is told by.
      const { id } = await recordReconciled(env, status.json, status.text);
      const { changed } = await settlePayment(env, { id: payment.id, state, settledBy: "status", eventId: id });
      if (changed) report.settled++;
    } catch {
      // The inbox or the ledger could not be written: nothing is final yet, the next pass tries again.
      report.unreadable++;
      await later().catch(() => {});
    }
  }
}

/** K2's status of the payment, or `undefined` when it could not be read (K2 unreachable, an error). */
async function readStatus(k2: K2Client, payment: PaymentRow): Promise<{ json: StatusRead; text: string } | undefined> {
  const path = /^(?:https?:\/\/[^/]+)?(\/api\/v[12]\/[A-Za-z0-9_-]+\/[A-Za-z0-9_-]+)/.exec(payment.location)?.[1];
  if (!path) return undefined;
  try {
    const response = await k2.fetch(path);
    if (!response.ok) {
      await response.body?.cancel();
      return undefined;
    }
    const text = await response.text();
    const json = JSON.parse(text) as StatusRead;
    return json?.data?.id === payment.id ? { json, text } : undefined;
  } catch {
    return undefined;
  }
}

async function giveUp(env: LedgerEnv & InboxEnv, payment: PaymentRow): Promise<void> {
  const reason = "No callback came and no status read settled the payment before RECONCILE_GIVE_UP_HOURS";
  const { id } = await recordUnreconciled(
    env,
    payment,
    JSON.stringify({ payment: { ...publicPayment(payment), state: "unknown" }, reason }),
  );
  await settlePayment(env, { id: payment.id, state: "unknown", settledBy: "status", eventId: id });
}

/** The wait before the next read of a payment: a minute, doubled for each read since, capped at an hour. */
function backoff(checks: number): number {
  return Math.min(FIRST_BACKOFF_MS * 2 ** checks, MAX_BACKOFF_MS);
}
