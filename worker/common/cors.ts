/**
 * CORS for scoped keys with `origins`: a browser page on one of a key's origins may call the API
 * and events routes with that key. Keys without `origins` get no CORS headers at all, and neither
 * does any other origin.
 *
 * A preflight carries no Authorization header, so it cannot name its key: it is answered for the
 * union of every policy's origins. That is safe because a preflight grants nothing by itself: it
 * only lets the browser send the actual request, which carries its key and is checked against
 * that key's own `origins` ({@link originRefusal}) before anything is sent to K2, and gets CORS
 * headers only if its key lists the origin. Answering reveals only that some key lists the origin
 * the browser itself named. No credentials mode is granted (`Access-Control-Allow-Credentials` is
 * never sent): the key travels in Authorization, which the page sets, not in cookies.
 *
 * Here in common/ rather than a feature folder: it holds no state and no binding, reads only the
 * caller and the policies (both common), and index.ts applies it around two features' routes
 * (the proxy's and the inbox's events), so it belongs to neither.
 */
import type { Caller, CallerEnv } from "./callers.ts";
import { forbidden } from "./authorization.ts";
import { parseKeyPolicies } from "./key-policies.ts";
import { refusal } from "./responses.ts";
import { settingsOf } from "./settings.ts";

const ALLOW_HEADERS = "Authorization, Content-Type, Idempotency-Key, X-Request-Id";
const EXPOSE_HEADERS = "Location, X-Request-Id, Idempotent-Replayed, Retry-After";
/**
 * How long a browser may reuse a preflight, in seconds: short, so an origin removed from every
 * policy stops being answered within minutes (its actual requests are refused at once regardless).
 */
const MAX_AGE_SECONDS = "600";

/** A CORS preflight: OPTIONS naming the origin and the method it asks for. */
export const isPreflight = (method: string, headers: Headers): boolean =>
  method === "OPTIONS" && headers.has("origin") && headers.has("access-control-request-method");

/** Every origin any policy lists: what a preflight, which carries no key, is answered for. */
const anyKeysOrigins = (env: CallerEnv): ReadonlySet<string> => settingsOf(env, readOrigins);

function readOrigins(env: CallerEnv): ReadonlySet<string> {
  return new Set(parseKeyPolicies(env.PROXY_KEY_POLICIES).flatMap((policy) => policy.origins ?? []));
}

/**
 * 204 with the CORS grant when some key lists the preflight's origin; otherwise 403 without CORS
 * headers, which the browser reads as a refusal.
 */
export function preflight(request: Request, env: CallerEnv, methods: readonly string[]): Response {
  const origin = request.headers.get("origin")!;
  if (!anyKeysOrigins(env).has(origin))
    return refusal(403, "forbidden", "This origin is not allowed by any key; nothing was sent to K2", {
      rule: "origins",
      key_id: null,
    });
  return new Response(null, {
    status: 204,
    headers: {
      "access-control-allow-origin": origin,
      "access-control-allow-methods": methods.join(", "),
      "access-control-allow-headers": ALLOW_HEADERS,
      "access-control-max-age": MAX_AGE_SECONDS,
      vary: "Origin",
    },
  });
}

/**
 * 403 for a request from a browser origin its key does not list, when the key lists origins: the
 * check the union-wide preflight defers to. A request without `Origin` (a server) is not a browser's
 * and is not refused; a key without `origins` keeps working as it did, without CORS.
 */
export function originRefusal(request: Request, caller: Caller): Response | undefined {
  const origins = caller.policy?.origins;
  const origin = request.headers.get("origin");
  if (origins === undefined || origin === null || origins.includes(origin)) return undefined;
  return forbidden(caller, "origins", "its requests may not come from this browser origin");
}

/**
 * `response` with CORS headers when the caller's key lists the request's origin, and with none
 * otherwise. Whatever `Access-Control-*` K2 (or a gateway before it) sent was already dropped with
 * the other headers K2 may not pass on, as an upstream `Access-Control-Allow-Origin: *` would open
 * every key's answers to every page.
 */
export function withCors(request: Request, caller: Caller, response: Response): Response {
  const origins = caller.policy?.origins;
  if (origins === undefined) return response;
  // The answer depends on Origin for this key whichever origin asked: caches must keep them apart.
  response.headers.append("vary", "Origin");
  const origin = request.headers.get("origin");
  if (origin === null || !origins.includes(origin)) return response;
  response.headers.set("access-control-allow-origin", origin);
  response.headers.set("access-control-expose-headers", EXPOSE_HEADERS);
  return response;
}
