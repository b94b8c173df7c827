/**
 * The key under which a K2 application's token is shared.
 *
 * @module
 */

/**
 * The cache key for a K2 application: a hash, so that no identifier appears in a shared store.
 * Every `K2Client` with the same origin and client id uses this key, and so shares one token.
 *
 * @see {@link https://developer.mozilla.org/en-US/docs/Web/API/SubtleCrypto/digest | MDN: SubtleCrypto.digest() (SHA-256)}
 * @example
 * ```ts
 * // After rotating the client secret, drop the token every isolate shares:
 * await new KvTokenCache(env.TOKEN_CACHE).delete(await k2CacheKey(K2_BASE_URLS.sandbox, env.K2_CLIENT_ID));
 * ```
 */
export async function k2CacheKey(baseUrl: string, clientId: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${baseUrl}\n${clientId}`));
  const hex = [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
  return `k2-connect-edge:token:${hex.slice(0, 32)}`;
}
