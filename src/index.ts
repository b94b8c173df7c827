/**
 * k2-connect-edge: a zero-dependency Kopo Kopo (K2 Connect) and OAuth 2.0 client on `fetch` and
 * WebCrypto, for Workers, Deno, Bun, Node and browsers.
 *
 * @module
 */
export { K2Client, K2_BASE_URLS, k2CacheKey, readK2Error } from "./k2-client.js";
export type { K2ClientOptions, K2Exchange, K2FetchInit, K2Token, K2TokenInfo } from "./k2-client.js";
export { OAuth2Client } from "./oauth2-client.js";
export { parseIntrospection } from "./token-endpoint.js";
export type {
  ClientCredentialsOptions,
  OAuth2ClientOptions,
  TokenIntrospection,
  TokenTypeHintOptions,
} from "./oauth2-client.js";
export { clientSecretBasic, clientSecretPost, noClientSecret } from "./client-authentication.js";
export type { ClientAuthentication, ClientAuthenticationMethod } from "./client-authentication.js";
export { CachedTokenSource } from "./token-source.js";
export type { CachedTokenSourceOptions, CallOptions, TokenOrigin, TokenSource } from "./token-source.js";
export { MemoryTokenCache } from "./token-cache.js";
export { KvTokenCache, KV_MIN_TTL_SECONDS } from "./kv-token-cache.js";
export type { KvNamespaceLike } from "./kv-token-cache.js";
export type { TokenCache } from "./token-cache.js";
export { processTokenResponse } from "./token-set.js";
export type { TokenResponseOptions, TokenSet } from "./token-set.js";
export { signWebhook, verifyWebhookSignature } from "./webhook-signature.js";
export {
  InvalidInputError,
  K2ApiError,
  K2EdgeError,
  NetworkError,
  OAuth2Error,
  TimeoutError,
  UnexpectedResponseError,
} from "./errors.js";
export type { FetchLike, TransportOptions } from "./http.js";
