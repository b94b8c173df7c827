/**
 * The OAuth side of K2 (Doorkeeper): client-credentials tokens, revocation, introspection and
 * token info, with the variants K2 is seen answering (`created_at` as ISO, Unix or absent; revoke
 * with `{}` or nothing; introspection times as ISO or Unix), so that clients meet all of them.
 */
import { randomBytes } from "node:crypto";
import type { SandboxClient } from "./credentials.ts";
import { apiError, isoWithOffset, json, type Answer } from "./http.ts";
import { requestParameters, type Parameters } from "./parameters.ts";

export interface OAuthOptions {
  clients: SandboxClient[];
  createdAt: "iso" | "unix" | "absent";
  introspectionTimes: "iso" | "unix";
  revokeBody: "{}" | "";
  tokenLifetimeSeconds: number;
  /** Doorkeeper's `revoke_previous_client_credentials_token`: a new token revokes the client's older ones. */
  revokePreviousTokenOnIssue: boolean;
  now: () => number;
}

interface IssuedToken {
  clientId: string;
  issuedAt: number;
  expiresAt: number;
  revoked: boolean;
}

export class OAuthServer {
  readonly #options: OAuthOptions;
  readonly #tokens = new Map<string, IssuedToken>();

  constructor(options: OAuthOptions) {
    this.#options = options;
  }

  /** The answer to an OAuth request, or `undefined` when `url` is not an OAuth endpoint. */
  handle(method: string, url: URL, headers: Record<string, string>, body: string): Answer | undefined {
    const path = url.pathname;
    if (!path.startsWith("/oauth/")) return undefined;
    const params = requestParameters(url.searchParams, headers, body);
    if (method === "POST" && path === "/oauth/token") return this.#token(headers, params);
    if (method === "POST" && path === "/oauth/revoke") return this.#revoke(headers, params);
    if (method === "POST" && path === "/oauth/introspect") return this.#introspect(headers, params);
    if (method === "GET" && path === "/oauth/token/info") return this.#tokenInfo(headers, params);
    return undefined;
  }

  /** The 401 K2 answers an API request whose bearer token is not valid, or `undefined` when it is. */
  refusal(headers: Record<string, string>): Answer | undefined {
    const found = this.#bearer(headers);
    return found.token ? undefined : apiError(401, found.problem);
  }

  /** As if an hour had passed on K2's side: every token issued so far has expired. */
  expireAll(): void {
    for (const token of this.#tokens.values()) token.expiresAt = this.#options.now() - 1;
  }

  /** As if the application's tokens had been revoked in K2's dashboard. */
  revokeAll(): void {
    for (const token of this.#tokens.values()) token.revoked = true;
  }

  #token(headers: Record<string, string>, params: Parameters): Answer {
    const client = this.#authenticate(headers, params);
    if (!client) return invalidClient();
    if (params.get("grant_type") !== "client_credentials") {
      return json(400, {
        error: "unsupported_grant_type",
        error_description: "The authorization grant type is not supported by the authorization server.",
      });
    }
    if (this.#options.revokePreviousTokenOnIssue) {
      for (const issued of this.#tokens.values()) if (issued.clientId === client.clientId) issued.revoked = true;
    }
    const token = randomBytes(24).toString("base64url");
    const now = this.#options.now();
    const lifetime = this.#options.tokenLifetimeSeconds;
    this.#tokens.set(token, {
      clientId: client.clientId,
      issuedAt: now,
      expiresAt: now + lifetime * 1000,
      revoked: false,
    });
    const answer: Record<string, unknown> = { access_token: token, token_type: "Bearer", expires_in: lifetime };
    if (this.#options.createdAt === "iso") answer.created_at = isoWithOffset(now);
    if (this.#options.createdAt === "unix") answer.created_at = Math.floor(now / 1000);
    return json(200, answer);
  }

  #revoke(headers: Record<string, string>, params: Parameters): Answer {
    if (!this.#authenticate(headers, params)) return invalidClient();
    const token = this.#tokens.get(params.get("token") ?? "");
    if (token) token.revoked = true;
    return this.#options.revokeBody === "{}" ? json(200, {}) : { status: 200, headers: {}, body: "" };
  }

  #introspect(headers: Record<string, string>, params: Parameters): Answer {
    // Doorkeeper lets a client introspect with its credentials, or with a valid token of its own.
    if (!this.#authenticate(headers, params) && !this.#bearer(headers, params).token) return invalidClient();
    const token = this.#tokens.get(params.get("token") ?? "");
    if (!token || token.revoked || token.expiresAt <= this.#options.now()) return json(200, { active: false });
    const time = (ms: number) =>
      this.#options.introspectionTimes === "iso" ? isoWithOffset(ms) : Math.floor(ms / 1000);
    return json(200, {
      active: true,
      scope: "",
      client_id: token.clientId,
      token_type: "Bearer",
      exp: time(token.expiresAt),
      iat: time(token.issuedAt),
    });
  }

  #tokenInfo(headers: Record<string, string>, params: Parameters): Answer {
    const found = this.#bearer(headers, params);
    if (!found.token) return json(401, { error: "invalid_token", error_description: "The access token is invalid" });
    return json(200, {
      resource_owner_id: null,
      scope: [],
      expires_in: Math.floor((found.token.expiresAt - this.#options.now()) / 1000),
      application: { uid: found.token.clientId },
      created_at: Math.floor(found.token.issuedAt / 1000),
    });
  }

  /**
   * Doorkeeper reads client credentials from HTTP Basic first, then from the request's parameters
   * (Rails': the query, a form body or a JSON body), so the official SDKs' JSON revoke and
   * introspect authenticate as well as a form does.
   */
  #authenticate(headers: Record<string, string>, params: Parameters): SandboxClient | undefined {
    let id = params.get("client_id");
    let secret = params.get("client_secret");
    const basic = /^Basic (.+)$/i.exec(headers.authorization ?? "");
    if (basic) {
      const [user = "", pass = ""] = Buffer.from(basic[1]!, "base64").toString("utf8").split(":");
      id = decodeURIComponent(user.replace(/\+/g, " "));
      secret = decodeURIComponent(pass.replace(/\+/g, " "));
    }
    return this.#options.clients.find((client) => client.clientId === id && client.clientSecret === secret);
  }

  /**
   * The request's access token: Doorkeeper takes it from `Authorization: Bearer`, else from the
   * `access_token` or `bearer_token` parameter.
   */
  #bearer(headers: Record<string, string>, params?: Parameters): { token?: IssuedToken; problem: string } {
    const match = /^Bearer (.+)$/.exec(headers.authorization ?? "");
    const given = match?.[1] ?? params?.get("access_token") ?? params?.get("bearer_token");
    const token = given ? this.#tokens.get(given) : undefined;
    if (!token || token.revoked) return { problem: "InvalidAccessToken" };
    if (token.expiresAt <= this.#options.now()) return { problem: "ExpiredAccessToken" };
    return { token, problem: "" };
  }
}

function invalidClient(): Answer {
  return json(401, {
    error: "invalid_client",
    error_description:
      "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.",
  });
}
