/**
 * The proxy's own answers: JSON errors that say what happened and name no secret.
 *
 * Each refusal carries its text twice: in `message` (the proxy's first field, kept for existing
 * readers) and in `error_description`, where OAuth and K2-dialect readers look for it.
 */

export function jsonAnswer(status: number, body: Record<string, unknown>, headers: HeadersInit = {}): Response {
  const answer = new Response(JSON.stringify(body), { status, headers });
  answer.headers.set("content-type", "application/json; charset=utf-8");
  answer.headers.set("cache-control", "no-store");
  return answer;
}

/** One of the proxy's refusals: `{ error, message, error_description, ...extra }`. */
export function refusal(
  status: number,
  error: string,
  message: string,
  extra: Record<string, unknown> = {},
  headers: HeadersInit = {},
): Response {
  return jsonAnswer(status, { error, ...extra, message, error_description: message }, headers);
}

export const unauthorized = () =>
  refusal(
    401,
    "unauthorized",
    "Send a proxy key as Authorization: Bearer <key>",
    {},
    { "www-authenticate": 'Bearer realm="k2-connect-edge"' },
  );

export const notFound = () => refusal(404, "not_found", "Only /api/v1/... and /api/v2/... paths are forwarded");

export const methodNotAllowed = (allowed: readonly string[]) =>
  refusal(405, "method_not_allowed", `Allowed: ${allowed.join(", ")}`, {}, { allow: allowed.join(", ") });

export const bodyNotAllowed = (method: string) =>
  refusal(400, "body_not_allowed", `A ${method} request cannot carry a body; nothing was sent to K2`);

export const requestBodyTimeout = (timeoutMs: number) =>
  refusal(408, "request_body_timeout", `The request body did not arrive in full within ${timeoutMs} ms`);

export const payloadTooLarge = (limit: number) =>
  refusal(413, "payload_too_large", `Request bodies are limited to ${limit} bytes`);

export const configurationError = (setting: string, message: string) =>
  refusal(500, "configuration_error", message, { setting });

export const internalError = () => refusal(500, "internal_error", "The proxy failed; see its logs");

export const upstreamUnreachable = () => refusal(502, "upstream_unreachable", "K2 could not be reached");

/**
 * A POST or PATCH was sent and no complete answer came back: K2 may have acted on it. 502 when the
 * connection broke, 504 when the deadline passed.
 */
export const upstreamOutcomeUnknown = (status: 502 | 504) =>
  refusal(
    status,
    "upstream_outcome_unknown",
    "The request was sent to K2 but no complete answer came back, so K2 may have acted on it. Check its status " +
      "(or wait for K2's callback) before resending; an Idempotency-Key makes a resend safe",
  );

export const upstreamTruncated = () =>
  refusal(502, "upstream_truncated", "K2's answer ended before the length it announced; it was not passed on");

export const upstreamTokenError = (name: string) =>
  refusal(502, "upstream_token_error", `K2 did not grant a token (${name})`);

export const upstreamTimeout = (timeoutMs: number) =>
  refusal(504, "upstream_timeout", `K2 did not answer within ${timeoutMs} ms`);

/** The inbox (inbox/) is not configured: a 5xx, so that K2 delivers again once it is. */
export const inboxNotConfigured = (setting: string, message: string) =>
  refusal(503, "configuration_error", message, { setting });

export const invalidSignature = () =>
  refusal(401, "invalid_signature", "X-KopoKopo-Signature does not match the body; nothing was stored");

export const invalidEvent = (message: string) => refusal(400, "invalid_event", `${message}; nothing was stored`);

/** The event could not be written: nothing was kept, so K2's next delivery of it is accepted. */
export const inboxUnavailable = () =>
  refusal(503, "inbox_unavailable", "The event could not be stored; nothing was kept, deliver it again");

export const eventNotFound = () =>
  refusal(404, "not_found", "No such event (events are kept for INBOX_RETENTION_DAYS)");

export const invalidQuery = (message: string) => refusal(400, "invalid_query", message);
