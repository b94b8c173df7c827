/**
 * The authorization-code grant against a real authorization server: panva's oidc-provider on
 * loopback, with a user signing in and consenting at its development pages (played in Node).
 */
import type { KoaContextWithOIDC } from "oidc-provider";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AuthorizationCallbackError,
  InvalidInputError,
  OAuth2Client,
  OAuth2Error,
  RefreshingTokenSource,
  type TokenSet,
} from "../../../src/index.ts";
import { codeChallenge } from "../../../src/oauth/authorization-code/pkce.ts";
import { authorizeAsUser } from "../../support/oidc-interaction.ts";
import { startOidcServer, type OidcServer } from "../../support/oidc-server.ts";

const REDIRECT_URI = "https://app.example.test/callback";
const SECRET = "web-app-secret-0123456789";
const ROTATING_SECRET = "rotating-secret-0123456789";
const SCOPE = ["openid", "offline_access"];

let server: OidcServer;

beforeAll(async () => {
  const authorizationCode = {
    grant_types: ["authorization_code", "refresh_token"],
    response_types: ["code" as const],
    redirect_uris: [REDIRECT_URI],
  };
  server = await startOidcServer(
    [
      {
        client_id: "web-app",
        client_secret: SECRET,
        token_endpoint_auth_method: "client_secret_basic",
        ...authorizationCode,
      },
      {
        client_id: "rotating-app",
        client_secret: ROTATING_SECRET,
        token_endpoint_auth_method: "client_secret_post",
        ...authorizationCode,
      },
      { client_id: "public-app", token_endpoint_auth_method: "none", ...authorizationCode },
    ],
    {
      // Rotation on for one client, off for the others, so both behaviours meet the same code.
      rotateRefreshToken: (ctx: KoaContextWithOIDC) => ctx.oidc.client?.clientId === "rotating-app",
    },
  );
});

afterAll(async () => {
  await server?.close();
});

function client(
  clientId: "web-app" | "rotating-app" | "public-app",
  extra: Partial<ConstructorParameters<typeof OAuth2Client>[0]> = {},
) {
  const secrets = { "web-app": SECRET, "rotating-app": ROTATING_SECRET, "public-app": undefined };
  return new OAuth2Client({
    clientId,
    clientSecret: secrets[clientId],
    clientAuthentication:
      clientId === "web-app" ? "client_secret_basic" : clientId === "rotating-app" ? "client_secret_post" : "none",
    authorizationEndpoint: server.authorizationEndpoint,
    tokenEndpoint: server.tokenEndpoint,
    revocationEndpoint: server.revocationEndpoint,
    introspectionEndpoint: server.introspectionEndpoint,
    redirectUri: REDIRECT_URI,
    ...extra,
  });
}

/** The whole interactive part: authorization URL, login, consent, callback, validated code. */
async function authorize(oauth: OAuth2Client, parameters: Record<string, string> = {}) {
  const request = await oauth.createAuthorizationURL({
    scope: SCOPE,
    parameters: { prompt: "consent", ...parameters },
  });
  const { callback, prompts } = await authorizeAsUser(request.url, REDIRECT_URI);
  return { ...request, callback, prompts };
}

async function signIn(oauth: OAuth2Client): Promise<TokenSet> {
  const { callback, state, codeVerifier } = await authorize(oauth);
  const code = await oauth.validateCallback(callback, state);
  return oauth.exchangeAuthorizationCode({ code, codeVerifier });
}

