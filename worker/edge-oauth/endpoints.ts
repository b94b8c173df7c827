/**
 * K2's own OAuth paths, answered at the edge for its keys: a key's id and key are the OAuth
 * client_id and client_secret, and what they get is an edge token (token.ts), never K2's. An app
 * built on an official SDK moves K2's secret to the edge by changing its base URL and credentials.
 *
 * | path | answers |
 * |---|---|
 * | `POST /oauth/token` | `grant_type=client_credentials`: `access_token`, `token_type`, `expires_in`, `created_at` |
 * | `POST /oauth/revoke` | `token`: `{}` (RFC 7009: an unknown token is no error) |
 * | `POST /oauth/introspect` | `token`: `active`, `scope`, `client_id`, `token_type`, `exp`, `iat`, or `{"active":false}` |
 * | `GET /oauth/token/info` | the bearer edge token's `resource_owner_id`, `scope`, `expires_in`, `application`, `created_at` |
 *
 * Client credentials are read where Doorkeeper reads them and the official SDKs send them: HTTP
 * Basic (form-encoded id and key, RFC 6749 section 2.3.1), or `client_id` and `client_secret` in a
 * form or JSON body; never from the query string, which logs and proxies keep. Errors are RFC
 * 6749's `{"error","error_description"}`, and name no key or token.
 */
import { bearerOf, callerOfKey, type Caller } from "../common/callers.ts";
import type { RequestLog } from "../common/log.ts";
import {
  BodyNotAllowedError,
  BodyTimeoutError,
  BodyTooLargeError,
  bodyTimeoutMs,
  readRequestBody,
  type BodyEnv,
} from "../common/request-body.ts";
import { jsonResponse, methodNotAllowed, withErrorCode } from "../common/responses.ts";
import { ConfigError } from "../common/settings.ts";
import { edgeOAuthBound, revokeEdgeToken, tokenState, type EdgeOAuthEnv } from "./client.ts";
import { EDGE_TOKEN_LIFETIME_SECONDS, issueEdgeToken, verifyEdgeToken } from "./token.ts";

export type EdgeOAuthEndpointsEnv = EdgeOAuthEnv & BodyEnv;

const ENDPOINTS: Record<string, { methods: readonly string[]; handle: Handler }> = {
  "/oauth/token": { methods: ["POST"], handle: token },
  "/oauth/revoke": { methods: ["POST"], handle: revoke },
  "/oauth/introspect": { methods: ["POST"], handle: introspect },
  "/oauth/token/info": { methods: ["GET", "HEAD"], handle: tokenInfo },
};

type Handler = (request: Request, env: EdgeOAuthEndpointsEnv, log: RequestLog) => Promise<Response>;

/** Whether `pathname` is one of K2's OAuth paths the edge answers. */
export const isEdgeOAuthPath = (pathname: string): boolean => Object.hasOwn(ENDPOINTS, pathname);

/** The answer to a request on one of K2's OAuth paths ({@link isEdgeOAuthPath}). */
export async function answerOAuth(request: Request, env: EdgeOAuthEndpointsEnv, log: RequestLog): Promise<Response> {
  const endpoint = ENDPOINTS[new URL(request.url).pathname]!;
  if (!endpoint.methods.includes(request.method)) return methodNotAllowed(endpoint.methods);
  if (!edgeOAuthBound(env))
    throw new ConfigError(
      "EDGE_REVOCATIONS",
      "EDGE_REVOCATIONS must be bound to the RevokedEdgeTokens Durable Object for the edge to answer /oauth/ paths",
    );
  return endpoint.handle(request, env, log);
}

/** The largest OAuth body read: credentials and a token are a few hundred bytes. */
const MAX_OAUTH_BODY_BYTES = 16 * 1024;

/** The parameters OAuth reads, each at most once (RFC 6749 section 3.1). */
const PARAMETERS = ["grant_type", "client_id", "client_secret", "token", "token_type_hint", "scope"];

type Parameters = Map<string, string>;

