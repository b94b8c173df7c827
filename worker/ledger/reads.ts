/**
 * `GET /payments?state=pending&limit=50&after=<cursor>` and `GET /payments/<id>`: the ledger read
 * back, newest first. `next` is the cursor to pass as `after` for the older page, `null` at the end.
 * A key that reads only its own (a scoped key) sees only the payments it created.
 */
import type { Caller } from "../common/callers.ts";
import { jsonResponse, methodNotAllowed, refusal } from "../common/responses.ts";
import { readsOnlyItsOwn } from "../ownership/client.ts";
import { ledgerOf, publicPayment, type LedgerEnv } from "./client.ts";
import type { PaymentState } from "./object.ts";

export const PAYMENTS_PATH = "/payments";

const STATES = new Set<PaymentState>(["pending", "success", "failed", "unknown"]);
const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 500;

export async function readPayments(request: Request, url: URL, env: LedgerEnv, caller: Caller): Promise<Response> {
  if (request.method !== "GET" && request.method !== "HEAD") return methodNotAllowed(["GET", "HEAD"]);
  const ledger = await ledgerOf(env);
  if (!ledger)
    return refusal(503, "configuration_error", "LEDGER must be bound to the PaymentLedger Durable Object", {
      setting: "LEDGER",
    });
  const own = readsOnlyItsOwn(caller) ? caller.id : undefined;

  if (url.pathname !== PAYMENTS_PATH) {
    const id = url.pathname.slice(PAYMENTS_PATH.length + 1);
    const found = /^[A-Za-z0-9_-]{1,100}$/.test(id) ? await ledger.get(id) : null;
    if (!found || (own !== undefined && found.payment.key_id !== own))
      return refusal(404, "not_found", "No such payment in the ledger");
    return jsonResponse(200, { ...publicPayment(found.payment), events: found.events });
  }

  const state = url.searchParams.get("state") ?? undefined;
  const limit = wholeNumber(url.searchParams.get("limit")) ?? DEFAULT_LIMIT;
  const after = url.searchParams.get("after");
  const before = after === null || after === "" ? undefined : wholeNumber(after);
  if ((state !== undefined && !STATES.has(state as PaymentState)) || limit < 1 || limit > MAX_LIMIT || before === null)
    return refusal(
      400,
      "invalid_query",
      `state must be one of ${[...STATES].join(", ")}; limit a whole number from 1 to ${MAX_LIMIT}; after a cursor`,
    );
  const rows = await ledger.list({ state: state as PaymentState | undefined, keyId: own }, limit, before);
  const next = rows.length === limit ? String(rows[rows.length - 1]!.seq) : null;
  return jsonResponse(200, { payments: rows.map(publicPayment), next });
}

/** A whole number, `undefined` when absent, `null` when malformed. */
function wholeNumber(raw: string | null): number | undefined | null {
  if (raw === null || raw === "") return undefined;
  return /^\d{1,15}$/.test(raw) ? Number(raw) : null;
}
