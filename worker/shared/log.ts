/**
 * One JSON line per request, and never a token, key or secret: only the fields named here.
 */
import type { TokenOrigin } from "../src/index.ts";

export interface RequestLog {
  requestId: string;
  method: string;
  path: string;
  status: number;
  durationMs: number;
  /** Time spent waiting on K2 (token and API), when K2 was called. */
  upstreamMs?: number;
  /** Where the K2 token came from: this isolate's memory, KV, or the token endpoint. */
  tokenSource?: "memory" | "kv" | "fetched";
  /** Whether K2 refused the token with a 401 and the request was replayed with a new one. */
  replayed?: boolean;
  /** What the idempotency store decided for a request with an `Idempotency-Key` (idempotency.ts). */
  idempotency?: string;
  /** What the inbox did with a callback or webhook from K2: `stored`, or `duplicate` of a kept one. */
  inbox?: "stored" | "duplicate";
  /** A short code for a failure the proxy answered itself. */
  error?: string;
}

export type Logger = (line: Record<string, unknown>) => void;

export const consoleLogger: Logger = (line) => console.log(JSON.stringify(line));

export function tokenSourceName(origin: TokenOrigin): NonNullable<RequestLog["tokenSource"]> {
  return origin === "cache" ? "kv" : origin;
}

/** At most 200 characters of the path: enough to debug, bounded for hostile input. */
export function loggedPath(url: URL): string {
  return url.pathname.slice(0, 200);
}
