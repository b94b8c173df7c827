/**
 * Edge tokens: what `POST /oauth/token` answers a key's id and key with, in place of a K2 token,
 * which never leaves the edge. A token is self-contained, so any isolate verifies it without a
 * round trip: `k2edge_<payload>.<mac>`, both base64url, the payload `{"jti","kid","iat","exp"}`.
 *
 * The MAC is HMAC-SHA256 over the payload *and the digest of the key the token was issued to*;
 * the digest is not in the token. So a token verifies only while that very key is configured:
 * removing or rotating the key ends its tokens at once, and the token tells its holder nothing
 * about the key.
 *
 * The HMAC key is derived with HKDF from `K2_CLIENT_SECRET`: every isolate holds it already, so a
 * move of the K2 secret to the edge needs no new secret, and anyone able to read it could call K2
 * directly anyway. HKDF keeps the two uses apart (the derived key reveals nothing of the secret);
 * rotating the K2 secret ends every edge token, which callers get again as they would from K2.
 */
import { callerKeys, callerOf, type Caller, type CallerEnv } from "../common/callers.ts";
import type { K2Env } from "../common/k2-settings.ts";
import { toHex } from "../common/sha256.ts";
import { requiredText, settingsOf } from "../common/settings.ts";

/**
 * An edge token lasts an hour, as K2's own do: existing apps may cache a token for the hour K2
 * documents, and moving to the edge must not break them. The lifetime is not what bounds a leaked
 * token here: every use checks the key is still configured and the token not revoked.
 */
export const EDGE_TOKEN_LIFETIME_SECONDS = 3600;

const PREFIX = "k2edge_";
/** Longest token read: a 64-character key id makes about 200; anything far longer is not ours. */
const MAX_TOKEN_LENGTH = 512;
const TOKEN_SHAPE = /^k2edge_([A-Za-z0-9_-]{1,400})\.([A-Za-z0-9_-]{43})$/;

/** What an edge token says, once its MAC is checked. */
export interface EdgeTokenClaims {
  /** The token's own id: what a revocation stores, never the token. */
  readonly jti: string;
  /** The id of the key it was issued to: the OAuth client_id. */
  readonly kid: string;
  /** Issued at, Unix seconds. */
  readonly iat: number;
  /** Expires at, Unix seconds. */
  readonly exp: number;
}

/** A verified token: its claims and the caller it stands for (the key's own id, scope and policy). */
export interface VerifiedEdgeToken {
  readonly claims: EdgeTokenClaims;
  readonly caller: Caller;
}

export type SigningEnv = K2Env & CallerEnv;

/** Whether `value` is shaped like an edge token (cheap: no MAC checked). */
export const looksLikeEdgeToken = (value: string): boolean =>
  value.length <= MAX_TOKEN_LENGTH && value.startsWith(PREFIX);

/** A new edge token for `caller`, a key that has an id; `now` in milliseconds. */
export async function issueEdgeToken(
  env: SigningEnv,
  caller: Caller & { id: string },
  now = Date.now(),
): Promise<{ token: string; claims: EdgeTokenClaims }> {
  const iat = Math.floor(now / 1000);
  const claims: EdgeTokenClaims = {
    jti: base64url(crypto.getRandomValues(new Uint8Array(16))),
    kid: caller.id,
    iat,
    exp: iat + EDGE_TOKEN_LIFETIME_SECONDS,
  };
  const payload = base64url(encoder.encode(JSON.stringify(claims)));
  const mac = await crypto.subtle.sign("HMAC", await signingKey(env), macInput(payload, caller.keyDigest));
  return { token: `${PREFIX}${payload}.${base64url(new Uint8Array(mac))}`, claims };
}

/**
 * The token's claims and caller when its MAC holds for a key configured now under its `kid` and it
 * has not expired at `now` (milliseconds); else `undefined`. Revocation is the client's to check.
 * `expired` tells an expired token from one that was never valid, for the answers that say which.
 */
export async function verifyEdgeToken(
  env: SigningEnv,
  token: string,
  now = Date.now(),
): Promise<(VerifiedEdgeToken & { expired: boolean }) | undefined> {
  if (!looksLikeEdgeToken(token)) return undefined;
  const parts = TOKEN_SHAPE.exec(token);
  if (!parts) return undefined;
  const claims = claimsOf(parts[1]!);
  if (!claims) return undefined;
  const mac = fromBase64url(parts[2]!);
  const key = await signingKey(env);
  // During a rotation two keys share an id: the token is the one whose digest its MAC covers.
  for (const configured of await callerKeys(env)) {
    if (configured.id !== claims.kid) continue;
    const keyDigest = toHex(configured.digest);
    // verify() compares in constant time.
    if (!(await crypto.subtle.verify("HMAC", key, mac, macInput(parts[1]!, keyDigest)))) continue;
    // The same caller the key itself stands for.
    return { claims, caller: callerOf(configured, keyDigest), expired: now >= claims.exp * 1000 };
  }
  return undefined;
}

const encoder = new TextEncoder();

/** The bytes the MAC covers: a label (so no other HMAC of this key is a token), the payload, the key's digest. */
const macInput = (payload: string, keyDigest: string): Uint8Array =>
  encoder.encode(`k2-edge-token-v1\n${payload}\n${keyDigest}`);

const signingKey = (env: SigningEnv): Promise<CryptoKey> => settingsOf(env, deriveSigningKey);

async function deriveSigningKey(env: SigningEnv): Promise<CryptoKey> {
  const secret = requiredText(env.K2_CLIENT_SECRET, "K2_CLIENT_SECRET");
  const material = await crypto.subtle.importKey("raw", encoder.encode(secret), "HKDF", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    {
      name: "HKDF",
      hash: "SHA-256",
      salt: encoder.encode("k2-connect-edge"),
      info: encoder.encode("edge-oauth token signing v1"),
    },
    material,
    { name: "HMAC", hash: "SHA-256", length: 256 },
    false,
    ["sign", "verify"],
  );
}

function claimsOf(payload: string): EdgeTokenClaims | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(fromBase64url(payload)));
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const { jti, kid, iat, exp } = parsed as Record<string, unknown>;
  if (typeof jti !== "string" || typeof kid !== "string" || !Number.isInteger(iat) || !Number.isInteger(exp))
    return undefined;
  return { jti, kid, iat: iat as number, exp: exp as number };
}

function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64url(text: string): Uint8Array {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}
