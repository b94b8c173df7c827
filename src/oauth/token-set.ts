/**
 * The token set: what a token endpoint grants, with its expiry fixed at the moment it arrived.
 *
 * @module
 */
import {
  type ErrorDialect,
  errorFromExchange,
  instantMs,
  jsonObject,
  oauthErrorIn,
  unexpected,
} from "../transport/answer.ts";
import type { Redact } from "../transport/redaction.ts";
import type { Exchange } from "../transport/transport.ts";

/**
 * An access token and what came with it. Plain, frozen and JSON-serialisable, so any
 * `TokenCache` (memory, KV, Redis) can store it as it is.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749#section-5.1 | RFC 6749, section 5.1}
 */
export interface TokenSet {
  /** The bearer token to send as `Authorization: Bearer <accessToken>`. */
  readonly accessToken: string;
  /** The `token_type`, normally `"Bearer"`. */
  readonly tokenType: string;
  /**
   * Lifetime in seconds as granted (`expires_in`), within {@link TOKEN_LIFETIME_BOUNDS}; absent for a
   * token without expiry. `raw.expires_in` keeps what the server said.
   */
  readonly expiresIn?: number;
  /**
   * When the token expires, in milliseconds since the Unix epoch. Fixed once, when the token is
   * received: `expiresIn` after the server's `created_at` or the receipt time, whichever is earlier,
   * except that a `created_at` further than {@link TOKEN_LIFETIME_BOUNDS}`.maxClockSkewSeconds`
   * from the receipt time is not believed; absent for a token without expiry.
   */
  readonly expiresAt?: number;
  /** The server's `created_at` (ISO-8601 or Unix seconds) in milliseconds since the epoch, if sent. */
  readonly createdAt?: number;
  /** The granted `scope`, if the server said. */
  readonly scope?: string;
  /** The `refresh_token`, if one was granted. */
  readonly refreshToken?: string;
  /** The whole JSON answer, for fields this type does not name. */
  readonly raw: Readonly<Record<string, unknown>>;
}

/**
 * The limits on what a server's stated lifetime is believed. A lifetime of 0 (or a `created_at`
 * an hour behind) would mean a token request on every call, a storm against the token endpoint; a
 * lifetime of `1e20` would keep a token past any real expiry and overflow a cache's TTL. A token
 * stated to live less than the floor is held for the floor (if it was really dead, the API's 401
 * drops it); one stated to live longer than the ceiling is renewed at the ceiling.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749#section-5.1 | RFC 6749, section 5.1 (expires_in)}
 * @example
 * ```ts
 * const { expiresIn } = await k2.getToken(); // between 60 and 86 400 seconds, whatever K2 said
 * ```
 */
export const TOKEN_LIFETIME_BOUNDS: Readonly<{
  /** Shortest lifetime taken, in seconds. */
  minSeconds: number;
  /** Longest lifetime taken, in seconds (24 hours). */
  maxSeconds: number;
  /** A `created_at` further than this from the receipt time is a clock that is wrong: ignored. */
  maxClockSkewSeconds: number;
}> = Object.freeze({ minSeconds: 60, maxSeconds: 24 * 60 * 60, maxClockSkewSeconds: 5 * 60 });

/** How to read a token answer. */
export interface TokenResponseOptions {
  /** When the answer arrived, in epoch milliseconds. */
  receivedAt: number;
  /** Removes the client secret from anything quoted in an error. */
  redact: Redact;
  /** Lifetime to assume when the server sends no `expires_in` (K2 documents 3600 s). */
  defaultExpiresIn?: number | undefined;
  /** The provider's own error bodies, beside RFC 6749's. */
  dialect?: ErrorDialect | undefined;
}

/**
 * Turns a token endpoint's answer (RFC 6749, section 5) into a {@link TokenSet}, or throws the typed
 * error it stands for: `OAuth2Error` for an error body (even on HTTP 200), `UnexpectedResponseError`
 * for an answer without `access_token`, with a non-numeric `expires_in`, or that is not JSON at all.
 */
export function processTokenResponse(exchange: Exchange, options: TokenResponseOptions): TokenSet {
  const { response } = exchange;
  if (!response.ok) throw errorFromExchange(exchange, options.redact, options.dialect);
  const body = jsonObject(exchange, options.redact);
  const oauthError = oauthErrorIn(body, response.status, options.redact);
  if (oauthError) throw oauthError;

  if (typeof body.access_token !== "string" || body.access_token === "") {
    throw unexpected(`No access_token in the answer from ${exchange.url}`, exchange, options.redact);
  }
  const expiresIn = lifetime(body.expires_in, options.defaultExpiresIn);
  if (expiresIn === null) {
    throw unexpected(`expires_in from ${exchange.url} is not a number of seconds`, exchange, options.redact);
  }
  const createdAt = instantMs(body.created_at);
  // A server clock running ahead must not stretch the token's life past what we saw: count from
  // whichever is earlier, the server's created_at or our receipt. A created_at far from our clock
  // says one of the clocks is wrong, not that the token is old: count from the receipt.
  const believable =
    createdAt !== undefined &&
    Math.abs(createdAt - options.receivedAt) <= TOKEN_LIFETIME_BOUNDS.maxClockSkewSeconds * 1000;
  const start = believable ? Math.min(createdAt, options.receivedAt) : options.receivedAt;

  const token: { -readonly [K in keyof TokenSet]: TokenSet[K] } = {
    accessToken: body.access_token,
    tokenType: typeof body.token_type === "string" && body.token_type ? body.token_type : "Bearer",
    raw: Object.freeze(body),
  };
  if (expiresIn !== undefined) {
    token.expiresIn = Math.min(Math.max(expiresIn, TOKEN_LIFETIME_BOUNDS.minSeconds), TOKEN_LIFETIME_BOUNDS.maxSeconds);
    token.expiresAt = start + token.expiresIn * 1000;
  }
  if (createdAt !== undefined) token.createdAt = createdAt;
  if (typeof body.scope === "string") token.scope = body.scope;
  if (typeof body.refresh_token === "string" && body.refresh_token) token.refreshToken = body.refresh_token;
  return Object.freeze(token);
}

/** `expires_in` in seconds; `undefined` when absent and no default; `null` when unreadable. */
function lifetime(value: unknown, fallback: number | undefined): number | undefined | null {
  if (value === undefined || value === null) return fallback;
  const seconds = typeof value === "string" && /^\d+$/.test(value.trim()) ? Number(value) : value;
  return typeof seconds === "number" && Number.isFinite(seconds) && seconds >= 0 ? seconds : null;
}

/**
 * The token set after a refresh (RFC 6749, section 6): the answer, with the previous refresh token
 * when the answer has none, and the scope that was asked for (or held before) when the answer does
 * not say.
 */
export function refreshedTokenSet(answer: TokenSet, previousRefreshToken: string, scope: string | undefined): TokenSet {
  if (answer.refreshToken && (answer.scope !== undefined || scope === undefined)) return answer;
  const merged: { -readonly [K in keyof TokenSet]: TokenSet[K] } = { ...answer };
  merged.refreshToken ??= previousRefreshToken;
  if (merged.scope === undefined && scope !== undefined) merged.scope = scope;
  return Object.freeze(merged);
}
