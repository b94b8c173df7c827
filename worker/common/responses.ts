/**
 * The edge's own responses: JSON that says what happened and names no secret. A refusal carries its
 * error code with it, so the one place that writes the request's log line reads it from there.
 *
 * Each refusal carries its text twice: in `message` (the edge's first field, kept for existing
 * readers) and in `error_description`, where OAuth and K2-dialect readers look for it.
 */

const errorCodes = new WeakMap<Response, string>();

export function jsonResponse(status: number, body: Record<string, unknown>, headers: HeadersInit = {}): Response {
  const response = new Response(JSON.stringify(body), { status, headers });
  response.headers.set("content-type", "application/json; charset=utf-8");
  response.headers.set("cache-control", "no-store");
  return response;
}

/** One of the edge's refusals: `{ error, message, error_description, ...extra }`. */
export function refusal(
  status: number,
  error: string,
  message: string,
  extra: Record<string, unknown> = {},
  headers: HeadersInit = {},
): Response {
  return withErrorCode(jsonResponse(status, { error, ...extra, message, error_description: message }, headers), error);
}

/** The error code of a refusal the edge made (or of a response rebuilt from one). */
export function errorCodeOf(response: Response): string | undefined {
  return errorCodes.get(response);
}

/** `response` carrying `code` for the log line. */
export function withErrorCode(response: Response, code: string | undefined): Response {
  if (code !== undefined) errorCodes.set(response, code);
  return response;
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

/** A setting is missing or malformed: 500, or 503 where the sender should try again once it is fixed. */
export const configurationError = (setting: string, message: string, status: 500 | 503 = 500) =>
  refusal(status, "configuration_error", message, { setting });

export const internalError = () => refusal(500, "internal_error", "The proxy failed; see its logs");

/** K2's answer was cut short: it had the request, and what it said is lost. */
export const upstreamTruncated = () =>
  refusal(502, "upstream_truncated", "K2's answer broke off before its end; it was not passed on");
