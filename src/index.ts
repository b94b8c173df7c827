/**
 * k2-connect-edge: a zero-dependency Kopo Kopo (K2 Connect) and OAuth 2.0 client on `fetch` and
 * WebCrypto, for Workers, Deno, Bun, Node and browsers.
 *
 * The layers, bottom up: the transport (deadlines, retries, answers, the origin guard), the generic
 * OAuth 2.0 client, token sources and caches, the Kopo Kopo client, and provider presets. The typed
 * K2 resources are the separate entry `k2-connect-edge/api`.
 *
 * @module k2-connect-edge
 */
export {
  InvalidInputError,
  K2EdgeError,
  NetworkError,
  OAuth2Error,
  TimeoutError,
  UnexpectedResponseError,
} from "./errors.ts";
export type { CallOptions, FetchLike, TransportOptions } from "./transport/transport.ts";

export { OAuth2Client } from "./oauth/client.ts";
export type {
  AuthorizationCodeOptions,
  ClientCredentialsOptions,
  OAuth2ClientOptions,
  RefreshTokenOptions,
  TokenTypeHintOptions,
} from "./oauth/client.ts";
export type { ClientAuthentication, ClientAuthenticationMethod } from "./oauth/client-authentication.ts";
export type { TokenIntrospection } from "./oauth/token-endpoint.ts";
export { TOKEN_LIFETIME_BOUNDS, type TokenSet } from "./oauth/token-set.ts";
export type { AuthorizationRequest, AuthorizationURLOptions } from "./oauth/authorization-code/authorization-url.ts";
export { AuthorizationCallbackError } from "./oauth/authorization-code/callback.ts";
export type { AuthorizationCallbackFailure, AuthorizationCallbackInput } from "./oauth/authorization-code/callback.ts";
export type { CodeChallengeMethod } from "./oauth/authorization-code/pkce.ts";

export type { TokenOrigin, TokenRequestOptions, TokenSource } from "./tokens/token-source.ts";
export { CachedTokenSource } from "./tokens/cached-token-source.ts";
export type { CachedTokenSourceOptions } from "./tokens/cached-token-source.ts";
export { RefreshingTokenSource } from "./tokens/refreshing-token-source.ts";
export type { RefreshingTokenSourceOptions, TokenRefresher } from "./tokens/refreshing-token-source.ts";
export type { TokenCache } from "./tokens/token-cache.ts";
export { MemoryTokenCache } from "./tokens/memory-token-cache.ts";
export { KvTokenCache } from "./tokens/kv-token-cache.ts";
export type { KvNamespaceLike } from "./tokens/kv-token-cache.ts";

export { K2Client } from "./k2/client.ts";
export type { K2ClientOptions, K2Exchange, K2Token } from "./k2/client.ts";
export { k2TokenSource, type K2TokenSourceOptions } from "./k2/token-source.ts";
export { K2_BASE_URLS } from "./k2/base-urls.ts";
export { k2CacheKey } from "./k2/cache-key.ts";
export { K2ApiError, readK2Error } from "./k2/errors.ts";
export type { K2TokenInfo } from "./k2/token-info.ts";
export { signWebhook, verifyWebhookSignature } from "./k2/webhook-signature.ts";
export { signEdgeEvent, verifyEdgeSignature, type EdgeSignatureOptions } from "./k2/edge-signature.ts";

export {
  copper,
  COPPER_API_BASE_URL,
  COPPER_AUTHORIZATION_ENDPOINT,
  COPPER_SCOPE,
  COPPER_TOKEN_ENDPOINT,
} from "./providers/copper.ts";
export type { CopperClient, CopperOptions, CopperToken } from "./providers/copper.ts";
