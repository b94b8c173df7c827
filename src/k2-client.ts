/**
 * The Kopo Kopo (K2 Connect) client: a cached, shared client-credentials token and authenticated
 * API calls.
 *
 * @module
 */
import { clientSecretPost, secretForms } from "./client-authentication.ts";
import { InvalidInputError } from "./errors.ts";
import { createTransport, exchange, send, type TransportOptions } from "./http.ts";
import { errorFromExchange, instantMs, isRecord, jsonObject, noRedaction, redactor } from "./responses.ts";
import {
  type EndpointClient,
  introspectToken,
  requestToken,
  revokeToken,
  type TokenIntrospection,
} from "./token-endpoint.ts";
import { MemoryTokenCache, type TokenCache } from "./token-cache.ts";
import type { TokenSet } from "./token-set.ts";
import { CachedTokenSource, type CallOptions, type TokenOrigin } from "./token-source.ts";
import { verifyWebhookSignature } from "./webhook-signature.ts";

/**
 * The hosts of the two K2 environments. Credentials issued for one do not work on the other.
 *
 * @see {@link https://api-docs.kopokopo.com | K2 API reference: Introduction}
 * @example
 * ```ts
 * const k2 = new K2Client({ clientId, clientSecret, baseUrl: K2_BASE_URLS.production });
 * console.log(k2.baseUrl); // "https://api.kopokopo.com"
 * ```
 */
export const K2_BASE_URLS: Readonly<{ sandbox: string; production: string }> = Object.freeze({
  sandbox: "https://sandbox.kopokopo.com",
  production: "https://api.kopokopo.com",
});

/** Settings of a {@link K2Client}. */
export interface K2ClientOptions extends TransportOptions {
  clientId: string;
  clientSecret: string;
  /** `"sandbox"` (the default) or `"production"`; ignored when `baseUrl` is given. */
  environment?: keyof typeof K2_BASE_URLS;
  /** Another origin, such as a local K2-shaped server: `"http://127.0.0.1:9999"`. */
  baseUrl?: string;
  /** The application's API key, for {@link K2Client.verifyWebhook}. */
  apiKey?: string;
  /** Where tokens are shared. Default: a {@link MemoryTokenCache} of this client's own. */
  cache?: TokenCache;
  /** Renew the token this many seconds before it expires. Default 60. */
  expirySkewSeconds?: number;
  /** The clock, in epoch milliseconds; injectable for tests. */
  now?: () => number;
  /** Told when the cache fails; the client then works from memory and the token endpoint. */
  onCacheError?: (error: unknown, operation: "get" | "set" | "delete") => void;
}

/** K2's token info (`GET /oauth/token/info`), with times in epoch milliseconds. */
export interface K2TokenInfo {
  readonly scope: readonly string[];
  /** Seconds of life left, as K2 counted when it answered. */
  readonly expiresIn: number | undefined;
  /** The `application.uid` the token belongs to. */
  readonly applicationUid: string | undefined;
  readonly createdAt: number | undefined;
  readonly resourceOwnerId: string | number | null;
  readonly raw: Readonly<Record<string, unknown>>;
}

/** A K2 token: always has an expiry, since K2 tokens last an hour. */
export type K2Token = TokenSet & { readonly expiresIn: number; readonly expiresAt: number };

/** Options of {@link K2Client.fetch}: those of `fetch`. */
export type K2FetchInit = RequestInit;

/** What {@link K2Client.request} answers: the response, and how the token was had. */
export interface K2Exchange {
  readonly response: Response;
  /** Where the token of the (last) attempt came from. */
  readonly tokenOrigin: TokenOrigin;
  /** Whether K2 refused the first token with a 401 and the request was sent again. */
  readonly replayed: boolean;
}

// K2 documents a one-hour lifetime; an answer without `expires_in` is taken to mean that.
const K2_TOKEN_LIFETIME_SECONDS = 3600;

