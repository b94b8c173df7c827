/**
 * The OAuth 2.0 endpoint exchanges as plain functions: each builds a form request, sends it with
 * client authentication, and processes the answer. `OAuth2Client` and `K2Client` are thin wrappers,
 * so that a K2 client does not carry the grants it never uses.
 *
 * @module
 */
import { InvalidInputError } from "../errors.ts";
import { type ErrorDialect, errorFromExchange, instantMs, jsonObject, oauthErrorIn } from "../transport/answer.ts";
import { alsoRedacting, type Redact } from "../transport/redaction.ts";
import { exchange, type Exchange, type Transport } from "../transport/transport.ts";
import type { ClientAuthentication } from "./client-authentication.ts";
import { processTokenResponse, type TokenSet } from "./token-set.ts";

/** What every endpoint call needs to know about the client making it. */
export interface EndpointClient {
  readonly transport: Transport;
  readonly authenticate: ClientAuthentication;
  /** Removes the client's secret from anything quoted in an error. */
  readonly redact: Redact;
  /** The provider's own error bodies, beside RFC 6749's (K2's `error_code`/`error_message`). */
  readonly dialect?: ErrorDialect;
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

/** Options of a token request. */
export interface TokenRequestOptions {
  signal?: AbortSignal | undefined;
  /** The clock, in epoch milliseconds. */
  now: () => number;
  /** Lifetime in seconds to assume when the answer has no `expires_in`. */
  defaultExpiresIn?: number | undefined;
}

/**
 * POSTs form parameters with the client's authentication and reads the whole answer, with the
 * transport's deadline and retries. Answered with the redaction that also covers the parameters
 * that are secrets (a code, a verifier, a refresh token, the token being revoked).
 */
async function postForm(
  client: EndpointClient,
  url: string,
  parameters: Record<string, string>,
  signal?: AbortSignal,
): Promise<{ answer: Exchange; redact: Redact }> {
  const redact = alsoRedacting(
    client.redact,
    Object.entries(parameters)
      .filter(([name]) => !PUBLIC_PARAMETERS.has(name))
      .map(([, value]) => value),
  );
  const build = () => {
    const body = new URLSearchParams(parameters);
    const headers = new Headers({ "content-type": "application/x-www-form-urlencoded", accept: "application/json" });
    client.authenticate(body, headers);
    return { method: "POST", headers, body: body.toString() };
  };
  return { answer: await exchange(client.transport, url, build, { signal, redact }), redact };
}

// Parameters that are no secret: everything else a request carries is redacted from its answer.
const PUBLIC_PARAMETERS = new Set(["grant_type", "scope", "redirect_uri", "client_id", "token_type_hint", "resource"]);

/**
 * Any grant at the token endpoint, answered by a {@link TokenSet} or a typed error.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749#section-5 | RFC 6749, section 5}
 */
export async function requestToken(
  client: EndpointClient,
  url: string,
  parameters: Record<string, string>,
  options: TokenRequestOptions,
): Promise<TokenSet> {
  const { answer, redact } = await postForm(client, url, parameters, options.signal);
  return processTokenResponse(answer, {
    receivedAt: options.now(),
    redact,
    dialect: client.dialect,
    defaultExpiresIn: options.defaultExpiresIn,
  });
}

/**
 * Token revocation; an unknown or already revoked token is a success, as RFC 7009 requires.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc7009#section-2 | RFC 7009, section 2}
 */
export async function revokeToken(
  client: EndpointClient,
  url: string,
  token: string,
  tokenTypeHint?: string,
  signal?: AbortSignal,
): Promise<void> {
  const { answer, redact } = await postForm(client, url, tokenParameters(token, tokenTypeHint), signal);
  if (!answer.response.ok) throw errorFromExchange(answer, redact, client.dialect);
}

/**
 * Token introspection.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc7662#section-2 | RFC 7662, section 2}
 */
export async function introspectToken(
  client: EndpointClient,
  url: string,
  token: string,
  tokenTypeHint?: string,
  signal?: AbortSignal,
): Promise<TokenIntrospection> {
  const { answer, redact } = await postForm(client, url, tokenParameters(token, tokenTypeHint), signal);
  if (!answer.response.ok) throw errorFromExchange(answer, redact, client.dialect);
  const body = jsonObject(answer, redact);
  const oauthError = oauthErrorIn(body, answer.response.status, redact);
  if (oauthError) throw oauthError;
  return parseIntrospection(body);
}

/**
 * Reads an RFC 7662 introspection answer (section 2.2); `exp` and `iat` may be Unix seconds or
 * ISO-8601 strings (K2 sends both).
 */
function parseIntrospection(body: Record<string, unknown>): TokenIntrospection {
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

function tokenParameters(token: string, tokenTypeHint: string | undefined): Record<string, string> {
  if (typeof token !== "string" || token === "") throw new InvalidInputError("A non-empty token is required");
  return tokenTypeHint ? { token, token_type_hint: tokenTypeHint } : { token };
}
