/**
 * The proxy's own answers: JSON errors that say what happened and name no secret.
 */

export function jsonAnswer(status: number, body: Record<string, unknown>, headers: HeadersInit = {}): Response {
  const answer = new Response(JSON.stringify(body), { status, headers });
  answer.headers.set("content-type", "application/json; charset=utf-8");
  answer.headers.set("cache-control", "no-store");
  return answer;
}

export const unauthorized = () =>
  jsonAnswer(
    401,
    { error: "unauthorized", message: "Send a proxy key as Authorization: Bearer <key>" },
    { "www-authenticate": 'Bearer realm="k2-connect-edge"' },
  );

export const notFound = () =>
  jsonAnswer(404, { error: "not_found", message: "Only /api/v1/... and /api/v2/... paths are forwarded" });

export const methodNotAllowed = (allowed: readonly string[]) =>
  jsonAnswer(
    405,
    { error: "method_not_allowed", message: `Allowed: ${allowed.join(", ")}` },
    { allow: allowed.join(", ") },
  );

export const payloadTooLarge = (limit: number) =>
  jsonAnswer(413, { error: "payload_too_large", message: `Request bodies are limited to ${limit} bytes` });

export const configurationError = (setting: string, message: string) =>
  jsonAnswer(500, { error: "configuration_error", setting, message });
