/**
 * Rewriting K2's `Location` so that callers poll created resources through the proxy, and never
 * toward K2 itself: a caller following a Location sends its proxy key along.
 */

/**
 * The origin written into a rewritten `Location`: `PUBLIC_ORIGIN` when it is set, else the origin
 * the request came to (its `Host`), unless that names K2's host; then `undefined`, and the
 * Location is written relative, so that it resolves against the address the caller really used.
 */
export function proxyOriginFor(
  requestUrl: URL,
  publicOrigin: string | undefined,
  k2Origin: string,
): string | undefined {
  if (publicOrigin !== undefined) return publicOrigin;
  return namesK2Host(requestUrl, k2Origin) ? undefined : requestUrl.origin;
}

/**
 * Whether `url` reaches K2's host. On a network a host name is one party, whatever the scheme or
 * port (`http://api.kopokopo.com:8080`, `https://API.kopokopo.com.` with its trailing dot); on
 * this machine, where the local sandbox and the proxy share the loopback address, the port tells
 * them apart.
 */
export function namesK2Host(url: URL, k2Origin: string): boolean {
  const k2 = parsedOrigin(k2Origin);
  const host = (u: URL) => u.hostname.replace(/\.$/, "");
  const port = (u: URL) => u.port || (u.protocol === "https:" ? "443" : "80");
  // `localhost`, `127.0.0.1` and `[::1]` are all this machine.
  if (isLoopback(host(k2))) return isLoopback(host(url)) && port(url) === port(k2);
  return host(url) === host(k2);
}

// K2's origin is one setting: parsed once per isolate, not on every request.
let lastOrigin: { origin: string; url: URL } | undefined;
function parsedOrigin(origin: string): URL {
  if (lastOrigin?.origin !== origin) lastOrigin = { origin, url: new URL(origin) };
  return lastOrigin.url;
}

function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/**
 * `location` (absolute or relative, with or without `/api/vN`) on the proxy's origin, or relative
 * (path and query) when `proxyOrigin` is `undefined`. K2 sometimes names resources without the
 * `/api/vN` prefix; the request's version is put back, since only `/api/v1` and `/api/v2` paths
 * pass the proxy. A location on another origin is left as it is.
 */
export function locationForCaller(
  location: string,
  k2Origin: string,
  proxyOrigin: string | undefined,
  version: "v1" | "v2",
): string {
  let pathname: string;
  let search: string;
  const plain = PLAIN_TARGET.exec(location.startsWith(k2Origin) ? location.slice(k2Origin.length) : location);
  if (plain) {
    [, pathname = "", search = ""] = plain;
  } else {
    let url: URL;
    try {
      url = new URL(location, k2Origin);
    } catch {
      return location;
    }
    if (url.origin !== k2Origin) return location;
    ({ pathname, search } = url);
  }
  const path = /^\/api\/v[12]\//.test(pathname) ? pathname : `/api/${version}${pathname}`;
  return `${proxyOrigin ?? ""}${path}${search}`;
}

/**
 * A path and query the URL parser would give back as they are (plain segments, no dot segments,
 * escapes, fragment or empty query), as K2 writes its own: read without parsing.
 */
const PLAIN_TARGET = /^((?:\/[A-Za-z0-9_-]+)+\/?)(\?[A-Za-z0-9_.~=&%+-]+)?$/;
