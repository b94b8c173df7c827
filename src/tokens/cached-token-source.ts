/**
 * The caching wrapper that makes any token source cheap and safe under concurrency.
 *
 * @module
 */
import { InvalidInputError } from "../errors.ts";
import type { TokenSet } from "../oauth/token-set.ts";
import type { CallOptions } from "../transport/transport.ts";
import type { TokenCache } from "./token-cache.ts";
import type { TokenOrigin, TokenSource } from "./token-source.ts";

/** Settings of a {@link CachedTokenSource}. */
export interface CachedTokenSourceOptions {
  /** Where new tokens come from. */
  source: TokenSource;
  /** A shared second tier (KV, Redis, another client's memory). Default: none, memory only. */
  cache?: TokenCache;
  /**
   * The key under which the token is kept in `cache`. Must not contain a secret. A function is
   * called once, when the cache is first used, so that a key costing a hash is not paid for before.
   */
  cacheKey?: string | Promise<string> | (() => string | Promise<string>);
  /**
   * Renew this many seconds before expiry (default 60). For a token that lives less than twice
   * this long, it is renewed at half its life instead, so it is never stale on arrival.
   */
  expirySkewSeconds?: number;
  /** The clock, in epoch milliseconds. Injectable so that expiry can be tested without sleeping. */
  now?: () => number;
  /** Told about a failing cache; the token is then served from memory or fetched. Default: ignored. */
  onCacheError?: (error: unknown, operation: "get" | "set" | "delete") => void;
}

/**
 * Reuses a token until it nears expiry, in two tiers (this object's memory, then an optional shared
 * {@link TokenCache}), and lets any number of concurrent callers share a single request for a new
 * one. A failed request rejects every waiter with the same error and is not remembered: the next
 * call tries again.
 *
 * @see {@link https://pkg.go.dev/golang.org/x/oauth2#ReuseTokenSource | golang.org/x/oauth2 ReuseTokenSource}
 * @example
 * ```ts
 * const tokens = new CachedTokenSource({
 *   source: { getToken: (o) => oauth.clientCredentials(o) },
 *   cache: new MemoryTokenCache(),
 *   cacheKey: "my-app:token",
 * });
 * const accessToken = await tokens.getAccessToken();
 * ```
 */
export class CachedTokenSource implements TokenSource {
  readonly #source: TokenSource;
  readonly #cache: TokenCache | undefined;
  readonly #cacheKeyOption: NonNullable<CachedTokenSourceOptions["cacheKey"]>;
  #cacheKey: string | Promise<string> | undefined;
  readonly #skewMs: number;
  readonly #now: () => number;
  readonly #onCacheError: NonNullable<CachedTokenSourceOptions["onCacheError"]>;
  #current: TokenSet | undefined;
  /** When the held token stops being handed out (epoch ms), fixed when it is taken. */
  #freshUntil = Number.NEGATIVE_INFINITY;
  /** The held access token as an already resolved promise: a warm call allocates nothing. */
  #warmAccessToken: Promise<string> | undefined;
  #inFlight: Promise<{ token: TokenSet; origin: TokenOrigin }> | undefined;
  /**
   * Access tokens the resource server refused: never handed out again, even when a cache still
   * holds one (another isolate's copy, a delete not yet done). Refusals come one per rotation, so a
   * few are plenty; an expired token is never handed out anyway.
   */
  readonly #refused = new Set<string>();
  /** The last refused access token, told to the source by the renewal that follows it. */
  #lastRefused: string | undefined;

  constructor(options: CachedTokenSourceOptions) {
    const skew = options.expirySkewSeconds ?? 60;
    if (typeof skew !== "number" || !Number.isFinite(skew) || skew < 0) {
      throw new InvalidInputError(`expirySkewSeconds must be a finite number >= 0, got ${String(skew)}`);
    }
    this.#source = options.source;
    this.#cache = options.cache;
    this.#cacheKeyOption = options.cacheKey ?? "k2-connect-edge:token";
    this.#skewMs = skew * 1000;
    this.#now = options.now ?? Date.now;
    this.#onCacheError = options.onCacheError ?? (() => {});
  }

  /** A valid token: from memory, else from the cache, else from the source (one request at a time). */
  async getToken(options?: CallOptions): Promise<TokenSet> {
    return (await this.resolve(options)).token;
  }

