/**
 * What exchangeAuthorizationCode, refreshToken and revokeToken send, and how refresh answers are
 * merged, checked on the wire through an injected fetch.
 */
import { describe, expect, it } from "vitest";
import { InvalidInputError, OAuth2Client, type TokenSet } from "../../../src/index.ts";

interface Sent {
  url: string;
  headers: Headers;
  form: Record<string, string>;
}

function recording(answers: unknown[]) {
  const sent: Sent[] = [];
  const fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    sent.push({
      url: String(input),
      headers: new Headers(init?.headers),
      form: Object.fromEntries(new URLSearchParams(String(init?.body))),
    });
    const answer = answers.shift();
    return answer === undefined ? new Response(null, { status: 200 }) : Response.json(answer);
  };
  return { sent, fetch };
}

const endpoints = {
  tokenEndpoint: "https://auth.example.test/token",
  revocationEndpoint: "https://auth.example.test/revoke",
  redirectUri: "https://app.example.test/callback",
};

describe("exchangeAuthorizationCode", () => {
  it("sends the code, redirect_uri and code_verifier with the client's authentication", async () => {
    const { sent, fetch } = recording([
      { access_token: "at", token_type: "Bearer", expires_in: 300, refresh_token: "rt" },
    ]);
    const oauth = new OAuth2Client({
      ...endpoints,
      clientId: "app",
      clientSecret: "s3cret-value",
      clientAuthentication: "client_secret_basic",
      fetch,
    });
    const token = await oauth.exchangeAuthorizationCode({ code: "the-code", codeVerifier: "v".repeat(43) });

    expect(sent[0]!.url).toBe(endpoints.tokenEndpoint);
    expect(sent[0]!.form).toEqual({
      grant_type: "authorization_code",
      code: "the-code",
      redirect_uri: endpoints.redirectUri,
      code_verifier: "v".repeat(43),
    });
    expect(sent[0]!.headers.get("authorization")).toBe(`Basic ${btoa("app:s3cret-value")}`);
    expect(token).toMatchObject({ accessToken: "at", refreshToken: "rt", expiresIn: 300 });
  });

  it("identifies a public client by client_id alone, and sends no verifier when PKCE is off", async () => {
    const { sent, fetch } = recording([{ access_token: "at" }, { access_token: "at2" }]);
    const pub = new OAuth2Client({ ...endpoints, clientId: "spa", fetch });
    await pub.exchangeAuthorizationCode({
      code: "c",
      codeVerifier: "v".repeat(43),
      redirectUri: "https://spa.test/cb",
    });
    expect(sent[0]!.form).toEqual({
      grant_type: "authorization_code",
      code: "c",
      redirect_uri: "https://spa.test/cb",
      client_id: "spa",
      code_verifier: "v".repeat(43),
    });
    expect(sent[0]!.headers.has("authorization")).toBe(false);

    const noPkce = new OAuth2Client({ ...endpoints, clientId: "crm", clientSecret: "crm-secret", pkce: false, fetch });
    await noPkce.exchangeAuthorizationCode({ code: "c2" });
    expect(sent[1]!.form).toEqual({
      grant_type: "authorization_code",
      code: "c2",
      redirect_uri: endpoints.redirectUri,
      client_id: "crm",
      client_secret: "crm-secret",
    });
  });

  it("refuses a missing code or redirect URI before sending", async () => {
    const { sent, fetch } = recording([]);
    const oauth = new OAuth2Client({ tokenEndpoint: endpoints.tokenEndpoint, clientId: "spa", fetch });
    await expect(oauth.exchangeAuthorizationCode({ code: "", codeVerifier: "v" })).rejects.toBeInstanceOf(
      InvalidInputError,
    );
    await expect(oauth.exchangeAuthorizationCode({ code: "c", codeVerifier: "v" })).rejects.toThrow(
      /redirectUri is required/,
    );
    expect(sent).toEqual([]);
  });
});

describe("refreshToken", () => {
  const stored: TokenSet = Object.freeze({
    accessToken: "old-at",
    tokenType: "Bearer",
    refreshToken: "rt-1",
    scope: "read write",
    raw: {},
  });

  it("keeps the previous refresh token and scope when the answer omits them", async () => {
    const { sent, fetch } = recording([{ access_token: "new-at", token_type: "Bearer", expires_in: 60 }]);
    const oauth = new OAuth2Client({
      ...endpoints,
      clientId: "app",
      clientSecret: "app-secret",
      fetch,
      now: () => 1_000_000,
    });
    const next = await oauth.refreshToken(stored);

    expect(sent[0]!.form).toEqual({
      grant_type: "refresh_token",
      refresh_token: "rt-1",
      client_id: "app",
      client_secret: "app-secret",
    });
    expect(next).toMatchObject({
      accessToken: "new-at",
      refreshToken: "rt-1",
      scope: "read write",
      expiresAt: 1_060_000,
    });
    expect(Object.isFrozen(next)).toBe(true);
    expect(next.raw).toEqual({ access_token: "new-at", token_type: "Bearer", expires_in: 60 });
  });

  it("takes a rotated refresh token and a narrower scope when asked for", async () => {
    const { sent, fetch } = recording([
      { access_token: "a2", refresh_token: "rt-2" },
      { access_token: "a3", refresh_token: "rt-3", scope: "read" },
    ]);
    const oauth = new OAuth2Client({ ...endpoints, clientId: "app", fetch });
    expect(await oauth.refreshToken(stored)).toMatchObject({ refreshToken: "rt-2", scope: "read write" });
    const narrowed = await oauth.refreshToken("rt-2", { scope: ["read"] });
    expect(sent[1]!.form).toMatchObject({ refresh_token: "rt-2", scope: "read" });
    expect(narrowed).toMatchObject({ accessToken: "a3", refreshToken: "rt-3", scope: "read" });
  });

  it("refuses to refresh without a refresh token", async () => {
    const { sent, fetch } = recording([]);
    const oauth = new OAuth2Client({ ...endpoints, clientId: "app", fetch });
    await expect(oauth.refreshToken({ ...stored, refreshToken: undefined })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(oauth.refreshToken("")).rejects.toBeInstanceOf(InvalidInputError);
    expect(sent).toEqual([]);
  });

  it("revokes a refresh token with its type hint", async () => {
    const { sent, fetch } = recording([]);
    const oauth = new OAuth2Client({ ...endpoints, clientId: "spa", fetch });
    await oauth.revokeToken("rt-1", { tokenTypeHint: "refresh_token" });
    expect(sent[0]!.url).toBe(endpoints.revocationEndpoint);
    expect(sent[0]!.form).toEqual({ token: "rt-1", token_type_hint: "refresh_token", client_id: "spa" });
  });
});
