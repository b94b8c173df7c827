/**
 * Which headers cross the proxy. The caller's credentials and the edge's own metadata stay behind;
 * content headers travel both ways.
 */

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

// The caller's credentials and identity, and what Cloudflare adds about the client.
const CALLER_ONLY = new Set(["authorization", "cookie", "forwarded", "x-real-ip", "true-client-ip", "accept-encoding"]);

/** The caller's headers that go on to K2. */
export function requestHeadersForUpstream(incoming: Headers): Headers {
  const named = connectionListed(incoming);
  const outgoing = new Headers();
  for (const [name, value] of incoming) {
    if (HOP_BY_HOP.has(name) || CALLER_ONLY.has(name) || named.has(name)) continue;
    if (name.startsWith("x-forwarded-") || name.startsWith("cf-")) continue;
    outgoing.append(name, value);
  }
  return outgoing;
}

/** K2's headers that go back to the caller: all but the hop-by-hop ones. */
export function responseHeadersForCaller(upstream: Headers): Headers {
  const named = connectionListed(upstream);
  const outgoing = new Headers();
  for (const [name, value] of upstream) {
    if (HOP_BY_HOP.has(name) || named.has(name)) continue;
    outgoing.append(name, value);
  }
  return outgoing;
}

/** Header names a `Connection` header declares as hop-by-hop. */
function connectionListed(headers: Headers): Set<string> {
  const value = headers.get("connection") ?? "";
  return new Set(
    value
      .split(",")
      .map((name) => name.trim().toLowerCase())
      .filter(Boolean),
  );
}
