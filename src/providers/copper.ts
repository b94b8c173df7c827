/**
 * Copper CRM: its OAuth 2.0 authorization-code flow as an {@link OAuth2Client} preset, and its
 * Developer API called with the user's bearer token.
 *
 * @module
 */
import { InvalidInputError } from "../errors.ts";
import type { AuthorizationRequest, AuthorizationURLOptions } from "../oauth/authorization-code/authorization-url.ts";
import { sendWithBearer } from "../oauth/bearer.ts";
import { OAuth2Client, type TokenTypeHintOptions } from "../oauth/client.ts";
import type { TokenSet } from "../oauth/token-set.ts";
import { checkedUrl, originGuard } from "../transport/origin.ts";
import { createTransport, type Transport, type TransportOptions } from "../transport/transport.ts";

/**
 * Copper's authorization endpoint: where the user is sent to grant the application access.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749#section-3.1 | RFC 6749, section 3.1}
 * @see {@link https://developer.copper.com/ | Copper developer docs: OAuth 2.0}
 * @example
 * ```ts
 * const { url } = await crm.createAuthorizationURL();
 * console.log(url.href.startsWith(COPPER_AUTHORIZATION_ENDPOINT)); // true
 * ```
 */
export const COPPER_AUTHORIZATION_ENDPOINT = "https://app.copper.com/oauth/authorize";
/**
 * Copper's token endpoint: where the authorization code is exchanged for an access token.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749#section-3.2 | RFC 6749, section 3.2}
 * @see {@link https://developer.copper.com/ | Copper developer docs: OAuth 2.0}
 * @example
 * ```ts
 * // A local stand-in in tests, Copper itself otherwise:
 * const tokenEndpoint = env.COPPER_STUB_URL ? `${env.COPPER_STUB_URL}/oauth/token` : COPPER_TOKEN_ENDPOINT;
 * const crm = copper({ clientId, clientSecret, redirectUri, tokenEndpoint });
 * ```
 */
export const COPPER_TOKEN_ENDPOINT = "https://app.copper.com/oauth/token";
/**
 * Base URL of Copper's Developer API; `apiFetch` resolves relative paths against it.
 *
 * @see {@link https://developer.copper.com/ | Copper developer docs: API requests}
 * @example
 * ```ts
 * const url = new URL("people/search", COPPER_API_BASE_URL);
 * console.log(url.href); // "https://api.copper.com/developer_api/v1/people/search"
 * ```
 */
export const COPPER_API_BASE_URL = "https://api.copper.com/developer_api/v1/";
/**
 * The one scope Copper grants; the preset's `createAuthorizationURL` asks for it by default.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749#section-3.3 | RFC 6749, section 3.3}
 * @see {@link https://developer.copper.com/ | Copper developer docs: OAuth 2.0}
 * @example
 * ```ts
 * const { url, state } = await crm.createAuthorizationURL({ scope: COPPER_SCOPE });
 * ```
 */
export const COPPER_SCOPE = "developer/v1/all";

/** Settings of {@link copper}. */
export interface CopperOptions extends TransportOptions {
  clientId: string;
  clientSecret: string;
  /** The registered HTTPS callback; Copper POSTs the code to it. */
  redirectUri: string;
  /** Default {@link COPPER_SCOPE}, the only scope Copper documents. */
  scope?: string;
  /** Overrides, for a local stand-in server in tests. */
  authorizationEndpoint?: string;
  tokenEndpoint?: string;
  apiBaseUrl?: string;
  /** The clock, in epoch milliseconds; injectable for tests. */
  now?: () => number;
}

/** A Copper access token: the string, or the token set it came in. */
export type CopperToken = string | Pick<TokenSet, "accessToken">;

/**
 * What {@link copper} returns: an `OAuth2Client` set up as Copper expects (credentials in the form
 * body, no PKCE, `state` optional in the callback, which arrives as a form POST; tokens without
 * expiry, no refresh tokens, no revocation endpoint), with `apiFetch` for Developer API calls.
 * Built by {@link copper} only.
 *
 * @see {@link https://developer.copper.com/introduction/oauth/flow.html | Copper OAuth 2.0 flow}
 * @example
 * ```ts
 * const crm: CopperClient = copper({
 *   clientId: env.COPPER_CLIENT_ID,
 *   clientSecret: env.COPPER_CLIENT_SECRET,
 *   redirectUri: "https://app.example.com/copper/callback",
 * });
 * const { url, state } = await crm.createAuthorizationURL();
 * ```
 */
