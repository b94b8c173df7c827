/**
 * The error family. Every error this package throws is a {@link K2EdgeError}, so one `instanceof`
 * check catches them all, and each subclass says which kind of failure happened. Messages, own
 * properties and `cause` chains never carry a client secret, an API key or a token.
 *
 * @module
 */

/**
 * Base class of every error thrown by k2-connect-edge.
 *
 * @see {@link https://developer.mozilla.org/en-US/docs/Web/JavaScript/Reference/Global_Objects/Error/cause | MDN: Error.cause (the underlying failure, when there is one)}
 * @example
 * ```ts
 * try { await k2.getAccessToken(); }
 * catch (e) { if (e instanceof K2EdgeError) console.error(e.name, e.message); }
 * ```
 */
export class K2EdgeError extends Error {
  override name = "K2EdgeError";
}

/**
 * The authorization server answered with an OAuth 2.0 error body, `{ "error": "...",
 * "error_description": "..." }`, whatever its HTTP status (a 200 carrying `error` counts too).
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749#section-5.2 | RFC 6749, section 5.2}
 * @example
 * ```ts
 * catch (e) { if (e instanceof OAuth2Error && e.error === "invalid_client") rotateCredentials(); }
 * ```
 */
export class OAuth2Error extends K2EdgeError {
  override name = "OAuth2Error";
  /** The `error` code, such as `invalid_client` or `invalid_grant`. */
  declare readonly error: string;
  /** The human-readable `error_description`, when the server sent one. */
  declare readonly errorDescription: string | undefined;
  /** The `error_uri`, when the server sent one. */
  declare readonly errorUri: string | undefined;
  /** The HTTP status of the answer (0 for an error delivered in an authorization callback). */
  declare readonly status: number;

  constructor(
    fields: { error: string; errorDescription?: string; errorUri?: string; status: number },
    options?: ErrorOptions,
  ) {
    const detail = fields.errorDescription ? `: ${fields.errorDescription}` : "";
    super(`OAuth 2.0 error "${fields.error}"${detail} (HTTP ${fields.status})`, options);
    Object.assign(this, { errorDescription: undefined, errorUri: undefined }, fields);
  }
}

/**
 * An answer that is neither a success nor a recognised error body: an HTML page from a gateway, a
 * truncated or non-JSON body, a 200 without `access_token`, a non-numeric `expires_in`.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749#section-5.1 | RFC 6749, section 5.1}
 * @example
 * ```ts
 * catch (e) { if (e instanceof UnexpectedResponseError) log(e.status, e.contentType, e.excerpt); }
 * ```
 */
export class UnexpectedResponseError extends K2EdgeError {
  override name = "UnexpectedResponseError";
  /** The HTTP status of the answer. */
  declare readonly status: number;
  /** The `Content-Type` of the answer, or `""` when it had none. */
  declare readonly contentType: string;
  /** The first characters of the body (at most 200), secrets removed. */
  declare readonly excerpt: string;

  constructor(
    reason: string,
    fields: { status: number; contentType: string; excerpt: string },
    options?: ErrorOptions,
  ) {
    const shown = fields.excerpt ? `: ${JSON.stringify(fields.excerpt)}` : "";
    super(`${reason} (HTTP ${fields.status}, ${fields.contentType || "no content type"})${shown}`, options);
    Object.assign(this, fields);
  }
}

/**
 * A request did not finish within its deadline (`timeoutMs`, default 10 s). A caller's own
 * `AbortSignal` rejects with that signal's reason instead, not with this error. The request had
 * been handed to the runtime, so the server may have received it: `requestSent` is always `true`.
 *
 * @see {@link https://developer.mozilla.org/en-US/docs/Web/API/AbortSignal/timeout_static | MDN: AbortSignal.timeout()}
 * @example
 * ```ts
 * catch (e) { if (e instanceof TimeoutError) console.warn(`gave up after ${e.timeoutMs} ms`); }
 * ```
 */
export class TimeoutError extends K2EdgeError {
  override name = "TimeoutError";
  /** The deadline that passed, in milliseconds. */
  declare readonly timeoutMs: number;
  /** The URL requested: an `/oauth/...` endpoint when the token request, not the API call, timed out. */
  declare readonly url: string;
  /** `true`: the server may have received the request (see {@link NetworkError.requestSent}). */
  declare readonly requestSent: true;

  constructor(url: string, timeoutMs: number, options?: ErrorOptions) {
    super(`No complete answer from ${url} within ${timeoutMs} ms`, options);
    Object.assign(this, { timeoutMs, url, requestSent: true });
  }
}

/**
 * The server could not be reached or the connection broke before the answer was complete (DNS
 * failure, refused or reset connection). The underlying `fetch` error is the `cause`.
 * `requestSent` says whether the request may have reached the server, as far as the runtime tells:
 * before resending a payment, check `requestSent !== false` and read its status first.
 *
 * @see {@link https://developer.mozilla.org/en-US/docs/Web/API/Window/fetch | MDN: fetch() (rejects with a TypeError on network failure)}
 * @example
 * ```ts
 * catch (e) { if (e instanceof NetworkError && e.requestSent === false) retryNow(); }
 * ```
 */
export class NetworkError extends K2EdgeError {
  override name = "NetworkError";
  /** The URL requested: an `/oauth/...` endpoint when the token request, not the API call, failed. */
  declare readonly url: string;
  /**
   * `false`: certainly not sent (no connection: refused, unknown host). `true`: the connection broke
   * after the request went out, so the server may have it. `undefined`: the runtime does not say
   * (workerd reports a refused and a dropped connection alike).
   */
  declare readonly requestSent: boolean | undefined;

  constructor(url: string, options?: ErrorOptions, requestSent?: boolean) {
    super(`Could not reach ${url}`, options);
    Object.assign(this, { url, requestSent });
  }
}

/**
 * The caller passed something this package refuses before any request is made: a missing option,
 * an absolute URL to another origin, a body that cannot be replayed.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc6750#section-5.3 | RFC 6750, section 5.3 (bearer tokens go to their own server only)}
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1 | RFC 6749, section 2.3.1 (client credentials)}
 * @example
 * ```ts
 * catch (e) { if (e instanceof InvalidInputError) showUsage(e.message); }
 * ```
 */
export class InvalidInputError extends K2EdgeError {
  override name = "InvalidInputError";
}
