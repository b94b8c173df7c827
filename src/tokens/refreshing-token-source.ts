/**
 * Acting on behalf of a user over time: a token source that starts from a stored token set and
 * refreshes it before it expires, reporting every new token set so that the application can persist it.
 *
 * @module
 */
import { InvalidInputError } from "../errors.ts";
import type { TokenSet } from "../oauth/token-set.ts";
import type { CallOptions } from "../transport/transport.ts";
import { CachedTokenSource, type CachedTokenSourceOptions } from "./cached-token-source.ts";
import type { TokenOrigin, TokenSource } from "./token-source.ts";

/** Anything that can run the refresh-token grant, such as an `OAuth2Client`. */
export interface TokenRefresher {
  refreshToken(token: TokenSet, options?: CallOptions): Promise<TokenSet>;
}

/** Settings of a {@link RefreshingTokenSource}: those of a `CachedTokenSource`, plus where to start. */
export interface RefreshingTokenSourceOptions extends Omit<CachedTokenSourceOptions, "source"> {
  /** Runs the refresh-token grant: the `OAuth2Client` that obtained `token`. */
  client: TokenRefresher;
  /** The stored token set to start from, normally with a `refreshToken`. */
  token: TokenSet;
  /**
   * Told of every new token set, before it is handed out, so that it can be persisted (with
   * rotation the previous refresh token stops working). If it rejects, this round's callers get its
   * error and the next call reports the same token set again.
   */
  onTokens?: (token: TokenSet) => void | Promise<void>;
}

/**
 * A {@link TokenSource} for one user's authorization: hands out the stored access token while it is
 * fresh, then refreshes it with the refresh token, early (the same skew and half-life rule as
 * `CachedTokenSource`) and once however many callers wait. A refresh answer without a
 * `refresh_token` keeps the previous one. A token without expiry (Copper's) is never refreshed.
 *
 * Built on `CachedTokenSource`, so a caller's `AbortSignal` cancels only its own wait and an
 * optional shared `TokenCache` (with a per-user `cacheKey`) lets isolates share the user's tokens;
 * a token set found there is adopted, refresh token included.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749#section-6 | RFC 6749, section 6}
 * @example
 * ```ts
 * const tokens = new RefreshingTokenSource({
 *   client: oauth,
 *   token: JSON.parse(await env.TOKENS.get(userId)),
 *   onTokens: (token) => env.TOKENS.put(userId, JSON.stringify(token)),
 * });
 * const response = await fetch(api, { headers: { authorization: `Bearer ${await tokens.getAccessToken()}` } });
 * ```
 */
export class RefreshingTokenSource implements TokenSource {
  readonly #client: TokenRefresher;
  readonly #onTokens: (token: TokenSet) => void | Promise<void>;
  readonly #cached: CachedTokenSource;
  #latest: TokenSet;
  /** The access token a caller reported as refused: stale whatever its expiry says. */
  #refused: string | undefined;
  /** The latest token set has not yet been accepted by `onTokens`. */
  #unreported = false;

  constructor(options: RefreshingTokenSourceOptions) {
    if (typeof options?.token?.accessToken !== "string" || options.token.accessToken === "") {
      throw new InvalidInputError("token must be a stored token set with an accessToken");
    }
    if (options.cache && options.cacheKey === undefined) {
      // The default key is shared by every source: one user's tokens would be handed to another.
      throw new InvalidInputError("cacheKey is required with a cache: one key per user's authorization");
    }
    if (options.client === undefined || typeof options.client.refreshToken !== "function") {
      throw new InvalidInputError("client must be able to refresh tokens (an OAuth2Client)");
    }
    this.#client = options.client;
    this.#onTokens = options.onTokens ?? (() => {});
    this.#latest = options.token;
    const { client: _client, token: _token, onTokens: _onTokens, ...cacheOptions } = options;
    this.#cached = new CachedTokenSource({ ...cacheOptions, source: { getToken: () => this.#next() } });
  }

  /** The newest token set known, refresh token included: what to persist. */
  get tokenSet(): TokenSet {
    return this.#latest;
  }

  /** A valid token set, refreshed first when needed. */
  async getToken(options?: CallOptions): Promise<TokenSet> {
    return (await this.resolve(options)).token;
  }

  /** Just the access token string. */
  async getAccessToken(options?: CallOptions): Promise<string> {
    return (await this.resolve(options)).token.accessToken;
  }

  /** Like {@link getToken}, and says which tier served it. */
  async resolve(options?: CallOptions): Promise<{ token: TokenSet; origin: TokenOrigin }> {
    const result = await this.#cached.resolve(options);
    // Another isolate sharing the cache may have refreshed (and rotated the refresh token).
    if (result.origin === "cache" && result.token.refreshToken) this.#latest = result.token;
    return result;
  }

  /**
   * Forgets the access token (after the API refused it with 401), so that the next call refreshes
   * even though its expiry has not come. Given a token that was already replaced, does nothing.
   */
  async invalidate(accessToken?: string): Promise<void> {
    if (accessToken === undefined || accessToken === this.#latest.accessToken) this.#refused = this.#latest.accessToken;
    await this.#cached.invalidate(accessToken);
  }

  /** The source behind the cache: the stored token while usable, else a refresh. Never concurrent. */
  async #next(): Promise<TokenSet> {
    let token = this.#latest;
    if (token.accessToken === this.#refused || !this.#cached.isFresh(token)) {
      if (!token.refreshToken) {
        throw new InvalidInputError(
          "The access token is no longer usable and there is no refresh token: authorize again",
        );
      }
      token = await this.#client.refreshToken(token);
      this.#latest = token;
      this.#refused = undefined;
      this.#unreported = true;
    }
    if (this.#unreported) {
      await this.#onTokens(token);
      this.#unreported = false;
    }
    return token;
  }
}
