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
import { createTransport, exchange, type Exchange, type Transport, type TransportOptions } from "./http.js";
import { errorFromExchange, instantMs, jsonObject, oauthErrorIn, type Redact, redactor } from "./responses.js";
import { processTokenResponse, type TokenSet } from "./token-set.js";
import type { CallOptions, TokenSource } from "./token-source.js";

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

/** What an introspection endpoint says of a token, with times as epoch milliseconds. */
export interface TokenIntrospection {
  /** Whether the token is currently usable. */
  readonly active: boolean;
  readonly scope?: string;
  readonly clientId?: string;
  readonly tokenType?: string;
  readonly username?: string;
  /** `exp` (Unix seconds or ISO-8601 on the wire) in epoch milliseconds. */
  readonly expiresAt?: number;
  /** `iat` (Unix seconds or ISO-8601 on the wire) in epoch milliseconds. */
  readonly issuedAt?: number;
  /** The whole JSON answer. */
  readonly raw: Readonly<Record<string, unknown>>;
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
  readonly #authenticate: ClientAuthentication;
  readonly #redact: Redact;
  readonly #transport: Transport;
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
    this.#authenticate = clientAuthenticationFor(method, options.clientId, options.clientSecret);
    this.#redact = redactor(secretForms(options.clientId, options.clientSecret));
    this.#transport = createTransport(options);
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
  async requestToken(parameters: Record<string, string>, options: CallOptions = {}): Promise<TokenSet> {
    const answer = await this.#post(this.tokenEndpoint, parameters, options.signal);
    return processTokenResponse(answer, {
      receivedAt: this.#now(),
      redact: this.#redact,
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
  async revokeToken(token: string, options: TokenTypeHintOptions = {}): Promise<void> {
    const url = this.#endpoint("revocationEndpoint", this.revocationEndpoint);
    const answer = await this.#post(url, tokenParameters(token, options), options.signal);
    if (!answer.response.ok) throw errorFromExchange(answer, this.#redact);
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
    const url = this.#endpoint("introspectionEndpoint", this.introspectionEndpoint);
    const answer = await this.#post(url, tokenParameters(token, options), options.signal);
    if (!answer.response.ok) throw errorFromExchange(answer, this.#redact);
    const body = jsonObject(answer, this.#redact);
    const oauthError = oauthErrorIn(body, answer.response.status, this.#redact);
    if (oauthError) throw oauthError;
    return parseIntrospection(body);
  }

  async #post(url: string, parameters: Record<string, string>, signal: AbortSignal | undefined): Promise<Exchange> {
    return exchange(
      this.#transport,
      url,
      () => {
        const body = new URLSearchParams(parameters);
        const headers = new Headers({
          "content-type": "application/x-www-form-urlencoded",
          accept: "application/json",
        });
        this.#authenticate(body, headers);
        return { method: "POST", headers, body: body.toString() };
      },
      signal,
    );
  }

  #endpoint(name: string, url: string | undefined): string {
    if (!url) throw new InvalidInputError(`${name} is not configured for this client`);
    return url;
  }
}

/** Reads an RFC 7662 introspection answer; exported for the K2 client, whose times may be ISO strings. */
export function parseIntrospection(body: Record<string, unknown>): TokenIntrospection {
  const result: { -readonly [K in keyof TokenIntrospection]: TokenIntrospection[K] } = {
    active: body.active === true || body.active === "true",
    raw: Object.freeze(body),
  };
  if (typeof body.scope === "string") result.scope = body.scope;
  if (typeof body.client_id === "string") result.clientId = body.client_id;
  if (typeof body.token_type === "string") result.tokenType = body.token_type;
  if (typeof body.username === "string") result.username = body.username;
  const expiresAt = instantMs(body.exp);
  if (expiresAt !== undefined) result.expiresAt = expiresAt;
  const issuedAt = instantMs(body.iat);
  if (issuedAt !== undefined) result.issuedAt = issuedAt;
  return Object.freeze(result);
}

function tokenParameters(token: string, options: TokenTypeHintOptions): Record<string, string> {
  if (typeof token !== "string" || token === "") throw new InvalidInputError("A non-empty token is required");
  return options.tokenTypeHint ? { token, token_type_hint: options.tokenTypeHint } : { token };
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