  /** Just the access token string. A warm call does no I/O and allocates no timers. */
  getAccessToken(options?: CallOptions): Promise<string> {
    if (this.#now() < this.#freshUntil) return this.#warmAccessToken!;
    return this.resolve(options).then((result) => result.token.accessToken);
  }

  /** Like {@link getToken}, and says which tier served it (for logs and metrics). */
  resolve(options?: CallOptions): Promise<{ token: TokenSet; origin: TokenOrigin }> {
    const current = this.#current;
    if (current && this.#now() < this.#freshUntil) return Promise.resolve({ token: current, origin: "memory" });
    if (options?.signal?.aborted) return Promise.reject(options.signal.reason);
    // A shared renewal that began before a refusal may end with the refused token: renew again.
    const shared = this.#shared().then((result) => (this.#isRefused(result.token) ? this.#shared() : result));
    return untilAborted(shared, options?.signal);
  }

  #shared(): Promise<{ token: TokenSet; origin: TokenOrigin }> {
    return (this.#inFlight ??= this.#renew().finally(() => {
      this.#inFlight = undefined;
    }));
  }

  /** The token held now (memory, then cache) without requesting one; stale tokens included. */
  async peek(): Promise<TokenSet | undefined> {
    return this.#current ?? (await this.#cacheGet());
  }

  /**
   * Forgets the token, in memory and in the cache, so that the next call fetches a new one. Given
   * the access token that was refused, it forgets only that one (a token another caller has already
   * renewed is kept), and never hands it out again until it expires, wherever it is read from: a
   * caller that retries after a 401 gets a different token. The renewal that follows tells the
   * source which token was refused (`TokenRequestOptions.refused`).
   */
  async invalidate(accessToken?: string): Promise<void> {
    const refused = accessToken ?? this.#current?.accessToken;
    if (refused !== undefined) this.#refuse((this.#lastRefused = refused));
    if (accessToken === undefined || this.#current?.accessToken === accessToken) this.#hold(undefined);
    if (!this.#cache) return;
    if (accessToken !== undefined) {
      const stored = await this.#cacheGet();
      if (stored?.accessToken !== accessToken) return;
    }
    try {
      await this.#cache.delete(await this.#key());
    } catch (error) {
      this.#onCacheError(error, "delete");
    }
  }

  /** Whether `token` is still good to hand out, allowing for the renewal margin. */
  isFresh(token: TokenSet): boolean {
    return this.#now() < this.#renewAt(token);
  }

  /** When `token` must be renewed: `expirySkewSeconds` early, or at half-life for a short token. */
  #renewAt(token: TokenSet): number {
    if (token.expiresAt === undefined) return Number.POSITIVE_INFINITY;
    const lifetimeMs = (token.expiresIn ?? 0) * 1000;
    return token.expiresAt - Math.min(this.#skewMs, lifetimeMs / 2);
  }

  #refuse(accessToken: string): void {
    this.#refused.add(accessToken);
    if (this.#refused.size > MAX_REFUSED_TOKENS) this.#refused.delete(this.#refused.values().next().value!);
  }

  #isRefused(token: TokenSet): boolean {
    return this.#refused.has(token.accessToken);
  }

  #key(): string | Promise<string> {
    const option = this.#cacheKeyOption;
    return (this.#cacheKey ??= typeof option === "function" ? option() : option);
  }

  /** Makes `token` the one handed out from memory (or forgets it). */
  #hold(token: TokenSet | undefined): void {
    this.#current = token;
    this.#freshUntil = token ? this.#renewAt(token) : Number.NEGATIVE_INFINITY;
    this.#warmAccessToken = token ? Promise.resolve(token.accessToken) : undefined;
  }

  async #renew(): Promise<{ token: TokenSet; origin: TokenOrigin }> {
    const refused = this.#lastRefused;
    this.#lastRefused = undefined;
    const cached = await this.#cacheGet();
    if (cached && this.isFresh(cached) && !this.#isRefused(cached)) {
      this.#hold(cached);
      return { token: cached, origin: "cache" };
    }
    // The shared request runs without any caller's signal: one caller giving up must not fail the
    // others. Its own deadline (the transport's timeout) bounds it. A source shared by many
    // caches is told which token was refused, so that it renews once however many report it.
    const token = await this.#source.getToken(refused === undefined ? undefined : { refused });
    // The server handing out a refused token again vouches for it anew.
    this.#refused.delete(token.accessToken);
    this.#hold(token);
    await this.#cacheSet(token);
    return { token, origin: "fetched" };
  }

  async #cacheGet(): Promise<TokenSet | undefined> {
    if (!this.#cache) return undefined;
    try {
      const stored = await this.#cache.get(await this.#key());
      // A shared store may hold anything (another version's format, a hand edit): use only what
      // looks like a token set.
      return stored && typeof stored.accessToken === "string" && stored.accessToken ? stored : undefined;
    } catch (error) {
      this.#onCacheError(error, "get");
      return undefined;
    }
  }

  async #cacheSet(token: TokenSet): Promise<void> {
    if (!this.#cache) return;
    const ttlSeconds = token.expiresAt === undefined ? undefined : Math.floor((token.expiresAt - this.#now()) / 1000);
    if (ttlSeconds !== undefined && ttlSeconds <= 0) return;
    try {
      await this.#cache.set(await this.#key(), token, ttlSeconds);
    } catch (error) {
      this.#onCacheError(error, "set");
    }
  }
}

const MAX_REFUSED_TOKENS = 8;

/** `promise`, or a rejection with the signal's reason as soon as `signal` aborts; `promise` runs on. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}
