/**
 * Who may call the edge: callers presenting one of the configured keys as a bearer token. The
 * presented key is read once per request and hashed once per isolate; every feature that needs to
 * know the caller (the proxy, the inbox's events, idempotency scopes) takes the {@link Caller} this
 * makes.
 */
import { parseKeyPolicies, type KeyPolicy } from "./key-policies.ts";
import { sha256, toHex } from "./sha256.ts";
import { ConfigError, settingsOf } from "./settings.ts";

export interface CallerEnv {
  /**
   * Full-access caller keys, comma-separated, each `id:key` (the id names the caller, the same
   * across a rotation) or a bare key; two keys under one id during a rotation.
   */
  PROXY_KEYS?: string;
  /** Scoped keys: a JSON array of policies, each key stored as its digest (key-policies.ts). */
  PROXY_KEY_POLICIES?: string;
}

/** An authenticated caller. */
export interface Caller {
  /** The id its key was configured under, if any: what logs name, never the key. */
  readonly id: string | undefined;
  /** Lowercase hex SHA-256 of the key it presented: names it without holding the key. */
  readonly keyDigest: string;
  /**
   * The caller's stable name for what it owns (idempotency keys): `id:<id>` when its key has an
   * id, so that a rotation keeps it, else its key's digest.
   */
  readonly scope: string;
  /** What a scoped key may do; `undefined` for a full-access key of `PROXY_KEYS`. */
  readonly policy: KeyPolicy | undefined;
}

/** A configured key: its id (if any), the digest it is compared by, and its policy when scoped. */
export interface ConfiguredKey {
  id: string | undefined;
  digest: ArrayBuffer;
  policy?: KeyPolicy;
}

export const MIN_PROXY_KEY_LENGTH = 16;

/** What a key may be made of: visible ASCII, as `Bearer <key>` is read below. */
const BEARER_KEY = /^[\x21-\x7e]+$/;

// RFC 9110 section 11.1: the scheme name is case-insensitive.
const BEARER = /^Bearer ([\x21-\x7e]+)$/i;

/** The credential of `Authorization: Bearer <credential>`, if the request carries one. */
export const bearerOf = (request: Request): string | undefined =>
  BEARER.exec(request.headers.get("authorization") ?? "")?.[1];

/** The caller presenting a configured key as `Authorization: Bearer`, or `undefined`. */
export async function authenticate(request: Request, env: CallerEnv): Promise<Caller | undefined> {
  const presented = bearerOf(request);
  return presented === undefined ? undefined : callerOfKey(presented, env);
}

/**
 * The caller a key stands for, or `undefined` when it is none of the configured keys (presented as
 * a bearer, or as an OAuth client secret). Digests of equal length are compared in constant time,
 * which reveals neither a key's bytes nor its length; every configured key is compared, whichever
 * matches.
 */
export async function callerOfKey(presented: string, env: CallerEnv): Promise<Caller | undefined> {
  const configured = await callerKeys(env);
  const known = knownCallers(env);
  const caller = known.get(presented);
  if (caller) return caller;
  const digest = await sha256(presented);
  let match: ConfiguredKey | undefined;
  for (const key of configured) if (equalDigests(digest, key.digest)) match ??= key;
  if (!match) return undefined;
  const matched = callerOf(match, toHex(digest));
  known.set(presented, matched);
  return matched;
}

/**
 * The callers of keys already presented in this isolate, by the key itself, so that a key pays
 * its digest once per isolate rather than on every request. Only a key that matched is kept, so
 * the map holds at most one entry per configured key whatever callers send; a key that did not
 * match is digested and compared in constant time every time. Finding a key here reveals only
 * that it is valid, which the answer says anyway.
 */
const knownCallers = (env: CallerEnv): Map<string, Caller> => settingsOf(env, newCallerMap);

const newCallerMap = (): Map<string, Caller> => new Map();

/** The caller of a configured key whose digest is `keyDigest`: a key with an id is scoped by it. */
export function callerOf(key: ConfiguredKey, keyDigest: string): Caller {
  return { id: key.id, keyDigest, scope: key.id === undefined ? keyDigest : `id:${key.id}`, policy: key.policy };
}

/** The configured keys, hashed once per isolate; a malformed setting throws a ConfigError at once. */
export const callerKeys = (env: CallerEnv): Promise<ConfiguredKey[]> => settingsOf(env, configuredKeys);

function configuredKeys(env: CallerEnv): Promise<ConfiguredKey[]> {
  const policies = parseKeyPolicies(env.PROXY_KEY_POLICIES);
  const scoped = policies.map((policy) => ({ id: policy.id, digest: fromHex(policy.sha256), policy }));
  const full = policies.length > 0 && !env.PROXY_KEYS?.trim() ? [] : proxyKeys(env);
  return Promise.all([...full.map(async ({ id, key }) => ({ id, digest: await sha256(key) })), ...scoped]);
}

function fromHex(hex: string): ArrayBuffer {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes.buffer;
}

/** `id:key` when what comes before the first colon is an id; a bare key otherwise. */
const NAMED_KEY = /^([A-Za-z0-9_.-]{1,64}):(.+)$/;

function proxyKeys(env: CallerEnv): { id: string | undefined; key: string }[] {
  const raw = env.PROXY_KEYS;
  if (typeof raw !== "string" || raw.trim() === "") throw new ConfigError("PROXY_KEYS", "PROXY_KEYS is missing");
  const entries = raw.split(",").map((entry) => {
    const named = NAMED_KEY.exec(entry.trim());
    return named ? { id: named[1], key: named[2]!.trim() } : { id: undefined, key: entry.trim() };
  });
  const keys = entries.map((entry) => entry.key);
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
  return entries;
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
