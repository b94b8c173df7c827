/**
 * A client of one RFC 6749 authorization server: grants, revocation and introspection.
 *
 * @module
 */
import { InvalidInputError } from "../errors.ts";
import { checkedUrl } from "../transport/origin.ts";
import { redactor } from "../transport/redaction.ts";
import { type CallOptions, createTransport, type TransportOptions } from "../transport/transport.ts";
import {
  absoluteRedirectUri,
  type AuthorizationRequest,
  type AuthorizationURLOptions,
  buildAuthorizationURL,
} from "./authorization-code/authorization-url.ts";
import { type AuthorizationCallbackInput, callbackParameters, checkCallback } from "./authorization-code/callback.ts";
import {
  type ClientAuthentication,
  type ClientAuthenticationMethod,
  clientAuthenticationFor,
  secretForms,
} from "./client-authentication.ts";
import {
  type EndpointClient,
  introspectToken,
  requestToken,
  revokeToken,
  type TokenIntrospection,
} from "./token-endpoint.ts";
import { refreshedTokenSet, type TokenSet } from "./token-set.ts";

/** Settings of an {@link OAuth2Client}. */
export interface OAuth2ClientOptions extends TransportOptions {
  clientId: string;
  /** Absent for a public client (`clientAuthentication: "none"`). */
  clientSecret?: string;
  tokenEndpoint: string;
  /** RFC 7009 endpoint; {@link OAuth2Client.revokeToken} needs it. */
  revocationEndpoint?: string;
  /** RFC 7662 endpoint; {@link OAuth2Client.introspectToken} needs it. */
  introspectionEndpoint?: string;
  /** Where users authorize the client; {@link OAuth2Client.createAuthorizationURL} needs it. */
  authorizationEndpoint?: string;
  /** Default redirection URI of the authorization-code calls. */
  redirectUri?: string;
  /**
   * Whether authorization requests carry a PKCE challenge (RFC 7636). Default `true`; `false` only
   * for a provider known to refuse or ignore PKCE (Copper).
   */
  pkce?: boolean;
  /**
   * Whether the provider always returns `state` in its callback. Default `true`, and a callback
   * without it is refused; `false` for a provider that may omit it (Copper).
   */
  returnsState?: boolean;
  /** The provider's issuer identifier: a callback whose `iss` differs is refused (RFC 9207). */
  issuer?: string;
  /** How the client proves who it is. Default `"client_secret_post"`, or `"none"` without a secret. */
  clientAuthentication?: ClientAuthenticationMethod | ClientAuthentication;
  /** Lifetime in seconds to assume when a token answer has no `expires_in`. Default: no expiry. */
  defaultExpiresIn?: number;
  /** The clock, in epoch milliseconds; injectable for tests. */
  now?: () => number;
}

/** Options of {@link OAuth2Client.revokeToken} and {@link OAuth2Client.introspectToken}. */
export interface TokenTypeHintOptions extends CallOptions {
  tokenTypeHint?: "access_token" | "refresh_token" | (string & {});
}

/** Options of {@link OAuth2Client.exchangeAuthorizationCode}. */
export interface AuthorizationCodeOptions extends CallOptions {
  /** The code that {@link OAuth2Client.validateCallback} returned. */
  code: string;
  /** The same redirection URI as in the authorization request. Default: the client's `redirectUri`. */
  redirectUri?: string;
  /** The PKCE verifier that {@link OAuth2Client.createAuthorizationURL} returned with this request. */
  codeVerifier?: string;
  /** Further form parameters, such as `resource`. */
  parameters?: Record<string, string>;
}

/** Options of {@link OAuth2Client.refreshToken}. */
export interface RefreshTokenOptions extends CallOptions {
  /** A narrower scope than the one granted (RFC 6749, section 6). */
  scope?: string | readonly string[];
  /** Further form parameters, such as `resource`. */
  parameters?: Record<string, string>;
}

/** Options of {@link OAuth2Client.clientCredentials}. */
export interface ClientCredentialsOptions extends CallOptions {
  /** Space-separated string or a list of scopes. */
  scope?: string | readonly string[];
  /** Further form parameters, such as `resource` or `audience`. */
  parameters?: Record<string, string>;
}

/**
 * A client of one OAuth 2.0 authorization server, on `fetch` alone. Token requests are retried on
 * network errors, 429 and 5xx; every error is typed; the secret is never exposed.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749 | RFC 6749}
 * @example
 * ```ts
 * const oauth = new OAuth2Client({
 *   clientId: "my-client", clientSecret: env.SECRET,
 *   tokenEndpoint: "https://auth.example.com/token",
 *   clientAuthentication: "client_secret_basic",
 * });
 * const { accessToken } = await oauth.clientCredentials({ scope: "read write" });
 * ```
 */
