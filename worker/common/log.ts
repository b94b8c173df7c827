/**
 * The Worker's one log writer: a JSON line per request (written by worker/index.ts alone) and per
 * event of its Durable Objects and queue consumer, never holding a token, key or secret.
 */
export interface RequestLog {
  requestId: string;
  method: string;
  path: string;
  status: number;
  durationMs: number;
  /** The id of the caller's key, when it has one: never the key. */
  caller?: string;
  /** Time spent waiting on K2 (token and API), when K2 was called. */
  upstreamMs?: number;
  /** Where the K2 token came from: this isolate's memory, KV, or the token endpoint. */
  tokenSource?: "memory" | "kv" | "fetched";
  /** Whether K2 refused the token with a 401 and the request was replayed with a new one. */
  replayed?: boolean;
  /** What the idempotency store decided for a request with an `Idempotency-Key` (idempotency/). */
  idempotency?: string;
  /** `not_recorded` when the creator of a new K2 resource could not be recorded (ownership/). */
  ownership?: "not_recorded";
  /** `not_recorded` when a new payment could not be written to the ledger (ledger/). */
  ledger?: "not_recorded";
  /** What the inbox did with a callback or webhook from K2: `stored`, or `duplicate` of a kept one. */
  inbox?: "stored" | "duplicate";
  /** Which host K2 could not be reached at, and why (never a path, query or secret). */
  upstreamError?: string;
  /** The code of a refusal the edge answered itself (read from the refusal). */
  error?: string;
}

export type Logger = (line: Record<string, unknown>) => void;

/** The writer everything uses unless a test hands the Worker its own. */
export const writeLog: Logger = (line) => console.log(JSON.stringify(line));

/** At most 200 characters of the path: enough to debug, bounded for hostile input. */
export function loggedPath(url: URL): string {
  return url.pathname.slice(0, 200);
}
