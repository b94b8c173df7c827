/**
 * A client of one RFC 6749 authorization server: grants, revocation and introspection.
 *
 * @module
 */
import {
  type ClientAuthentication,
  type ClientAuthenticationMethod,
  clientAuthenticationFor,
  secretForms,
} from "./client-authentication.js";
import { InvalidInputError } from "./errors.js";
import { createTransport, type TransportOptions } from "./http.js";
import { redactor } from "./responses.js";
import {
  type EndpointClient,
  introspectToken,
  requestToken,
  revokeToken,
  type TokenIntrospection,
} from "./token-endpoint.js";
import type { TokenSet } from "./token-set.js";
import type { CallOptions, TokenSource } from "./token-source.js";

export type { TokenIntrospection } from "./token-endpoint.js";

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
  readonly #endpoint: EndpointClient;
  readonly #defaultExpiresIn: number | undefined;
  readonly #now: () => number;

  constructor(options: OAuth2ClientOptions) {
    if (!options?.clientId) throw new InvalidInputError("clientId is required");
    this.clientId = options.clientId;
    this.tokenEndpoint = endpoint("tokenEndpoint", options.tokenEndpoint);
    this.revocationEndpoint = options.revocationEndpoint && endpoint("revocationEndpoint", options.revocationEndpoint);
    this.introspectionEndpoint =
      options.introspectionEndpoint && endpoint("introspectionEndpoint", options.introspectionEndpoint);
    const method = options.clientAuthentication ?? (options.clientSecret ? "client_secret_post" : "none");
    this.#endpoint = {
      transport: createTransport(options),
      authenticate: clientAuthenticationFor(method, options.clientId, options.clientSecret),
      redact: redactor(secretForms(options.clientId, options.clientSecret)),
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
  clientCredentials(options: ClientCredentialsOptions = {}): Promise<TokenSet> {
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
  requestToken(parameters: Record<string, string>, options: CallOptions = {}): Promise<TokenSet> {
    return requestToken(this.#endpoint, this.tokenEndpoint, parameters, {
      signal: options.signal,
      now: this.#now,
      defaultExpiresIn: this.#defaultExpiresIn,
    });
  }

  /**
   * A {@link TokenSource} running the client-credentials grant, to wrap in a `CachedTokenSource`.
   *
   * @example
   * ```ts
   * const tokens = new CachedTokenSource({ source: oauth.clientCredentialsSource({ scope: "read" }) });
   * ```
   */
  clientCredentialsSource(options: Omit<ClientCredentialsOptions, "signal"> = {}): TokenSource {
    return { getToken: (call) => this.clientCredentials({ ...options, ...call }) };
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
  revokeToken(token: string, options: TokenTypeHintOptions = {}): Promise<void> {
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
  introspectToken(token: string, options: TokenTypeHintOptions = {}): Promise<TokenIntrospection> {
    const url = configured("introspectionEndpoint", this.introspectionEndpoint);
    return introspectToken(this.#endpoint, url, token, options.tokenTypeHint, options.signal);
  }

}

/** The endpoint URL, or an {@link InvalidInputError} saying which option is missing. */
function configured(name: string, url: string | undefined): string {
  if (!url) throw new InvalidInputError(`${name} is not configured for this client`);
  return url;
}

/** RFC 6749 section 3.3: scopes are joined with single spaces. */
export function scopeString(scope: string | readonly string[] | undefined): string | undefined {
  if (scope === undefined) return undefined;
  return (typeof scope === "string" ? scope : scope.join(" ")).trim() || undefined;
}

function endpoint(name: string, value: string | undefined): string {
  if (!value) throw new InvalidInputError(`${name} is required`);
  try {
    return new URL(value).href;
  } catch (error) {
    throw new InvalidInputError(`${name} is not an absolute URL`, { cause: error });
  }
}
