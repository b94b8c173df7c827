/**
 * The one table of hostile URLs for the one origin guard (src/transport/origin.ts), used by every
 * caller of it: `k2.fetch` and `k2.request`, the K2 API calls, Copper's `apiFetch`, and the
 * configured base URLs (K2Client's `baseUrl`, Copper's `apiBaseUrl`, the OAuth endpoints and the
 * Worker's `K2_BASE_URL`). No Node imports: the Worker's tests read it inside workerd.
 *
 * `target` rows are where a request carrying a token must never go, given a base on
 * `http://127.0.0.1:<port>`; `base` rows are never accepted as a configured base URL.
 */
export interface HostileUrl {
  readonly url: string;
  readonly why: string;
  /** Refused as the target of a request with a token, against a base on loopback. */
  readonly target: boolean;
  /** Refused as a configured base URL. */
  readonly base: boolean;
}

export const HOSTILE_URLS: readonly HostileUrl[] = [
  { url: "https://evil.example/api/v2/incoming_payments/x", why: "another host", target: true, base: false },
  { url: "//evil.example/api/v2/x", why: "protocol-relative: another host", target: true, base: true },
  { url: "///evil.example/x", why: "three slashes still name a host", target: true, base: true },
  { url: " //evil.example/x", why: "leading space, stripped by URL parsers", target: true, base: true },
  { url: "\t//evil.example/x", why: "leading tab, stripped by URL parsers", target: true, base: true },
  { url: "/\\evil.example/x", why: "a backslash reads as a slash", target: true, base: true },
  { url: "\\\\evil.example\\x", why: "backslashes only", target: true, base: true },
  { url: "HTTPS://EVIL.EXAMPLE/x", why: "another host, in capitals", target: true, base: false },
  { url: "https://127.0.0.1.evil.example/x", why: "a host that starts like ours", target: true, base: false },
  { url: "http://127.0.0.1@evil.example/x", why: "our host as userinfo of another", target: true, base: true },
  { url: "http://127.0.0.2:1/x", why: "another loopback address", target: true, base: false },
  { url: "http://[::1]:1/x", why: "IPv6 loopback, another port", target: true, base: false },
  { url: "http://evil.example", why: "plain http to a remote host", target: true, base: true },
  { url: "http://sandbox.kopokopo.com", why: "plain http to K2 itself", target: true, base: true },
  { url: "https://user:password@evil.example", why: "credentials in the URL", target: true, base: true },
  { url: "ftp://evil.example/x", why: "not http(s)", target: true, base: true },
  { url: "javascript:alert(1)", why: "a script URL", target: true, base: true },
  { url: "data:text/plain,token", why: "a data URL", target: true, base: true },
  { url: "file:///etc/passwd", why: "a file URL", target: true, base: true },
  { url: "https://sandbox.kopokopo.com/#x", why: "a fragment in a base", target: true, base: true },
  { url: "sandbox.kopokopo.com", why: "not an absolute URL", target: false, base: true },
  { url: "", why: "empty", target: true, base: false },
];

export const HOSTILE_TARGETS = HOSTILE_URLS.filter((row) => row.target);
export const HOSTILE_BASES = HOSTILE_URLS.filter((row) => row.base);