/** A request's OAuth parameters, or the refusal of a body that cannot hold them. */
async function parametersOf(request: Request, env: BodyEnv): Promise<Parameters | Response> {
  let body: ArrayBuffer | undefined;
  try {
    body = await readRequestBody(request, { maxBytes: MAX_OAUTH_BODY_BYTES, timeoutMs: bodyTimeoutMs(env) });
  } catch (error) {
    if (error instanceof BodyTooLargeError) return invalidRequest(`The body is larger than ${error.limit} bytes`, 413);
    if (error instanceof BodyTimeoutError) return invalidRequest("The body did not arrive in time", 408);
    if (error instanceof BodyNotAllowedError) return invalidRequest(`A ${error.method} request carries no body`);
    throw error;
  }
  const text = body === undefined ? "" : new TextDecoder().decode(body);
  const parameters: Parameters = new Map();
  const type = (request.headers.get("content-type") ?? "").toLowerCase();
  // JSON when the content type says so, as Rails reads it (the official Node SDK sends JSON).
  if (/^application\/(?:[\w.+-]+\+)?json\b/.test(type)) {
    if (text.trim() === "") return parameters;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return invalidRequest("The body is not JSON, as its Content-Type says");
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
      return invalidRequest("The body must be a JSON object");
    for (const [name, value] of Object.entries(parsed))
      // A JSON null is an absent parameter, as Rails reads it; numbers are written as strings.
      if (typeof value === "string" || typeof value === "number") parameters.set(name, String(value));
    return parameters;
  }
  for (const [name, value] of new URLSearchParams(text)) {
    if (parameters.has(name) && PARAMETERS.includes(name))
      return invalidRequest(`The parameter ${name} is given more than once`);
    parameters.set(name, value);
  }
  return parameters;
}

/** The key the client authenticated as, or the refusal (RFC 6749 section 5.2). */
async function authenticateClient(
  request: Request,
  env: EdgeOAuthEnv,
  parameters: Parameters,
): Promise<{ caller: Caller & { id: string } } | { refusal: Response }> {
  const basic = /^Basic\s+(\S+)$/i.exec(request.headers.get("authorization") ?? "")?.[1];
  let id = parameters.get("client_id");
  let secret = parameters.get("client_secret");
  if (basic !== undefined) {
    if (secret !== undefined)
      return { refusal: invalidRequest("The client authenticated twice: with HTTP Basic and client_secret") };
    const credentials = basicCredentials(basic);
    if (!credentials) return { refusal: invalidClient(true) };
    ({ id, secret } = credentials);
  }
  // A key is visible ASCII (common/callers.ts); anything else is no key, and no header can carry it.
  if (!id || !secret || !/^[\x21-\x7e]+$/.test(secret)) return { refusal: invalidClient(basic !== undefined) };
  // The very check a key presented as a bearer gets: its digest, compared in constant time.
  const caller = await callerOfKey(secret, env);
  // A key without an id (a bare PROXY_KEYS entry) has no client_id, so it never gets here.
  if (!caller || caller.id === undefined || caller.id !== id) return { refusal: invalidClient(basic !== undefined) };
  return { caller: caller as Caller & { id: string } };
}

/** RFC 6749 section 2.3.1: the id and key are form-encoded, then joined by `:` and Base64-encoded. */
function basicCredentials(encoded: string): { id: string; secret: string } | undefined {
  try {
    const decoded = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(
      Uint8Array.from(atob(encoded), (char) => char.charCodeAt(0)),
    );
    const colon = decoded.indexOf(":");
    if (colon < 0) return undefined;
    const formDecoded = (part: string) => decodeURIComponent(part.replace(/\+/g, " "));
    return { id: formDecoded(decoded.slice(0, colon)), secret: formDecoded(decoded.slice(colon + 1)) };
  } catch {
    return undefined;
  }
}

/** The request's parameters and its authenticated client (named in the log line), or the refusal. */
async function clientRequest(
  request: Request,
  env: EdgeOAuthEndpointsEnv,
  log: RequestLog,
): Promise<{ parameters: Parameters; caller: Caller & { id: string } } | Response> {
  const parameters = await parametersOf(request, env);
  if (parameters instanceof Response) return parameters;
  const client = await authenticateClient(request, env, parameters);
  if ("refusal" in client) return client.refusal;
  log.caller = client.caller.id;
  return { parameters, caller: client.caller };
}

