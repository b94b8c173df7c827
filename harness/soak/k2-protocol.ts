/**
 * What the soak's K2 side (k2-process.ts) and its handle (k2.ts) exchange: paths, outcome codes,
 * commands and the record. No side effects, so the driver can import it.
 */
import type { Fault } from "../../sandbox/server.ts";

export const TOKEN_PATH = "/oauth/token";
export const API_PATH = "/api/v2/incoming_payments";

/** Outcome codes of an exchange, besides an HTTP status. */
export const DROPPED = -1;
export const ABANDONED = -2;
export const TRUNCATED = -3;
export const PENDING = 0;

export type K2Command =
  | { id: number; command: "inject"; path: string; faults: Fault[] }
  | { id: number; command: "expire" }
  | { id: number; command: "revoke" }
  | { id: number; command: "mark" }
  | { id: number; command: "summary" }
  | { id: number; command: "stop" };

/** Every exchange through the tap, column by column (index = order of arrival at the tap). */
export interface Exchanges {
  /** 0 token endpoint, 1 the API path, 2 anything else. */
  kind: number[];
  /** `metadata.reference` of the body K2 received ("" when none). */
  reference: string[];
  /** HTTP status, or DROPPED, ABANDONED, TRUNCATED (PENDING if still open). */
  outcome: number[];
  /** A small number standing for the bearer token used (0: none); equal numbers, equal tokens. */
  token: number[];
  /** 1 when K2's answer was HTML. */
  html: number[];
  /** When the tap received the request, whole milliseconds since the K2 side started. */
  at: number[];
}

export interface K2Mark {
  /** The index of the oldest exchange still open (the count of exchanges when none is). */
  exchanges: number;
  sandbox: Record<string, number>;
}

export interface K2Summary extends K2Mark {
  records: Exchanges;
  callbacks: number;
  /** Whether the sandbox had revokeAllTokens() (else revocation fell back to expireAllTokens()). */
  revokeAvailable: boolean;
  heapUsed: number;
}
