/**
 * k2-connect-edge: a zero-dependency Kopo Kopo (K2 Connect) and OAuth 2.0 client on `fetch` and
 * WebCrypto, for Workers, Deno, Bun, Node and browsers.
 *
 * @module
 */
export { K2Client, K2_BASE_URLS, k2CacheKey, readK2Error } from "./k2-client.ts";
export type { K2ClientOptions, K2Exchange, K2FetchInit, K2Token, K2TokenInfo } from "./k2-client.ts";
export { OAuth2Client } from "./oauth2-client.ts";
export { parseIntrospection } from "./token-endpoint.ts";
export type {
  AuthorizationCodeOptions,
  ClientCredentialsOptions,
  OAuth2ClientOptions,
  RefreshingSourceOptions,
  RefreshTokenOptions,
  TokenIntrospection,
  TokenTypeHintOptions,
} from "./oauth2-client.ts";
export { buildAuthorizationURL } from "./authorization-url.ts";
export type { AuthorizationRequest, AuthorizationURLFields, AuthorizationURLOptions } from "./authorization-url.ts";
export { AuthorizationCallbackError, callbackParameters, checkCallback } from "./authorization-callback.ts";
export type {
  AuthorizationCallbackFailure,
  AuthorizationCallbackInput,
  CallbackExpectations,
} from "./authorization-callback.ts";
export { codeChallenge, generateCodeVerifier, generateState } from "./pkce.ts";
export type { CodeChallengeMethod } from "./pkce.ts";
export { RefreshingTokenSource, refreshedTokenSet } from "./refreshing-token-source.ts";
export type { RefreshingTokenSourceOptions, TokenRefresher } from "./refreshing-token-source.ts";
export {
  copper,
  CopperClient,
  COPPER_API_BASE_URL,
  COPPER_AUTHORIZATION_ENDPOINT,
  COPPER_SCOPE,
  COPPER_TOKEN_ENDPOINT,
} from "./copper.ts";
export type { CopperOptions, CopperToken } from "./copper.ts";
export { clientSecretBasic, clientSecretPost, noClientSecret } from "./client-authentication.ts";
export type { ClientAuthentication, ClientAuthenticationMethod } from "./client-authentication.ts";
export { CachedTokenSource } from "./token-source.ts";
export type { CachedTokenSourceOptions, CallOptions, TokenOrigin, TokenSource } from "./token-source.ts";
export { MemoryTokenCache } from "./token-cache.ts";
export { KvTokenCache, KV_MIN_TTL_SECONDS } from "./kv-token-cache.ts";
export type { KvNamespaceLike } from "./kv-token-cache.ts";
export type { TokenCache } from "./token-cache.ts";
export { processTokenResponse } from "./token-set.ts";
export type { TokenResponseOptions, TokenSet } from "./token-set.ts";
export { signWebhook, verifyWebhookSignature } from "./webhook-signature.ts";
export {
  InvalidInputError,
  K2ApiError,
  K2EdgeError,
  NetworkError,
  OAuth2Error,
  TimeoutError,
  UnexpectedResponseError,
} from "./errors.ts";
export type { FetchLike, TransportOptions } from "./http.ts";
