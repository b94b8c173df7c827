/**
 * Where tokens are kept between requests. {@link TokenCache} is the seam: memory by default, Workers
 * KV, Redis or a database by implementing three async methods.
 *
 * @module
 */
import type { TokenSet } from "../oauth/token-set.ts";

/**
 * A store for token sets, shared by every client that uses the same key. Implementations may be
 * eventually consistent (like Workers KV): a stale read costs at most one extra token request.
 *
 * @example A Workers KV cache
 * ```ts
 * const kvCache: TokenCache = {
 *   get: async (key) => (await env.TOKEN_CACHE.get(key, "json")) ?? undefined,
 *   set: async (key, token, ttlSeconds) => {
 *     if (ttlSeconds !== undefined && ttlSeconds < 60) return; // KV's shortest expiry
 *     await env.TOKEN_CACHE.put(key, JSON.stringify(token), { expirationTtl: ttlSeconds });
 *   },
 *   delete: (key) => env.TOKEN_CACHE.delete(key),
 * };
 * ```
 */
export interface TokenCache {
  /** The token stored under `key`, or `undefined`. */
  get(key: string): Promise<TokenSet | undefined>;
  /** Stores `token` under `key` for `ttlSeconds` (no expiry when `undefined`). */
  set(key: string, token: TokenSet, ttlSeconds?: number): Promise<void>;
  /** Forgets `key`. */
  delete(key: string): Promise<void>;
}
