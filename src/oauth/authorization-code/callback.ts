/**
 * The authorization callback: reads the provider's answer wherever it arrives (query string or form
 * POST body), checks `state` (and `iss` when known), and hands back the code or the provider's error.
 *
 * @module
 */
import { InvalidInputError, OAuth2Error } from "../../errors.ts";

/**
 * What the callback can be read from: the callback `URL` (or its string), a bare query string, the
 * incoming `Request` (GET with a query, or a form POST as Copper and `response_mode=form_post`
 * send), or its parameters.
 */
export type AuthorizationCallbackInput = URL | string | Request | URLSearchParams;

/** Why {@link AuthorizationCallbackError} refused a callback. */
export type AuthorizationCallbackFailure =
  "state_missing" | "state_mismatch" | "issuer_mismatch" | "code_missing" | "unreadable";

/**
 * A callback that must not be trusted or cannot be used: its `state` is missing or not the one this
 * user's request carried (a possible CSRF or a mixed-up tab), its `iss` names another server, it has
 * no code, or its body cannot be read. The message never quotes the code or the state.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749#section-10.12 | RFC 6749, section 10.12}
 * @example
 * ```ts
 * catch (e) {
 *   if (e instanceof AuthorizationCallbackError) return new Response("Please sign in again", { status: 400 });
 * }
 * ```
 */
export class AuthorizationCallbackError extends InvalidInputError {
  override name = "AuthorizationCallbackError";
  /** What was wrong with the callback. */
  readonly reason: AuthorizationCallbackFailure;

  constructor(reason: AuthorizationCallbackFailure, message: string, options?: ErrorOptions) {
    super(message, options);
    this.reason = reason;
  }
}

/** What the callback is checked against. */
export interface CallbackExpectations {
  /** The `state` sent with the authorization request. */
  expectedState: string | undefined;
  /** `false` for a provider that may leave `state` out of its callback (Copper). */
  returnsState: boolean;
  /** The provider's issuer identifier, to check an `iss` parameter against (RFC 9207). */
  issuer: string | undefined;
}

/**
 * The callback's parameters: the form body of a POST `Request` with a form content type (the
 * OAuth 2.0 Form Post Response Mode, and Copper), else the query of its URL.
 */
export async function callbackParameters(input: AuthorizationCallbackInput): Promise<URLSearchParams> {
  if (input instanceof URLSearchParams) return input;
  if (input instanceof URL) return input.searchParams;
  if (typeof input === "string") return parametersOfString(input);
  if (isRequest(input)) return parametersOfRequest(input);
  throw new InvalidInputError("The callback must be a URL, a query string, a Request or URLSearchParams");
}

/**
 * Checks a callback's parameters (RFC 6749, section 4.1.2; RFC 9207, section 2.4) and returns its
 * code. In order: a `state` other than the expected one is refused even on an error callback
 * (nothing in it can be trusted); an `iss` other than the configured issuer likewise; an `error`
 * becomes {@link OAuth2Error} (status 0); then a missing `state` (unless the provider may omit it)
 * and a missing `code` are refused.
 */
export function checkCallback(parameters: URLSearchParams, expect: CallbackExpectations): string {
  if (expect.returnsState && !expect.expectedState) {
    throw new InvalidInputError("expectedState is required: pass the state returned by createAuthorizationURL");
  }
  const state = parameters.get("state");
  if (state !== null && expect.expectedState !== undefined && state !== expect.expectedState) {
    throw new AuthorizationCallbackError(
      "state_mismatch",
      "The callback's state does not match this authorization request",
    );
  }
  const iss = parameters.get("iss");
  if (iss !== null && expect.issuer !== undefined && iss !== expect.issuer) {
    throw new AuthorizationCallbackError("issuer_mismatch", "The callback's iss names another authorization server");
  }
  const error = parameters.get("error");
  if (error !== null) {
    throw new OAuth2Error({
      error,
      errorDescription: parameters.get("error_description") ?? undefined,
      errorUri: parameters.get("error_uri") ?? undefined,
      status: 0,
    });
  }
  if (state === null && expect.returnsState) {
    throw new AuthorizationCallbackError(
      "state_missing",
      "The callback has no state: it cannot be tied to an authorization request",
    );
  }
  const code = parameters.get("code");
  if (!code) throw new AuthorizationCallbackError("code_missing", "The callback has neither code nor error");
  return code;
}

/** A fetch `Request`, also one from another realm or a framework's own implementation. */
function isRequest(input: unknown): input is Request {
  if (typeof Request !== "undefined" && input instanceof Request) return true;
  const candidate = input as Partial<Request> | null;
  return (
    typeof candidate === "object" &&
    candidate !== null &&
    typeof candidate.url === "string" &&
    typeof candidate.method === "string" &&
    typeof candidate.clone === "function" &&
    typeof candidate.headers?.get === "function"
  );
}

function parametersOfString(input: string): URLSearchParams {
  // A query string cannot parse as an absolute URL: its "=" or "&" come before any ":".
  try {
    return new URL(input).searchParams;
  } catch {
    return new URLSearchParams(input);
  }
}

async function parametersOfRequest(request: Request): Promise<URLSearchParams> {
  const type = (request.headers.get("content-type") ?? "").toLowerCase();
  const isForm = type.startsWith("application/x-www-form-urlencoded") || type.startsWith("multipart/form-data");
  if (request.method !== "POST" || !isForm) return new URL(request.url).searchParams;
  try {
    // A clone, so that the application can still read the body it was handed.
    const copy = request.clone();
    if (type.startsWith("application/x-www-form-urlencoded")) return new URLSearchParams(await copy.text());
    const form = await copy.formData();
    const parameters = new URLSearchParams();
    for (const [name, value] of form) if (typeof value === "string") parameters.append(name, value);
    return parameters;
  } catch (error) {
    throw new AuthorizationCallbackError("unreadable", "The callback's form body cannot be read", { cause: error });
  }
}