export class OAuth2Client {
  readonly clientId: string;
  readonly tokenEndpoint: string;
  readonly revocationEndpoint: string | undefined;
  readonly introspectionEndpoint: string | undefined;
  readonly authorizationEndpoint: string | undefined;
  readonly redirectUri: string | undefined;
  readonly #endpoint: EndpointClient;
  readonly #pkce: boolean;
  readonly #returnsState: boolean;
  readonly #issuer: string | undefined;
  readonly #defaultExpiresIn: number | undefined;
  readonly #now: () => number;

  constructor(options: OAuth2ClientOptions) {
    if (!options?.clientId) throw new InvalidInputError("clientId is required");
    this.clientId = options.clientId;
    this.tokenEndpoint = endpoint("tokenEndpoint", options.tokenEndpoint);
    this.revocationEndpoint = options.revocationEndpoint && endpoint("revocationEndpoint", options.revocationEndpoint);
    this.introspectionEndpoint =
      options.introspectionEndpoint && endpoint("introspectionEndpoint", options.introspectionEndpoint);
    this.authorizationEndpoint =
      options.authorizationEndpoint && endpoint("authorizationEndpoint", options.authorizationEndpoint);
    this.redirectUri = options.redirectUri;
    this.#pkce = options.pkce ?? true;
    this.#returnsState = options.returnsState ?? true;
    this.#issuer = options.issuer;
    const method = options.clientAuthentication ?? (options.clientSecret ? "client_secret_post" : "none");
    this.#endpoint = {
      transport: createTransport(options),
      authenticate: clientAuthenticationFor(method, options.clientId, options.clientSecret),
      redact: redactor(() => secretForms(options.clientId, options.clientSecret)),
    };
    this.#defaultExpiresIn = options.defaultExpiresIn;
    this.#now = options.now ?? Date.now;
  }

  /**
   * The client-credentials grant: a token for the client itself.
   *
   * @see {@link https://www.rfc-editor.org/rfc/rfc6749#section-4.4 | RFC 6749, section 4.4}
   * @example
   * ```ts
   * const token = await oauth.clientCredentials({ scope: ["payments", "webhooks"] });
   * ```
   */
  async clientCredentials(options: ClientCredentialsOptions = {}): Promise<TokenSet> {
    const parameters: Record<string, string> = { ...options.parameters, grant_type: "client_credentials" };
    const scope = scopeString(options.scope);
    if (scope) parameters.scope = scope;
    return this.requestToken(parameters, options);
  }

  /**
   * Sends any grant to the token endpoint and processes the answer: the building block of every
   * grant, public for extension grants (RFC 6749, section 4.5).
   *
   * @see {@link https://www.rfc-editor.org/rfc/rfc6749#section-5 | RFC 6749, section 5}
   * @example
   * ```ts
   * const token = await oauth.requestToken({ grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion });
   * ```
   */
  async requestToken(parameters: Record<string, string>, options: CallOptions = {}): Promise<TokenSet> {
    if (typeof parameters?.grant_type !== "string" || parameters.grant_type === "") {
      throw new InvalidInputError("parameters.grant_type is required");
    }
    return requestToken(this.#endpoint, this.tokenEndpoint, parameters, {
      signal: options.signal,
      now: this.#now,
      defaultExpiresIn: this.#defaultExpiresIn,
    });
  }

  /**
   * Revokes a token. Succeeds for an unknown or already revoked token, as RFC 7009 requires.
   *
   * @see {@link https://www.rfc-editor.org/rfc/rfc7009#section-2 | RFC 7009, section 2}
   * @example
   * ```ts
   * await oauth.revokeToken(token.accessToken, { tokenTypeHint: "access_token" });
   * ```
   */
  async revokeToken(token: string, options: TokenTypeHintOptions = {}): Promise<void> {
    const url = configured("revocationEndpoint", this.revocationEndpoint);
    return revokeToken(this.#endpoint, url, token, options.tokenTypeHint, options.signal);
  }

  /**
   * Asks the authorization server whether a token is active and what it grants.
   *
   * @see {@link https://www.rfc-editor.org/rfc/rfc7662#section-2 | RFC 7662, section 2}
   * @example
   * ```ts
   * const { active, expiresAt } = await oauth.introspectToken(accessToken);
   * ```
   */
  async introspectToken(token: string, options: TokenTypeHintOptions = {}): Promise<TokenIntrospection> {
    const url = configured("introspectionEndpoint", this.introspectionEndpoint);
    return introspectToken(this.#endpoint, url, token, options.tokenTypeHint, options.signal);
  }

  /**
   * Starts the authorization-code grant: the URL to send the user to, with a fresh `state` (256
   * random bits) and a PKCE S256 challenge unless the client has `pkce: false`. Keep `state` and
   * `codeVerifier` for the callback.
   *
   * @see {@link https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1 | RFC 6749, section 4.1.1}
   * @see {@link https://www.rfc-editor.org/rfc/rfc7636#section-4 | RFC 7636, section 4}
   * @example
   * ```ts
   * const { url, state, codeVerifier } = await oauth.createAuthorizationURL({
   *   redirectUri: "https://app.example.com/callback", scope: ["openid", "offline_access"],
   * });
   * return Response.redirect(url.href, 302);
   * ```
   */
  async createAuthorizationURL(options: AuthorizationURLOptions = {}): Promise<AuthorizationRequest> {
    return buildAuthorizationURL({
      authorizationEndpoint: configured("authorizationEndpoint", this.authorizationEndpoint),
      clientId: this.clientId,
      redirectUri: options.redirectUri ?? this.redirectUri ?? "",
      scope: scopeString(options.scope),
      state: options.state,
      pkce: options.codeChallengeMethod ?? (this.#pkce ? "S256" : false),
      parameters: options.parameters,
    });
  }

  /**
   * Reads the authorization callback and returns its code: from a `URL`, a query string, a
   * `Request` (GET, or a form POST) or `URLSearchParams`. Throws {@link OAuth2Error} (status 0) for
   * an `error` callback, and `AuthorizationCallbackError` for a missing or different `state` (a
   * missing one is accepted when the client has `returnsState: false`) or an `iss` naming another
   * server.
   *
   * @see {@link https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2 | RFC 6749, section 4.1.2}
   * @example
   * ```ts
   * const code = await oauth.validateCallback(request, stateFromCookie);
   * ```
   */
  async validateCallback(input: AuthorizationCallbackInput, expectedState?: string): Promise<string> {
    const parameters = await callbackParameters(input);
    return checkCallback(parameters, { expectedState, returnsState: this.#returnsState, issuer: this.#issuer });
  }

  /**
   * Exchanges an authorization code for tokens, with the PKCE verifier of its request.
   *
   * @see {@link https://www.rfc-editor.org/rfc/rfc6749#section-4.1.3 | RFC 6749, section 4.1.3}
   * @see {@link https://www.rfc-editor.org/rfc/rfc7636#section-4.5 | RFC 7636, section 4.5}
   * @example
   * ```ts
   * const redirectUri = "https://app.example.com/callback";
   * const token = await oauth.exchangeAuthorizationCode({ code, codeVerifier, redirectUri });
   * ```
   */
  async exchangeAuthorizationCode(options: AuthorizationCodeOptions): Promise<TokenSet> {
    if (typeof options?.code !== "string" || options.code === "") throw new InvalidInputError("code is required");
    if (this.#pkce && !options.codeVerifier) {
      throw new InvalidInputError(
        "codeVerifier is required: this client uses PKCE (pkce: false for a provider that does not)",
      );
    }
    const parameters: Record<string, string> = {
      ...options.parameters,
      grant_type: "authorization_code",
      code: options.code,
      redirect_uri: absoluteRedirectUri(options.redirectUri ?? this.redirectUri),
    };
    if (options.codeVerifier) parameters.code_verifier = options.codeVerifier;
    return this.requestToken(parameters, options);
  }

  /**
   * The refresh-token grant. Given a token set, an answer without `refresh_token` keeps the previous
   * one (and without `scope`, the scope held), so the result can replace the stored set as it is.
   *
   * @see {@link https://www.rfc-editor.org/rfc/rfc6749#section-6 | RFC 6749, section 6}
   * @example
   * ```ts
   * const next = await oauth.refreshToken(stored); // or oauth.refreshToken(stored.refreshToken!)
   * await save(next);
   * ```
   */
  async refreshToken(token: TokenSet | string, options: RefreshTokenOptions = {}): Promise<TokenSet> {
    const refreshToken = typeof token === "string" ? token : token?.refreshToken;
    if (typeof refreshToken !== "string" || refreshToken === "")
      throw new InvalidInputError("A refresh token is required");
    const parameters: Record<string, string> = {
      ...options.parameters,
      grant_type: "refresh_token",
      refresh_token: refreshToken,
    };
    const scope = scopeString(options.scope);
    if (scope) parameters.scope = scope;
    const answer = await this.requestToken(parameters, options);
    return refreshedTokenSet(answer, refreshToken, scope ?? (typeof token === "string" ? undefined : token.scope));
  }
}

/** The endpoint URL, or an {@link InvalidInputError} saying which option is missing. */
function configured(name: string, url: string | undefined): string {
  if (!url) throw new InvalidInputError(`${name} is not configured for this client`);
  return url;
}

/** RFC 6749 section 3.3: scopes are joined with single spaces. */
function scopeString(scope: string | readonly string[] | undefined): string | undefined {
  if (scope === undefined || scope === null) return undefined;
  if (typeof scope === "string") return scope.trim() || undefined;
  if (!Array.isArray(scope) || !scope.every((item) => typeof item === "string")) {
    throw new InvalidInputError("scope must be a string or a list of strings");
  }
  return scope.join(" ").trim() || undefined;
}

function endpoint(name: string, value: string | undefined): string {
  return checkedUrl(name, value).href;
}
