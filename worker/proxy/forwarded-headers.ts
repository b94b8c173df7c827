/**
 * Which headers cross the proxy. Toward K2, an allow-list: only what an API request needs passes,
 * so that nothing the proxy does not know (method overrides, URL rewrites, headers a runtime's
 * `Connection` named but already removed, the edge's metadata) can reach K2. Back to the caller,
 * K2's headers pass but for the hop-by-hop ones.
 */

/**
 * The caller's headers that go on to K2 (lower case). Authorization is the proxy's own (K2's
 * token), and `X-Request-Id` is set by the proxy itself, so neither is taken from the caller.
 * `Idempotency-Key` is the proxy's too (idempotency.ts): K2 has no such header and ignores it.
 */
export const FORWARDED_REQUEST_HEADERS: ReadonlySet<string> = new Set([
  "accept",
  "accept-language",
  "content-encoding",
  "content-language",
  "content-type",
  "if-match",
  "if-modified-since",
  "if-none-match",
  "if-unmodified-since",
  "user-agent",
]);

// RFC 9110 section 7.6.1 connection-specific fields, plus what belongs to this hop's transport.
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "host",
  "content-length",
]);

/**
 * The caller's headers that go on to K2: those on the allow-list that `Connection` does not name.
 * As name-value pairs, which the bearer path turns into the request's one `Headers`.
 */
export function requestHeadersForUpstream(incoming: Headers): [string, string][] {
  const named = connectionListed(incoming);
  const outgoing: [string, string][] = [];
  for (const [name, value] of incoming) {
    if (FORWARDED_REQUEST_HEADERS.has(name) && !named.has(name)) outgoing.push([name, value]);
  }
  return outgoing;
}

/**
 * K2's headers that go back to the caller: all but the hop-by-hop ones and K2's own CORS headers
 * (`Access-Control-*`), which would open the answer to any page: CORS is the edge's to grant, per
 * key (common/cors.ts). As name-value pairs, which the caller's response is built from.
 */
export function responseHeadersForCaller(upstream: Headers): [string, string][] {
  const named = connectionListed(upstream);
  const outgoing: [string, string][] = [];
  for (const [name, value] of upstream) {
    if (HOP_BY_HOP.has(name) || named.has(name) || name.startsWith("access-control-")) continue;
    outgoing.push([name, value]);
  }
  return outgoing;
}

/** Header names a `Connection` header declares as hop-by-hop. */
function connectionListed(headers: Headers): ReadonlySet<string> {
  const value = headers.get("connection");
  if (!value) return NONE;
  return new Set(
    value
      .split(",")
      .map((name) => name.trim().toLowerCase())
      .filter(Boolean),
  );
}

const NONE: ReadonlySet<string> = new Set();
