/**
 * The Kopo Kopo (K2 Connect) client: a cached, shared client-credentials token and authenticated
 * API calls.
 *
 * @module
 */
import { sendWithBearer } from "../oauth/bearer.ts";
import { type EndpointClient, introspectToken, revokeToken, type TokenIntrospection } from "../oauth/token-endpoint.ts";
import type { TokenSet } from "../oauth/token-set.ts";
import { CachedTokenSource } from "../tokens/cached-token-source.ts";
import type { TokenCache } from "../tokens/token-cache.ts";
import type { TokenOrigin, TokenSource } from "../tokens/token-source.ts";
import { originGuard } from "../transport/origin.ts";
import type { CallOptions } from "../transport/transport.ts";
import { k2CacheKey } from "./cache-key.ts";
import { type K2TokenInfo, requestTokenInfo } from "./token-info.ts";
import { endpointTokenSource, k2Endpoint, type K2TokenSourceOptions } from "./token-source.ts";

/** Settings of a {@link K2Client}. */
export interface K2ClientOptions extends K2TokenSourceOptions {
  /** Where tokens are shared (a `KvTokenCache`, a `MemoryTokenCache` several clients share). Default: none, this client's memory only. */
  cache?: TokenCache;
  /** Renew the token this many seconds before it expires. Default 60. */
  expirySkewSeconds?: number;
  /** Told when the cache fails; the client then works from memory and the token endpoint. */
  onCacheError?: (error: unknown, operation: "get" | "set" | "delete") => void;
  /**
   * Where new tokens come from: another source (a broker shared by many clients) that may wrap
   * `k2TokenSource(options)`, K2's own endpoint. Its `getToken` is told the refused access token
   * when a renewal follows a 401. Default: `k2TokenSource(options)`.
   */
  tokenSource?: TokenSource;
}

/** A K2 token: always has an expiry, since K2 tokens last an hour. */
export type K2Token = TokenSet & { readonly expiresIn: number; readonly expiresAt: number };

/** What {@link K2Client.request} answers: the response, and how the token was had. */
export interface K2Exchange {
  readonly response: Response;
  /** Where the token of the (last) attempt came from. */
  readonly tokenOrigin: TokenOrigin;
  /** Whether K2 refused the first token with a 401 and the request was sent again. */
  readonly replayed: boolean;
}

/**
 * The Kopo Kopo client. Tokens are fetched once, shared by every concurrent caller, cached (in
 * memory by default, or any `TokenCache`) and renewed a minute before they expire.
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
  readonly #tokens: CachedTokenSource;
  readonly #endpoint: EndpointClient;
  readonly #onOrigin: (target: string | URL) => string;

  constructor(options: K2ClientOptions) {
    const k2 = k2Endpoint(options);
    this.baseUrl = k2.baseUrl;
    this.#onOrigin = originGuard(k2.baseUrl);
    this.#tokens = new CachedTokenSource({
      source: options.tokenSource ?? endpointTokenSource(k2, options.now),
      // Without a shared cache, this client's memory is the only tier, and no key is ever hashed.
      cache: options.cache,
      cacheKey: () => k2CacheKey(this.baseUrl, options.clientId),
      expirySkewSeconds: options.expirySkewSeconds,
      now: options.now,
      onCacheError: options.onCacheError,
    });
    this.#endpoint = k2.endpoint;
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
    return this.#tokens.getAccessToken(options);
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
    return this.#tokens.getToken(options) as Promise<K2Token>;
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
    const target = token ?? (await this.#tokens.peek())?.accessToken;
    if (target === undefined) return;
    await revokeToken(this.#endpoint, `${this.baseUrl}/oauth/revoke`, target, undefined, options?.signal);
    await this.#tokens.invalidate(target);
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
    return requestTokenInfo(this.#endpoint.transport, `${this.baseUrl}/oauth/token/info`, bearer, options?.signal);
  }

  /**
   * `fetch` against the K2 API with the bearer token added. Paths resolve against the base URL; an
   * absolute URL to any other origin is refused before anything is sent, so the token never leaves
   * for another host. On a 401 the token is dropped, a new one fetched and the request replayed
   * once with the same body. Sets `Accept: application/json`, and `Content-Type: application/json`
   * for a string body without one. Redirects are returned, not followed. Non-2xx answers are
   * returned as they are: read them with `readK2Error`.
   *
   * @see {@link https://developers.kopokopo.com/guides/auth/using-an-access-token.html | K2: using an access token}
   * @example
   * ```ts
   * const response = await k2.fetch("/api/v2/incoming_payments", { method: "POST", body: JSON.stringify(stkPush) });
   * if (!response.ok) throw await readK2Error(response);
   * const location = response.headers.get("location");
   * ```
   */
  async fetch(pathOrUrl: string | URL, init: RequestInit = {}): Promise<Response> {
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
  async request(pathOrUrl: string | URL, init: RequestInit = {}): Promise<K2Exchange> {
    const url = this.#onOrigin(pathOrUrl);
    const request = { ...init, ...(await replayable(init)) };
    const signal = init.signal ?? undefined;
    const transport = this.#endpoint.transport;

    const first = await this.#tokens.resolve({ signal });
    const response = await sendWithBearer(transport, url, request, first.token.accessToken);
    if (response.status !== 401) return { response, tokenOrigin: first.origin, replayed: false };
    await response.body?.cancel();
    await this.#tokens.invalidate(first.token.accessToken);
    const second = await this.#tokens.resolve({ signal });
    return {
      response: await sendWithBearer(transport, url, request, second.token.accessToken),
      tokenOrigin: second.origin,
      replayed: true,
    };
  }
}

/**
 * The body as something that can be sent twice (a stream can be read only once), with the content
 * type a non-string body implies; a string body is left to the bearer path, which takes it as JSON.
 */
async function replayable(init: RequestInit): Promise<{ body?: BodyInit; headers?: Headers }> {
  const body = init.body;
  // Bytes can be sent as often as needed and imply no content type: nothing to copy (the proxy's case).
  if (body === undefined || body === null || typeof body === "string") return {};
  if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) return {};
  const wrapped = new Response(body);
  const headers = new Headers(init.headers);
  const implied = wrapped.headers.get("content-type");
  if (implied && !headers.has("content-type")) headers.set("content-type", implied);
  return { body: await wrapped.arrayBuffer(), headers };
}
