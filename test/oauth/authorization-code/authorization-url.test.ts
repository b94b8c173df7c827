import { describe, expect, it } from "vitest";
import { InvalidInputError, OAuth2Client } from "../../../src/index.ts";
import { codeChallenge } from "../../../src/oauth/authorization-code/pkce.ts";

const base = {
  clientId: "app id/1",
  tokenEndpoint: "https://auth.example.test/token",
  authorizationEndpoint: "https://auth.example.test/authorize?tenant=acme",
};

describe("createAuthorizationURL", () => {
  it("builds RFC 6749 and RFC 7636 parameters on the configured endpoint", async () => {
    const oauth = new OAuth2Client(base);
    const { url, state, codeVerifier } = await oauth.createAuthorizationURL({
      redirectUri: "https://app.example.test/callback?x=1",
      scope: ["read", "write:all"],
    });

    expect(url.origin + url.pathname).toBe("https://auth.example.test/authorize");
    expect(Object.fromEntries(url.searchParams)).toEqual({
      tenant: "acme",
      response_type: "code",
      client_id: "app id/1",
      redirect_uri: "https://app.example.test/callback?x=1",
      scope: "read write:all",
      state,
      code_challenge: await codeChallenge(codeVerifier!),
      code_challenge_method: "S256",
    });
    expect(state).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(codeVerifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("takes the scope as a string, a given state, and a fresh state and verifier on every call", async () => {
    const oauth = new OAuth2Client({ ...base, redirectUri: "https://app.example.test/cb" });
    const one = await oauth.createAuthorizationURL({ scope: "openid email" });
    const two = await oauth.createAuthorizationURL({ scope: "openid email" });
    expect(one.url.searchParams.get("scope")).toBe("openid email");
    expect(one.url.searchParams.get("redirect_uri")).toBe("https://app.example.test/cb");
    expect(one.state).not.toBe(two.state);
    expect(one.codeVerifier).not.toBe(two.codeVerifier);

    const mine = await oauth.createAuthorizationURL({ state: "my-own-state" });
    expect(mine.state).toBe("my-own-state");
    expect(mine.url.searchParams.get("state")).toBe("my-own-state");
    expect(mine.url.searchParams.has("scope")).toBe(false);
  });

  it("leaves PKCE out for a provider that does not want it, unless a method is asked for", async () => {
    const oauth = new OAuth2Client({ ...base, pkce: false, redirectUri: "https://app.example.test/cb" });
    const plain = await oauth.createAuthorizationURL({ scope: "x" });
    expect(plain.codeVerifier).toBeUndefined();
    expect(plain.url.searchParams.has("code_challenge")).toBe(false);
    expect(plain.url.searchParams.has("code_challenge_method")).toBe(false);

    const asked = await oauth.createAuthorizationURL({ codeChallengeMethod: "plain" });
    expect(asked.url.searchParams.get("code_challenge_method")).toBe("plain");
    expect(asked.url.searchParams.get("code_challenge")).toBe(asked.codeVerifier);
  });

  it("adds extra parameters without letting them override the request's own", async () => {
    const oauth = new OAuth2Client({ ...base, redirectUri: "https://app.example.test/cb" });
    const { url, state } = await oauth.createAuthorizationURL({
      parameters: {
        prompt: "consent",
        login_hint: "jane@example.test",
        state: "attacker",
        code_challenge_method: "plain",
        client_id: "other",
      },
    });
    expect(url.searchParams.get("prompt")).toBe("consent");
    expect(url.searchParams.get("login_hint")).toBe("jane@example.test");
    expect(url.searchParams.getAll("state")).toEqual([state]);
    expect(url.searchParams.getAll("code_challenge_method")).toEqual(["S256"]);
    expect(url.searchParams.getAll("client_id")).toEqual(["app id/1"]);
  });

  it("says what is missing or wrong before building anything", async () => {
    const noEndpoint = new OAuth2Client({
      clientId: "a",
      tokenEndpoint: base.tokenEndpoint,
      redirectUri: "https://a.test/cb",
    });
    await expect(noEndpoint.createAuthorizationURL()).rejects.toThrow(/authorizationEndpoint is not configured/);

    const oauth = new OAuth2Client(base);
    await expect(oauth.createAuthorizationURL()).rejects.toThrow(/redirectUri is required/);
    await expect(oauth.createAuthorizationURL({ redirectUri: "/callback" })).rejects.toThrow(/not an absolute URL/);
    await expect(oauth.createAuthorizationURL({ redirectUri: "https://a.test/cb#frag" })).rejects.toThrow(/fragment/);
    await expect(oauth.createAuthorizationURL({ redirectUri: "https://a.test/cb", state: "" })).rejects.toBeInstanceOf(
      InvalidInputError,
    );
    expect(() => new OAuth2Client({ ...base, authorizationEndpoint: "not a url" })).toThrow(InvalidInputError);
  });
});
