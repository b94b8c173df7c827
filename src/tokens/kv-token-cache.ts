/**
 * Cloudflare Workers KV as a shared token tier.
 *
 * @module
 */
import type { TokenSet } from "../oauth/token-set.ts";
import type { TokenCache } from "./token-cache.ts";

/** KV refuses an `expirationTtl` under 60 seconds. */
const KV_MIN_TTL_SECONDS = 60;

/** The part of a Workers `KVNamespace` binding this cache uses (so no Workers types are needed). */
export interface KvNamespaceLike {
  get(key: string, type: "json"): Promise<unknown>;
  put(key: string, value: string, options?: { expirationTtl?: number }): Promise<void>;
  delete(key: string): Promise<void>;
}

/**
 * A {@link TokenCache} on a Workers KV namespace. Entries expire with the token; a token with less
 * than KV's 60-second minimum TTL left is not written (the next isolate fetches its own rather than
 * read a token about to die). KV is eventually consistent, so another location may briefly read an
 * older token: at worst one extra token request, or one 401 followed by a replay.
 *
 * @see {@link https://developers.cloudflare.com/kv/api/write-key-value-pairs/ | Cloudflare KV: expiring keys}
 * @example
 * ```ts
 * const cache = new KvTokenCache(env.TOKEN_CACHE);
 * const k2 = new K2Client({ clientId: env.K2_CLIENT_ID, clientSecret: env.K2_CLIENT_SECRET, cache });
 * ```
 */
export class KvTokenCache implements TokenCache {
  readonly #kv: KvNamespaceLike;

  constructor(kv: KvNamespaceLike) {
    this.#kv = kv;
  }

  async get(key: string): Promise<TokenSet | undefined> {
    return ((await this.#kv.get(key, "json")) as TokenSet | null) ?? undefined;
  }

  async set(key: string, token: TokenSet, ttlSeconds?: number): Promise<void> {
    if (ttlSeconds !== undefined && ttlSeconds < KV_MIN_TTL_SECONDS) return;
    await this.#kv.put(key, JSON.stringify(token), ttlSeconds === undefined ? {} : { expirationTtl: ttlSeconds });
  }

  async delete(key: string): Promise<void> {
    await this.#kv.delete(key);
  }
}
