/**
 * Calling a resource server with a bearer token: the one place where the package's API calls
 * (K2's and Copper's) get their `Authorization` header. The URL has already passed the origin guard.
 *
 * @module
 */
import { send, type Transport } from "../transport/transport.ts";

/**
 * `init` with `Authorization: Bearer <accessToken>` (RFC 6750, section 2.1), `Accept:
 * application/json` unless the caller chose another, and `Content-Type: application/json` for a
 * string body without one (both APIs take JSON only).
 */
export function withBearer(init: RequestInit, accessToken: string): RequestInit {
  const headers = new Headers(init.headers);
  headers.set("authorization", `Bearer ${accessToken}`);
  if (!headers.has("accept")) headers.set("accept", "application/json");
  if (typeof init.body === "string" && !headers.has("content-type")) headers.set("content-type", "application/json");
  return { ...init, headers };
}

/**
 * Sends one API request with the bearer token, under the transport's deadline, without retries: a
 * repeated POST could create a payment twice. The answer comes back as it is, body unread.
 */
export function sendWithBearer(
  transport: Transport,
  url: string,
  init: RequestInit,
  accessToken: string,
): Promise<Response> {
  return send(transport, url, withBearer(init, accessToken), init.signal ?? undefined);
}