/**
 * The Kopo Kopo client. Tokens are fetched once, shared by every concurrent caller, cached (in
 * memory by default, or any {@link TokenCache}) and renewed a minute before they expire.
 *
 * @see {@link https://developers.kopokopo.com/guides/auth/client-credentials-flow.html | K2: client credentials flow}
 * @example
 * ```ts
 * const k2 = new K2Client({ clientId: env.K2_CLIENT_ID, clientSecret: env.K2_CLIENT_SECRET, environment: "sandbox" });
 * const response = await k2.fetch("/api/v2/incoming_payments", { method: "POST", body: JSON.stringify(payment) });
 * const location = response.headers.get("location");
 * ```
 */
export class K2Client {
  /** The origin every request goes to. */
  readonly baseUrl: string;
  /** The cached, single-flight token source behind {@link getToken}. */
  readonly tokens: CachedTokenSource;
  readonly #endpoint: EndpointClient;
  readonly #apiKey: string | undefined;

  constructor(options: K2ClientOptions) {
    if (!options?.clientId) throw new InvalidInputError("clientId is required");
    if (!options.clientSecret) throw new InvalidInputError("clientSecret is required");
    this.baseUrl = k2Origin(options);
    // K2 takes the credentials in the form body (Doorkeeper's client_secret_post).
    const endpoint: EndpointClient = {
      transport: createTransport(options),
      authenticate: clientSecretPost(options.clientId, options.clientSecret),
      redact: redactor(secretForms(options.clientId, options.clientSecret)),
    };
    const now = options.now ?? Date.now;
    const tokenUrl = `${this.baseUrl}/oauth/token`;
    this.tokens = new CachedTokenSource({
      source: {
        getToken: (call) =>
          requestToken(endpoint, tokenUrl, { grant_type: "client_credentials" }, {
            signal: call?.signal,
            now,
            defaultExpiresIn: K2_TOKEN_LIFETIME_SECONDS,
          }),
      },
      cache: options.cache ?? new MemoryTokenCache({ now: options.now }),
      cacheKey: k2CacheKey(this.baseUrl, options.clientId),
      expirySkewSeconds: options.expirySkewSeconds,
      now: options.now,
      onCacheError: options.onCacheError,
    });
    this.#endpoint = endpoint;
    this.#apiKey = options.apiKey;
  }

  /**
   * A valid access token, from memory when warm.
   *
   * @example
   * ```ts
   * const token = await k2.getAccessToken();
   * ```
   */
  getAccessToken(options?: CallOptions): Promise<string> {
    return this.tokens.getAccessToken(options);
  }

  /**
   * The whole token set: `{ accessToken, tokenType, expiresIn, expiresAt, createdAt?, scope?, raw }`.
   *
   * @example
   * ```ts
   * const { accessToken, expiresAt } = await k2.getToken();
   * ```
   */
  getToken(options?: CallOptions): Promise<K2Token> {
    return this.tokens.getToken(options) as Promise<K2Token>;
  }