describe("authorization-code grant with PKCE against oidc-provider", () => {
  it("runs the whole flow: authorize, log in, consent, callback, exchange", async () => {
    const oauth = client("web-app");
    const { url, state, codeVerifier, callback, prompts } = await authorize(oauth);

    expect(url.searchParams.get("code_challenge_method")).toBe("S256");
    expect(url.searchParams.get("code_challenge")).toBe(await codeChallenge(codeVerifier!));
    expect(prompts).toEqual(["login", "consent"]);
    const callbackUrl = new URL(callback.url);
    expect(callbackUrl.searchParams.get("state")).toBe(state);
    expect(callbackUrl.searchParams.get("iss")).toBe(server.issuer);

    const code = await oauth.validateCallback(callback, state);
    expect(code).toBe(callbackUrl.searchParams.get("code"));
    const before = Date.now();
    const token = await oauth.exchangeAuthorizationCode({ code, codeVerifier });

    expect(token.tokenType).toBe("Bearer");
    expect(token.refreshToken).toMatch(/.{20,}/);
    expect(token.scope!.split(" ").sort()).toEqual(["offline_access", "openid"]);
    expect(token.expiresAt).toBeGreaterThanOrEqual(before + token.expiresIn! * 1000);
    // The provider issued it to this client for the user who signed in.
    const issued = await server.provider.AccessToken.find(token.accessToken);
    expect(issued).toMatchObject({ clientId: "web-app", accountId: "alice" });
    expect((await oauth.introspectToken(token.accessToken)).active).toBe(true);
  });

  it("is refused a code with another PKCE verifier, or without one", async () => {
    const oauth = client("web-app", { pkce: true });
    const first = await authorize(oauth);
    const code = await oauth.validateCallback(first.callback, first.state);
    const wrong = await oauth
      .exchangeAuthorizationCode({ code, codeVerifier: "a".repeat(43) })
      .catch((error: unknown) => error);
    expect(wrong).toBeInstanceOf(OAuth2Error);
    expect(wrong).toMatchObject({ error: "invalid_grant", status: 400 });

    // Without a verifier the client refuses before sending anything: PKCE is on for this client.
    const second = await authorize(oauth);
    const secondCode = await oauth.validateCallback(second.callback, second.state);
    await expect(oauth.exchangeAuthorizationCode({ code: secondCode })).rejects.toThrow(InvalidInputError);
    // Nothing was sent: the code is still unused and the right verifier gets a token for it.
    const token = await oauth.exchangeAuthorizationCode({ code: secondCode, codeVerifier: second.codeVerifier });
    expect(await server.provider.AccessToken.find(token.accessToken)).toMatchObject({ accountId: "alice" });
  });

  it("delivers the code by form POST (response_mode=form_post) as a Request", async () => {
    const oauth = client("web-app");
    const { callback, state, codeVerifier } = await authorize(oauth, { response_mode: "form_post" });
    expect(callback.method).toBe("POST");
    expect(new URL(callback.url).search).toBe("");

    const code = await oauth.validateCallback(callback, state);
    const token = await oauth.exchangeAuthorizationCode({ code, codeVerifier });
    expect((await server.provider.AccessToken.find(token.accessToken))?.accountId).toBe("alice");
  });

  it("works for a public client (no secret, clientAuthentication none)", async () => {
    const oauth = client("public-app");
    const token = await signIn(oauth);
    expect(await server.provider.AccessToken.find(token.accessToken)).toMatchObject({ clientId: "public-app" });
  });

  it("refuses a callback whose state is another request's, before any exchange", async () => {
    const oauth = client("web-app");
    const mine = await oauth.createAuthorizationURL({ scope: SCOPE });
    const { callback } = await authorize(oauth); // a callback for another authorization request

    const error = await oauth.validateCallback(callback, mine.state).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthorizationCallbackError);
    expect(error).toMatchObject({ reason: "state_mismatch" });
    // And a callback stripped of its state is refused too.
    const stripped = new URL(callback.url);
    stripped.searchParams.delete("state");
    await expect(oauth.validateCallback(stripped, mine.state)).rejects.toMatchObject({ reason: "state_missing" });
  });

  it("refuses a callback from another issuer when the issuer is configured (RFC 9207)", async () => {
    const checked = client("web-app", { issuer: server.issuer });
    const { callback, state } = await authorize(checked);
    await expect(checked.validateCallback(callback, state)).resolves.toMatch(/.{10,}/);

    const mixedUp = client("web-app", { issuer: "https://other-issuer.example.test" });
    const second = await authorize(mixedUp);
    await expect(mixedUp.validateCallback(second.callback, second.state)).rejects.toMatchObject({
      reason: "issuer_mismatch",
    });
  });

  it("throws OAuth2Error access_denied when the user cancels", async () => {
    const oauth = client("web-app");
    const { url, state } = await oauth.createAuthorizationURL({ scope: SCOPE });
    const { callback } = await authorizeAsUser(url, REDIRECT_URI, { cancel: true });

    const error = await oauth.validateCallback(callback, state).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OAuth2Error);
    expect(error).toMatchObject({
      error: "access_denied",
      errorDescription: "End-User aborted interaction",
      status: 0,
    });
  });

  it("refuses a replayed code, and the provider revokes what the code gave", async () => {
    const oauth = client("web-app");
    const { callback, state, codeVerifier } = await authorize(oauth);
    const code = await oauth.validateCallback(callback, state);
    const token = await oauth.exchangeAuthorizationCode({ code, codeVerifier });
    expect((await oauth.introspectToken(token.accessToken)).active).toBe(true);

    const replay = await oauth.exchangeAuthorizationCode({ code, codeVerifier }).catch((e: unknown) => e);
    expect(replay).toBeInstanceOf(OAuth2Error);
    expect(replay).toMatchObject({ error: "invalid_grant" });
    expect((await oauth.introspectToken(token.accessToken)).active).toBe(false);
  });
});

