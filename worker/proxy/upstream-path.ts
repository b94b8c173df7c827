/**
 * Which paths may reach K2. The upstream URL is always the pinned K2 origin plus a path that
 * passed this check, so no path trick can point the proxy at another host or outside the API.
 */

// Every K2 API path is made of plain segments: resource names, UUIDs, `cancel`. Anything else (dots,
// percent-encodings, backslashes, `@`, empty segments from `//`) is refused outright, which closes
// every encoding trick at once instead of decoding and hoping to catch them all.
const API_PATH = /^\/api\/v[12](?:\/[A-Za-z0-9_-]+)+$/;

/** The path to forward, or `undefined` when the request must not reach K2. */
export function upstreamPath(requestUrl: string): string | undefined {
  const pathname = rawPathname(requestUrl);
  return pathname !== undefined && API_PATH.test(pathname) ? pathname : undefined;
}

/**
 * The path as the caller sent it. `new URL()` would resolve `..` and turn `\` into `/` before we
 * could see them; reading the raw text lets such requests be refused rather than rewritten.
 */
function rawPathname(requestUrl: string): string | undefined {
  const afterScheme = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(requestUrl);
  if (!afterScheme) return undefined;
  const rest = requestUrl.slice(afterScheme[0].length);
  const end = rest.search(/[?#]/);
  return end === -1 ? rest : rest.slice(0, end);
}

/** The `/api/vN` version of an allowed path. */
export function apiVersion(path: string): "v1" | "v2" {
  return path.startsWith("/api/v1/") ? "v1" : "v2";
}
