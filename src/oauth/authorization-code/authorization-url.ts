/**
 * The authorization request of the authorization-code grant: where to send the user, with a fresh
 * `state` and, unless the provider does not want it, a PKCE challenge.
 *
 * @module
 */
import { InvalidInputError } from "../../errors.ts";
import { codeChallenge, type CodeChallengeMethod, generateCodeVerifier, generateState } from "./pkce.ts";

/** Options of {@link OAuth2Client.createAuthorizationURL}. */
export interface AuthorizationURLOptions {
  /** Where the provider sends the user back. Default: the client's `redirectUri`. */
  redirectUri?: string;
  /** Space-separated string or a list of scopes. */
  scope?: string | readonly string[];
  /** Your own `state`; default: 256 fresh random bits. */
  state?: string;
  /**
   * PKCE method; default `"S256"` unless the client says the provider does not want PKCE
   * (`pkce: false`). Naming a method here asks for PKCE whatever the client's setting.
   */
  codeChallengeMethod?: CodeChallengeMethod;
  /** Further query parameters, such as `prompt`, `login_hint` or `response_mode`. */
  parameters?: Record<string, string>;
}

/**
 * What {@link OAuth2Client.createAuthorizationURL} hands back: send the user to `url`, and keep
 * `state` and `codeVerifier` (server-side, or in an `HttpOnly` cookie) until the callback.
 */
export interface AuthorizationRequest {
  /** The authorization endpoint with every parameter of the request. */
  readonly url: URL;
  /** The `state` to compare with the callback's. */
  readonly state: string;
  /** The PKCE verifier to send with the code; absent when PKCE is not used. */
  readonly codeVerifier?: string;
}

/** Everything the authorization URL is built from, defaults resolved. */
export interface AuthorizationURLFields {
  authorizationEndpoint: string;
  clientId: string;
  redirectUri: string;
  scope: string | undefined;
  state: string | undefined;
  /** The PKCE method, or `false` for none. */
  pkce: CodeChallengeMethod | false;
  parameters: Record<string, string> | undefined;
}

/**
 * Builds the authorization request URL (RFC 6749, section 4.1.1; RFC 7636, section 4.3). The
 * caller's extra `parameters` go in first and cannot override the ones set here (`response_type`,
 * `client_id`, `redirect_uri`, `scope`, `state`, `code_challenge`, `code_challenge_method`), so a
 * stray option cannot silently weaken PKCE or `state`.
 */
export async function buildAuthorizationURL(fields: AuthorizationURLFields): Promise<AuthorizationRequest> {
  if (fields.state !== undefined && (typeof fields.state !== "string" || fields.state === "")) {
    throw new InvalidInputError("state must be a non-empty string when given");
  }
  const url = new URL(fields.authorizationEndpoint);
  for (const [name, value] of Object.entries(fields.parameters ?? {})) url.searchParams.set(name, value);
  const state = fields.state ?? generateState();
  url.searchParams.set("response_type", "code");
  url.searchParams.set("client_id", fields.clientId);
  url.searchParams.set("redirect_uri", absoluteRedirectUri(fields.redirectUri));
  if (fields.scope) url.searchParams.set("scope", fields.scope);
  url.searchParams.set("state", state);
  if (fields.pkce === false) return Object.freeze({ url, state });
  const codeVerifier = generateCodeVerifier();
  url.searchParams.set("code_challenge", await codeChallenge(codeVerifier, fields.pkce));
  url.searchParams.set("code_challenge_method", fields.pkce);
  return Object.freeze({ url, state, codeVerifier });
}

/** RFC 6749 section 3.1.2: the redirection endpoint is an absolute URI without a fragment. */
export function absoluteRedirectUri(value: string | undefined): string {
  if (!value) throw new InvalidInputError("redirectUri is required (give it here or to the client)");
  let url: URL;
  try {
    url = new URL(value);
  } catch (error) {
    throw new InvalidInputError("redirectUri is not an absolute URL", { cause: error });
  }
  if (url.hash) throw new InvalidInputError("redirectUri must not contain a fragment");
  // As given, not normalised: the token request must repeat exactly what the authorization request sent.
  return value;
}