async function token(request: Request, env: EdgeOAuthEndpointsEnv, log: RequestLog): Promise<Response> {
  const client = await clientRequest(request, env, log);
  if (client instanceof Response) return client;
  const { parameters } = client;
  const grant = parameters.get("grant_type");
  if (!grant) return invalidRequest("grant_type is missing");
  if (grant !== "client_credentials")
    return oauthError(400, "unsupported_grant_type", "Only grant_type=client_credentials is supported");
  const issued = await issueEdgeToken(env, client.caller);
  return jsonResponse(
    200,
    {
      access_token: issued.token,
      token_type: "Bearer",
      expires_in: EDGE_TOKEN_LIFETIME_SECONDS,
      created_at: issued.claims.iat,
    },
    { pragma: "no-cache" },
  );
}

async function revoke(request: Request, env: EdgeOAuthEndpointsEnv, log: RequestLog): Promise<Response> {
  const client = await clientRequest(request, env, log);
  if (client instanceof Response) return client;
  const given = client.parameters.get("token");
  if (!given) return invalidRequest("token is missing");
  const verified = await verifyEdgeToken(env, given);
  // RFC 7009 section 2.2: a token that is not (or no longer) valid needs no revoking, and is no error.
  if (!verified || verified.expired) return jsonResponse(200, {});
  if (verified.claims.kid !== client.caller.id)
    return oauthError(403, "unauthorized_client", "You are not authorized to revoke this token");
  await revokeEdgeToken(env, verified.claims);
  return jsonResponse(200, {});
}

async function introspect(request: Request, env: EdgeOAuthEndpointsEnv, log: RequestLog): Promise<Response> {
  const parameters = await parametersOf(request, env);
  if (parameters instanceof Response) return parameters;
  // Doorkeeper lets a client introspect with its credentials, or with a valid token of its own.
  let clientId: string;
  const bearer = bearerOf(request);
  const asBearer = parameters.has("client_id") || bearer === undefined ? undefined : await tokenState(env, bearer);
  if (asBearer?.state === "active") clientId = asBearer.token.claims.kid;
  else {
    const client = await authenticateClient(request, env, parameters);
    if ("refusal" in client) return client.refusal;
    clientId = client.caller.id;
  }
  log.caller = clientId;
  const given = parameters.get("token");
  if (!given) return invalidRequest("token is missing");
  const found = await tokenState(env, given);
  // Another key's token is not this client's to learn about (Doorkeeper's default): inactive to it.
  if (found.state !== "active" || found.token.claims.kid !== clientId) return jsonResponse(200, { active: false });
  const { claims } = found.token;
  return jsonResponse(200, {
    active: true,
    scope: "",
    client_id: claims.kid,
    token_type: "Bearer",
    exp: claims.exp,
    iat: claims.iat,
  });
}

async function tokenInfo(request: Request, env: EdgeOAuthEndpointsEnv, log: RequestLog): Promise<Response> {
  const given = bearerOf(request);
  const found = given === undefined ? ({ state: "invalid" } as const) : await tokenState(env, given);
  if (found.state !== "active") {
    const description = {
      invalid: "The access token is invalid",
      expired: "The access token expired",
      revoked: "The access token was revoked",
    }[found.state];
    return oauthError(401, "invalid_token", description, {
      "www-authenticate": 'Bearer realm="k2-connect-edge", error="invalid_token"',
    });
  }
  const { claims } = found.token;
  log.caller = claims.kid;
  return jsonResponse(200, {
    resource_owner_id: null,
    scope: [],
    expires_in: Math.max(0, claims.exp - Math.floor(Date.now() / 1000)),
    application: { uid: claims.kid },
    created_at: claims.iat,
  });
}

/** RFC 6749's error body, carrying its code for the log line. */
function oauthError(status: number, error: string, description: string, headers: HeadersInit = {}): Response {
  return withErrorCode(jsonResponse(status, { error, error_description: description }, headers), error);
}

const invalidRequest = (description: string, status = 400) => oauthError(status, "invalid_request", description);

/** 401, and with HTTP Basic the challenge RFC 6749 section 5.2 asks for. */
const invalidClient = (basic: boolean) =>
  oauthError(
    401,
    "invalid_client",
    "Client authentication failed: send a key's id as client_id and the key as client_secret",
    basic ? { "www-authenticate": 'Basic realm="k2-connect-edge"' } : {},
  );
