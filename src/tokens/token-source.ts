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
  getToken(options?: TokenRequestOptions): Promise<TokenSet>;
}

/**
 * What a caching source tells the source it renews from. `refused` is the access token the
 * resource server has just refused (a 401), when the renewal follows one: a source shared by many
 * caches (a broker) renews only if that is still its current token, so that many reports of one
 * refusal cost one new token. A source that mints tokens itself can ignore it.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc6750#section-3.1 | RFC 6750, section 3.1 (invalid_token)}
 * @example
 * ```ts
 * const source: TokenSource = {
 *   getToken: (options?: TokenRequestOptions) => broker.token({ refused: options?.refused }),
 * };
 * ```
 */
export interface TokenRequestOptions extends CallOptions {
  /** The access token refused by the resource server, when this request follows a refusal. */
  readonly refused?: string;
}

/** Where a token handed out by a caching source came from: its memory, the shared cache, or the source. */
export type TokenOrigin = "memory" | "cache" | "fetched";
