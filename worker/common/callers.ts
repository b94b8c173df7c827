/**
 * Who may call the edge: callers presenting one of the configured keys as a bearer token. The
 * presented key is read and hashed once per request; every feature that needs to know the caller
 * (the proxy, the inbox's events, idempotency scopes) takes the {@link Caller} this makes.
 */
import { sha256, toHex } from "./sha256.ts";
import { ConfigError, settingsOf } from "./settings.ts";

export interface CallerEnv {
  /** One or more caller keys, comma-separated, so that keys can be rotated without downtime. */
  PROXY_KEYS?: string;
}

/** An authenticated caller. */
export interface Caller {
  /** Lowercase hex SHA-256 of the key it presented: names it without holding the key. */
  readonly keyDigest: string;
}

export const MIN_PROXY_KEY_LENGTH = 16;

/** What a key may be made of: visible ASCII, as `Bearer <key>` is read below. */
const BEARER_KEY = /^[\x21-\x7e]+$/;

// RFC 9110 section 11.1: the scheme name is case-insensitive.
const BEARER = /^Bearer ([\x21-\x7e]+)$/i;

/**
 * The caller, or `undefined` when the request carries none of the configured keys. Digests of
 * equal length are compared in constant time, which reveals neither a key's bytes nor its length;
 * every configured key is compared, whichever matches.
 */
export async function authenticate(request: Request, env: CallerEnv): Promise<Caller | undefined> {
  const digests = await callerKeyDigests(env);
  const presented = BEARER.exec(request.headers.get("authorization") ?? "")?.[1];
  if (presented === undefined) return undefined;
  const digest = await sha256(presented);
  let matches = 0;
  for (const configured of digests) if (equalDigests(digest, configured)) matches++;
  return matches > 0 ? { keyDigest: toHex(digest) } : undefined;
}

/** The configured keys' digests, hashed once per isolate; a malformed setting throws a ConfigError at once. */
export const callerKeyDigests = (env: CallerEnv): Promise<ArrayBuffer[]> => settingsOf(env, configuredKeyDigests);

function configuredKeyDigests(env: CallerEnv): Promise<ArrayBuffer[]> {
  return Promise.all(proxyKeys(env).map(sha256));
}

function proxyKeys(env: CallerEnv): string[] {
  const raw = env.PROXY_KEYS;
  if (typeof raw !== "string" || raw.trim() === "") throw new ConfigError("PROXY_KEYS", "PROXY_KEYS is missing");
  const keys = raw.split(",").map((key) => key.trim());
  if (keys.some((key) => key.length < MIN_PROXY_KEY_LENGTH)) {
    throw new ConfigError(
      "PROXY_KEYS",
      `PROXY_KEYS must be comma-separated keys of at least ${MIN_PROXY_KEY_LENGTH} characters`,
    );
  }
  // A key with a space or any other character could never match `Bearer <key>`: refused here.
  if (keys.some((key) => !BEARER_KEY.test(key))) {
    throw new ConfigError(
      "PROXY_KEYS",
      "PROXY_KEYS must hold only visible ASCII characters (no spaces or other characters) in each key",
    );
  }
  return keys;
}

function equalDigests(a: ArrayBuffer, b: ArrayBuffer): boolean {
  // Workers provide a constant-time comparison; elsewhere (tests under Node) an XOR fold does.
  const subtle = crypto.subtle as SubtleCrypto & { timingSafeEqual?: (a: ArrayBuffer, b: ArrayBuffer) => boolean };
  if (typeof subtle.timingSafeEqual === "function") return subtle.timingSafeEqual(a, b);
  const x = new Uint8Array(a);
  const y = new Uint8Array(b);
  let difference = x.length ^ y.length;
  for (let i = 0; i < x.length; i++) difference |= x[i]! ^ (y[i] ?? 0);
  return difference === 0;
}
