/**
 * The token set: what a token endpoint grants, with its expiry fixed at the moment it arrived.
 *
 * @module
 */
import type { Exchange } from "./http.ts";
import { errorFromExchange, instantMs, jsonObject, oauthErrorIn, type Redact, unexpected } from "./responses.ts";

/**
 * An access token and what came with it. Plain, frozen and JSON-serialisable, so any
 * {@link TokenCache} (memory, KV, Redis) can store it as it is.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749#section-5.1 | RFC 6749, section 5.1}
 */
export interface TokenSet {
  /** The bearer token to send as `Authorization: Bearer <accessToken>`. */
  readonly accessToken: string;
  /** The `token_type`, normally `"Bearer"`. */
  readonly tokenType: string;
  /** Lifetime in seconds as granted (`expires_in`); absent for a token without expiry. */
  readonly expiresIn?: number;
  /**
   * When the token expires, in milliseconds since the Unix epoch. Fixed once, when the token is
   * received, from the server's `created_at` (or the receipt time, whichever is earlier) plus
   * `expires_in`; absent for a token without expiry.
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

/** How to read a token answer. */
export interface TokenResponseOptions {
  /** When the answer arrived, in epoch milliseconds. */
  receivedAt: number;
  /** Removes the client secret from anything quoted in an error. */
  redact: Redact;
  /** Lifetime to assume when the server sends no `expires_in` (K2 documents 3600 s). */
  defaultExpiresIn?: number;
}

/**
 * Turns a token endpoint's answer into a {@link TokenSet}, or throws the typed error it stands for:
 * {@link OAuth2Error} for an error body (even on HTTP 200), {@link UnexpectedResponseError} for an
 * answer without `access_token`, with a non-numeric `expires_in`, or that is not JSON at all.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749#section-5 | RFC 6749, section 5}
 * @example
 * ```ts
 * const response = await fetch(tokenUrl, { method: "POST", body: new URLSearchParams({ grant_type: "client_credentials" }) });
 * const token = processTokenResponse(
 *   { url: tokenUrl, response, text: await response.text() },
 *   { receivedAt: Date.now(), redact: (text) => text.replaceAll(clientSecret, "[REDACTED]") },
 * );
 * ```
 */
export function processTokenResponse(exchange: Exchange, options: TokenResponseOptions): TokenSet {
  const { response } = exchange;
  if (!response.ok) throw errorFromExchange(exchange, options.redact);
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
  // whichever is earlier, the server's created_at or our receipt.
  const start = createdAt === undefined ? options.receivedAt : Math.min(createdAt, options.receivedAt);

  const token: { -readonly [K in keyof TokenSet]: TokenSet[K] } = {
    accessToken: body.access_token,
    tokenType: typeof body.token_type === "string" && body.token_type ? body.token_type : "Bearer",
    raw: Object.freeze(body),
  };
  if (expiresIn !== undefined) {
    token.expiresIn = expiresIn;
    token.expiresAt = start + expiresIn * 1000;
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
