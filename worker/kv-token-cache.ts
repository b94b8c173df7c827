/**
 * Workers KV as the shared token tier behind each isolate's memory.
 */
import type { TokenCache, TokenSet } from "../src/index.js";

/** KV refuses an `expirationTtl` under 60 seconds. */
export const KV_MIN_TTL_SECONDS = 60;

/**
 * A {@link TokenCache} on a KV namespace. Entries expire with the token; a token with less than
 * KV's minimum TTL left is not written (the next isolate fetches its own rather than read a token
 * about to die). KV is eventually consistent, so another location may briefly read an older token:
 * at worst one extra token request, or one 401 followed by a replay.
 */
export class KvTokenCache implements TokenCache {
  constructor(private readonly kv: KVNamespace) {}

  async get(key: string): Promise<TokenSet | undefined> {
    return (await this.kv.get<TokenSet>(key, "json")) ?? undefined;
  }

  async set(key: string, token: TokenSet, ttlSeconds?: number): Promise<void> {
    if (ttlSeconds !== undefined && ttlSeconds < KV_MIN_TTL_SECONDS) return;
    await this.kv.put(key, JSON.stringify(token), ttlSeconds === undefined ? {} : { expirationTtl: ttlSeconds });
  }

  async delete(key: string): Promise<void> {
    await this.kv.delete(key);
  }
}
