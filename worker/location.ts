/**
 * Rewriting K2's `Location` so that callers poll created resources through the proxy.
 */

/**
 * `location` (absolute or relative, with or without `/api/vN`) on the proxy's origin. K2 sometimes
 * names resources without the `/api/vN` prefix; the request's version is put back, since only
 * `/api/v1` and `/api/v2` paths pass the proxy. A location on another origin is left as it is.
 */
export function locationForCaller(
  location: string,
  k2Origin: string,
  proxyOrigin: string,
  version: "v1" | "v2",
): string {
  let url: URL;
  try {
    url = new URL(location, k2Origin);
  } catch {
    return location;
  }
  if (url.origin !== k2Origin) return location;
  const path = /^\/api\/v[12]\//.test(url.pathname) ? url.pathname : `/api/${version}${url.pathname}`;
  return `${proxyOrigin}${path}${url.search}`;
}
