/**
 * What became of a request the proxy sent to K2, as far as the edge can tell: the one word the
 * proxy reports and the idempotency store keeps.
 * - `answered`: K2's whole answer came back;
 * - `unknown`: the request may have reached K2, and no complete answer came back;
 * - `not_sent`: nothing reached K2 (or K2 refused before acting: 401, 408, 429).
 */
export type SendOutcome = "answered" | "unknown" | "not_sent";