  /**
   * Revokes a token; by default the cached one, which is then dropped from the cache. Does nothing
   * when no token was given and none is cached.
   *
   * @see {@link https://www.rfc-editor.org/rfc/rfc7009 | RFC 7009}
   * @example
   * ```ts
   * await k2.revokeToken(); // the cached token; the next call fetches a new one
   * ```
   */
  async revokeToken(token?: string, options?: CallOptions): Promise<void> {
    const target = token ?? (await this.tokens.peek())?.accessToken;
    if (target === undefined) return;
    await revokeToken(this.#endpoint, `${this.baseUrl}/oauth/revoke`, target, undefined, options?.signal);
    await this.tokens.invalidate(target);
  }

  /**
   * What K2 says of a token (by default the current one): `{ active, scope, clientId, tokenType,
   * expiresAt?, issuedAt? }`. `exp`/`iat` arrive as ISO-8601 strings or Unix seconds; both are read.
   *
   * @see {@link https://www.rfc-editor.org/rfc/rfc7662 | RFC 7662}
   * @example
   * ```ts
   * const { active } = await k2.introspectToken();
   * ```
   */
  async introspectToken(token?: string, options?: CallOptions): Promise<TokenIntrospection> {
    const target = token ?? (await this.getAccessToken(options));
    return introspectToken(this.#endpoint, `${this.baseUrl}/oauth/introspect`, target, undefined, options?.signal);
  }

  /**
   * K2's token info endpoint, `GET /oauth/token/info`: scopes, seconds left, application.
   *
   * @example
   * ```ts
   * const { expiresIn, applicationUid } = await k2.tokenInfo();
   * ```
   */
  async tokenInfo(token?: string, options?: CallOptions): Promise<K2TokenInfo> {
    const bearer = token ?? (await this.getAccessToken(options));
    const url = `${this.baseUrl}/oauth/token/info`;
    const answer = await exchange(
      this.#endpoint.transport,
      url,
      () => ({ method: "GET", headers: { authorization: `Bearer ${bearer}`, accept: "application/json" } }),
      options?.signal,
    );
    if (!answer.response.ok) throw errorFromExchange(answer, noRedaction);
    const body = jsonObject(answer, noRedaction);
    const application = isRecord(body.application) ? body.application : {};
    return Object.freeze({
      scope: Array.isArray(body.scope) ? body.scope.map(String) : typeof body.scope === "string" ? body.scope.split(" ").filter(Boolean) : [],
      expiresIn: typeof body.expires_in === "number" ? body.expires_in : undefined,
      applicationUid: typeof application.uid === "string" ? application.uid : undefined,
      createdAt: instantMs(body.created_at),
      resourceOwnerId: typeof body.resource_owner_id === "string" || typeof body.resource_owner_id === "number" ? body.resource_owner_id : null,
      raw: Object.freeze(body),
    });
  }

  /**
   * `fetch` against the K2 API with the bearer token added. Paths resolve against the base URL; an
   * absolute URL to any other origin is refused before anything is sent, so the token never leaves
   * for another host. On a 401 the token is dropped, a new one fetched and the request replayed
   * once with the same body. Sets `Accept: application/json`, and `Content-Type: application/json`
   * for a string body without one. Redirects are returned, not followed. Non-2xx answers are
   * returned as they are: read them with {@link readK2Error}.
   *
   * @see {@link https://developers.kopokopo.com/guides/auth/using-an-access-token.html | K2: using an access token}
   * @example
   * ```ts
   * const response = await k2.fetch("/api/v2/incoming_payments", { method: "POST", body: JSON.stringify(stkPush) });
   * if (!response.ok) throw await readK2Error(response);
   * const location = response.headers.get("location");
   * ```
   */
  async fetch(pathOrUrl: string | URL, init: K2FetchInit = {}): Promise<Response> {
    return (await this.request(pathOrUrl, init)).response;
  }

  /**
   * {@link K2Client.fetch}, also telling where the token came from and whether the request was
   * replayed after a 401: for logs and metrics.
   *
   * @example
   * ```ts
   * const { response, tokenOrigin, replayed } = await k2.request("/api/v2/polling", { method: "POST", body });
   * console.log(JSON.stringify({ status: response.status, tokenOrigin, replayed }));
   * ```
   */
  async request(pathOrUrl: string | URL, init: K2FetchInit = {}): Promise<K2Exchange> {
    const url = this.resolve(pathOrUrl);
    const headers = new Headers(init.headers);
    headers.set("accept", headers.get("accept") ?? "application/json");
    const { body, contentType } = await replayable(init.body);
    if (contentType && !headers.has("content-type")) headers.set("content-type", contentType);
    const request = { ...init, headers, body };
    const signal = init.signal ?? undefined;

    const first = await this.tokens.resolve({ signal });
    const response = await this.#send(url, request, first.token.accessToken);
    if (response.status !== 401) return { response, tokenOrigin: first.origin, replayed: false };
    await response.body?.cancel();
    await this.tokens.invalidate(first.token.accessToken);
    const second = await this.tokens.resolve({ signal });
    return { response: await this.#send(url, request, second.token.accessToken), tokenOrigin: second.origin, replayed: true };
  }

  /**
   * Checks a webhook's `X-KopoKopo-Signature` with this client's `apiKey`; see {@link verifyWebhookSignature}.
   *
   * @example
   * ```ts
   * if (!(await k2.verifyWebhook(await request.arrayBuffer(), request.headers.get("x-kopokopo-signature")))) return new Response(null, { status: 401 });
   * ```
   */
  verifyWebhook(rawBody: string | ArrayBuffer | ArrayBufferView, signature: string | null | undefined): Promise<boolean> {
    if (!this.#apiKey) throw new InvalidInputError("apiKey is required to verify webhooks");
    return verifyWebhookSignature(rawBody, signature, this.#apiKey);
  }

  /** The absolute URL for a K2 path, or an {@link InvalidInputError} for anything off this origin. */
  resolve(pathOrUrl: string | URL): string {
    let url: URL;
    try {
      url = new URL(pathOrUrl, this.baseUrl);
    } catch (error) {
      throw new InvalidInputError(`Not a URL or path: ${JSON.stringify(String(pathOrUrl))}`, { cause: error });
    }
    if (url.origin !== this.baseUrl) {
      throw new InvalidInputError(`Refusing to send the K2 token to ${url.origin}: only ${this.baseUrl} is allowed`);
    }
    return url.href;
  }

  #send(url: string, init: RequestInit, accessToken: string): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set("authorization", `Bearer ${accessToken}`);
    return send(this.#endpoint.transport, url, { ...init, headers }, init.signal ?? undefined);
  }
}

/**
 * The typed error for a K2 API answer that is not a success: {@link K2ApiError} for K2's
 * `error_code`/`error_message` bodies, {@link OAuth2Error} for token errors,
 * {@link UnexpectedResponseError} otherwise. Reads the body.
 *
 * @see {@link https://api-docs.kopokopo.com | K2 API reference: Errors}
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749#section-5.2 | RFC 6749, section 5.2}
 * @example
 * ```ts
 * const response = await k2.fetch("/api/v2/send_money", { method: "POST", body });
 * if (!response.ok) throw await readK2Error(response);
 * ```
 */
export async function readK2Error(response: Response): Promise<Error> {
  return errorFromExchange({ url: response.url, response, text: await response.text() }, noRedaction);
}

/**
 * The cache key for a K2 application: a hash, so that no identifier appears in a shared store.
 * Every {@link K2Client} with the same origin and client id uses this key, and so shares one token.
 *
 * @see {@link https://developer.mozilla.org/en-US/docs/Web/API/SubtleCrypto/digest | MDN: SubtleCrypto.digest() (SHA-256)}
 * @example
 * ```ts
 * // After rotating the client secret, drop the token every isolate shares:
 * await new KvTokenCache(env.TOKEN_CACHE).delete(await k2CacheKey(K2_BASE_URLS.sandbox, env.K2_CLIENT_ID));
 * ```
 */
export async function k2CacheKey(baseUrl: string, clientId: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${baseUrl}\n${clientId}`));
  const hex = [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
  return `k2-connect-edge:token:${hex.slice(0, 32)}`;
}

function k2Origin(options: K2ClientOptions): string {
  if (options.baseUrl !== undefined) {
    let url: URL;
    try {
      url = new URL(options.baseUrl);
    } catch (error) {
      throw new InvalidInputError("baseUrl is not an absolute URL", { cause: error });
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") throw new InvalidInputError("baseUrl must be http or https");
    return url.origin;
  }
  const environment = options.environment ?? "sandbox";
  const origin = K2_BASE_URLS[environment];
  if (!origin) throw new InvalidInputError(`environment must be "sandbox" or "production", got ${JSON.stringify(environment)}`);
  return origin;
}

/**
 * The body as bytes that can be sent twice (a stream can be read only once), with the content type
 * it implies. A string is taken to be JSON, the K2 API's only body type.
 */
async function replayable(body: BodyInit | null | undefined): Promise<{ body?: BodyInit; contentType?: string }> {
  if (body === undefined || body === null) return {};
  if (typeof body === "string") return { body, contentType: "application/json" };
  const wrapped = new Response(body);
  return { body: await wrapped.arrayBuffer(), contentType: wrapped.headers.get("content-type") ?? undefined };
}
