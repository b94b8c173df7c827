/**
 * The default token cache: memory of this isolate or process.
 *
 * @module
 */
import type { TokenSet } from "../oauth/token-set.ts";
import type { TokenCache } from "./token-cache.ts";

/**
 * The default {@link TokenCache}: a `Map` in this isolate or process. Share one instance between
 * clients to let them share tokens.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749#section-5.1 | RFC 6749, section 5.1 (expires_in)}
 * @example
 * ```ts
 * const cache = new MemoryTokenCache();
 * const a = new K2Client({ clientId, clientSecret, cache });
 * const b = new K2Client({ clientId, clientSecret, cache }); // reuses a's token
 * ```
 */
export class MemoryTokenCache implements TokenCache {
  readonly #entries = new Map<string, { token: TokenSet; expiresAt: number }>();
  readonly #now: () => number;

  /** @param options.now - the clock, in epoch milliseconds; injectable for tests. */
  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
  }

  async get(key: string): Promise<TokenSet | undefined> {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (this.#now() >= entry.expiresAt) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.token;
  }

  async set(key: string, token: TokenSet, ttlSeconds?: number): Promise<void> {
    const expiresAt = ttlSeconds === undefined ? Number.POSITIVE_INFINITY : this.#now() + ttlSeconds * 1000;
    this.#entries.set(key, { token, expiresAt });
  }

  async delete(key: string): Promise<void> {
    this.#entries.delete(key);
  }
}
