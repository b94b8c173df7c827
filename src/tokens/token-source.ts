/**
 * Token sources: anything that can hand out a token. Wrap one in a `CachedTokenSource` to reuse
 * its tokens until they near expiry.
 *
 * @module
 */
import type { TokenSet } from "../oauth/token-set.ts";
import type { CallOptions } from "../transport/transport.ts";

/**
 * Anything that can produce a token: a grant against a token endpoint, a refresh, a fixed token.
 * Wrap it in a `CachedTokenSource` to reuse tokens until they near expiry.
 *
 * @see {@link https://pkg.go.dev/golang.org/x/oauth2#TokenSource | golang.org/x/oauth2 TokenSource}
 * @example
 * ```ts
 * const source: TokenSource = { getToken: (options) => oauth.clientCredentials(options) };
 * ```
 */
export interface TokenSource {
  getToken(options?: CallOptions): Promise<TokenSet>;
}

/** Where a token handed out by a caching source came from: its memory, the shared cache, or the source. */
export type TokenOrigin = "memory" | "cache" | "fetched";