class CopperClient extends OAuth2Client {
  /** Base URL that `apiFetch` resolves paths against. */
  readonly apiBaseUrl: string;
  readonly #scope: string;
  readonly #api: Transport;
  readonly #onOrigin: (target: string | URL) => string;

  constructor(options: CopperOptions) {
    if (!options?.clientSecret) throw new InvalidInputError("clientSecret is required for Copper");
    if (!options.redirectUri) throw new InvalidInputError("redirectUri is required for Copper");
    const { scope, apiBaseUrl, ...rest } = options;
    super({
      ...rest,
      authorizationEndpoint: options.authorizationEndpoint ?? COPPER_AUTHORIZATION_ENDPOINT,
      tokenEndpoint: options.tokenEndpoint ?? COPPER_TOKEN_ENDPOINT,
      clientAuthentication: "client_secret_post",
      pkce: false,
      returnsState: false,
    });
    this.#scope = scope ?? COPPER_SCOPE;
    this.apiBaseUrl = checkedUrl("apiBaseUrl", apiBaseUrl ?? COPPER_API_BASE_URL).href;
    this.#api = createTransport(options);
    this.#onOrigin = originGuard(this.apiBaseUrl);
  }

  /**
   * The Copper authorization URL, with `scope=developer/v1/all` and a fresh `state` (Copper may not
   * return it; when it does, {@link OAuth2Client.validateCallback} checks it).
   *
   * @see {@link https://developer.copper.com/introduction/oauth/flow.html | Copper OAuth 2.0 flow, 2.1}
   * @example
   * ```ts
   * const { url, state } = await crm.createAuthorizationURL();
   * ```
   */
  override createAuthorizationURL(options: AuthorizationURLOptions = {}): Promise<AuthorizationRequest> {
    return super.createAuthorizationURL({ scope: this.#scope, ...options });
  }

  /**
   * Always fails: Copper has no revocation endpoint. The user revokes the application's access in
   * Copper's settings; the application forgets the token.
   */
  override async revokeToken(_token?: string, _options?: TokenTypeHintOptions): Promise<void> {
    throw new InvalidInputError(
      "Copper has no token revocation endpoint: the user revokes access in Copper's settings; " +
        "delete the stored token instead",
    );
  }

  /**
   * Calls Copper's Developer API with the user's token: the path is resolved against
   * `apiBaseUrl` (another origin is refused, so the token never leaves for another host), and
   * `Authorization: Bearer`, `X-PW-Application: developer_api`, `Accept` and, for a string body,
   * `Content-Type: application/json` are set. The answer comes back as it is, 429 included (Copper
   * allows 180 requests a minute): API calls are not retried, as a repeated POST could create twice.
   *
   * @see {@link https://developer.copper.com/introduction/requests.html | Copper API requests}
   * @example
   * ```ts
   * const body = JSON.stringify({ page_size: 25 });
   * const response = await crm.apiFetch(token, "people/search", { method: "POST", body });
   * if (response.status === 429) await sleepAndRetryLater();
   * ```
   */
  async apiFetch(token: CopperToken, path: string, init: RequestInit = {}): Promise<Response> {
    const accessToken = typeof token === "string" ? token : token?.accessToken;
    if (typeof accessToken !== "string" || accessToken === "")
      throw new InvalidInputError("A Copper access token is required");
    const url = this.#onOrigin(path);
    const headers = new Headers(init.headers);
    headers.set("x-pw-application", "developer_api");
    return sendWithBearer(this.#api, url, { ...init, headers }, accessToken);
  }
}

export type { CopperClient };

/**
 * The Copper CRM preset: an {@link OAuth2Client} for Copper's authorization-code flow.
 *
 * @see {@link https://developer.copper.com/introduction/oauth/quickstart.html | Copper OAuth 2.0 quickstart}
 * @example
 * ```ts
 * const crm = copper({ clientId, clientSecret, redirectUri: "https://app.example.com/copper/callback" });
 * const code = await crm.validateCallback(request);            // Copper POSTs the code
 * const token = await crm.exchangeAuthorizationCode({ code });  // no expiry, no refresh token
 * const people = await crm.apiFetch(token, "people/search", { method: "POST", body: "{}" });
 * ```
 */
export function copper(options: CopperOptions): CopperClient {
  return new CopperClient(options);
}