describe("refresh and revocation against oidc-provider", () => {
  it("refreshes without rotation: a new access token, the same refresh token, which keeps working", async () => {
    const oauth = client("web-app");
    const first = await signIn(oauth);

    const second = await oauth.refreshToken(first);
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(second.refreshToken).toBe(first.refreshToken);
    const third = await oauth.refreshToken(first);
    expect(third.accessToken).not.toBe(second.accessToken);
    expect(await server.provider.AccessToken.find(third.accessToken)).toMatchObject({ accountId: "alice" });
  });

  it("refreshes with rotation: a new refresh token, and the old one is refused", async () => {
    const oauth = client("rotating-app");
    const first = await signIn(oauth);

    const second = await oauth.refreshToken(first);
    expect(second.refreshToken).toMatch(/.{20,}/);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    const third = await oauth.refreshToken(second);
    expect(third.accessToken).not.toBe(second.accessToken);

    const reused = await oauth.refreshToken(first).catch((e: unknown) => e);
    expect(reused).toBeInstanceOf(OAuth2Error);
    expect(reused).toMatchObject({ error: "invalid_grant" });
  });

  it("revokes the refresh token; a refresh then fails with invalid_grant", async () => {
    const oauth = client("web-app");
    const token = await signIn(oauth);
    await oauth.refreshToken(token); // works before

    await oauth.revokeToken(token.refreshToken!, { tokenTypeHint: "refresh_token" });

    const error = await oauth.refreshToken(token).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OAuth2Error);
    expect(error).toMatchObject({ error: "invalid_grant", status: 400 });
    expect((error as Error).message).not.toContain(SECRET);
  });

  it("a RefreshingTokenSource refreshes the stored set once for 25 concurrent callers near expiry", async () => {
    const oauth = client("rotating-app");
    const stored = await signIn(oauth);
    let clock = Date.now();
    const reported: TokenSet[] = [];
    const tokens = new RefreshingTokenSource({
      client: oauth,
      token: stored,
      now: () => clock,
      onTokens: (next) => void reported.push(next),
    });

    expect(await tokens.getAccessToken()).toBe(stored.accessToken);
    expect(reported).toEqual([]);

    clock = stored.expiresAt! - 30_000; // inside the 60 s renewal margin
    const all = await Promise.all(Array.from({ length: 25 }, () => tokens.getAccessToken()));
    expect(new Set(all).size).toBe(1);
    expect(all[0]).not.toBe(stored.accessToken);
    expect(reported).toHaveLength(1);
    expect(reported[0]!.accessToken).toBe(all[0]);
    expect(reported[0]!.refreshToken).not.toBe(stored.refreshToken); // rotated, and reported to persist
    expect(tokens.tokenSet).toBe(reported[0]);
    expect((await oauth.introspectToken(all[0]!)).active).toBe(true);
  });
});
