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
  AuthorizationCodeOptions,
  ClientCredentialsOptions,
  OAuth2ClientOptions,
  RefreshingSourceOptions,
  RefreshTokenOptions,
  TokenIntrospection,
  TokenTypeHintOptions,
} from "./oauth2-client.js";
export { buildAuthorizationURL } from "./authorization-url.js";
export type { AuthorizationRequest, AuthorizationURLFields, AuthorizationURLOptions } from "./authorization-url.js";
export { AuthorizationCallbackError, callbackParameters, checkCallback } from "./authorization-callback.js";
export type {
  AuthorizationCallbackFailure,
  AuthorizationCallbackInput,
  CallbackExpectations,
} from "./authorization-callback.js";
export { codeChallenge, generateCodeVerifier, generateState } from "./pkce.js";
export type { CodeChallengeMethod } from "./pkce.js";
export { RefreshingTokenSource, refreshedTokenSet } from "./refreshing-token-source.js";
export type { RefreshingTokenSourceOptions, TokenRefresher } from "./refreshing-token-source.js";
export {
  copper,
  CopperClient,
  COPPER_API_BASE_URL,
  COPPER_AUTHORIZATION_ENDPOINT,
  COPPER_SCOPE,
  COPPER_TOKEN_ENDPOINT,
} from "./copper.js";
export type { CopperOptions, CopperToken } from "./copper.js";
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
