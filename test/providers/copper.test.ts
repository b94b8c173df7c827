/**
 * The Copper preset against a Copper-shaped server (test/support/copper-server.ts): the code comes
 * by form POST, maybe without state; the token has no expiry and no refresh token; no revocation;
 * API calls with the bearer token, 429 beyond 180 a minute. The application under test is the
 * README's Worker route pair, /copper/login and /copper/callback.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  AuthorizationCallbackError,
  COPPER_API_BASE_URL,
  COPPER_AUTHORIZATION_ENDPOINT,
  COPPER_TOKEN_ENDPOINT,
  type CopperClient,
  InvalidInputError,
  OAuth2Error,
  RefreshingTokenSource,
  copper,
  type TokenSet,
} from "../../src/index.ts";
import { COPPER_TEST_CLIENT, CopperServer, submitAuthorizationPage } from "../support/copper-server.ts";

let server: CopperServer;
let clock = Date.now();

beforeAll(async () => {
  server = await new CopperServer({ now: () => clock }).start();
});

afterAll(async () => {
  await server?.close();
});

beforeEach(() => {
  server.requests.length = 0;
});

function crmClient(overrides: Partial<Parameters<typeof copper>[0]> = {}): CopperClient {
  return copper({
    ...COPPER_TEST_CLIENT,
    authorizationEndpoint: server.authorizationEndpoint,
    tokenEndpoint: server.tokenEndpoint,
    apiBaseUrl: server.apiBaseUrl,
    ...overrides,
  });
}

/** The README's Copper route pair, as a Worker's fetch handler with a Map standing in for KV. */
function copperApp(crm: CopperClient, store: Map<string, string>) {
  const cookie = (request: Request, name: string) =>
    request.headers.get("cookie")?.match(new RegExp(`(?:^|;\\s*)${name}=([^;]*)`))?.[1];
  return async (request: Request): Promise<Response> => {
    const { pathname } = new URL(request.url);
    if (pathname === "/copper/login") {
      const { url, state } = await crm.createAuthorizationURL();
      return new Response(null, {
        status: 302,
        headers: {
          location: url.href,
          // SameSite=None: Copper POSTs the code cross-site, and a Lax cookie is not sent with that POST.
          "set-cookie": `copper_state=${state}; Path=/copper/callback; Max-Age=600; HttpOnly; Secure; SameSite=None`,
        },
      });
    }
    if (pathname === "/copper/callback" && request.method === "POST") {
      try {
        const code = await crm.validateCallback(request, cookie(request, "copper_state"));
        const token = await crm.exchangeAuthorizationCode({ code });
        store.set("copper:user-1", JSON.stringify(token));
        const account = await crm.apiFetch(token, "account");
        return Response.json({ signedIn: true, account: await account.json() });
      } catch (error) {
        if (error instanceof OAuth2Error || error instanceof AuthorizationCallbackError) {
          return Response.json(
            { signedIn: false, error: error instanceof OAuth2Error ? error.error : error.reason },
            { status: 400 },
          );
        }
        throw error;
      }
    }
    return new Response("Not found", { status: 404 });
  };
}

/** A user going through Copper: /copper/login, Copper's page, the POST back to /copper/callback. */
async function signInThroughApp(app: (request: Request) => Promise<Response>, tamper?: (html: string) => string) {
  const login = await app(new Request("https://crm-app.example.test/copper/login"));
  const authorizeUrl = new URL(login.headers.get("location")!);
  const page = await fetch(authorizeUrl);
  const html = await page.text();
  const cookie = login.headers.get("set-cookie")!.split(";")[0];
  const callback = submitAuthorizationPage(tamper ? tamper(html) : html, cookie);
  return { authorizeUrl, callback, response: await app(callback) };
}

describe("Copper preset", () => {
  it("points at Copper with its scope, credentials in the body, no PKCE and no revocation endpoint", async () => {
    const crm = copper(COPPER_TEST_CLIENT);
    expect(crm.authorizationEndpoint).toBe(COPPER_AUTHORIZATION_ENDPOINT);
    expect(crm.tokenEndpoint).toBe(COPPER_TOKEN_ENDPOINT);
    expect(crm.apiBaseUrl).toBe(COPPER_API_BASE_URL);
    expect(crm.revocationEndpoint).toBeUndefined();
    const { url, state, codeVerifier } = await crm.createAuthorizationURL();
    expect(url.origin + url.pathname).toBe("https://app.copper.com/oauth/authorize");
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: "code",
      client_id: COPPER_TEST_CLIENT.clientId,
      redirect_uri: COPPER_TEST_CLIENT.redirectUri,
      scope: "developer/v1/all",
      state,
    });
    expect(codeVerifier).toBeUndefined();
    expect(() => copper({ ...COPPER_TEST_CLIENT, clientSecret: "" })).toThrow(InvalidInputError);
  });

  it("signs a user in through the README's /copper/login and /copper/callback with the code POSTed back", async () => {
    const store = new Map<string, string>();
    const { authorizeUrl, callback, response } = await signInThroughApp(copperApp(crmClient(), store));

    expect(callback.method).toBe("POST");
    expect(new URL(callback.url).pathname).toBe("/copper/callback");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ signedIn: true, account: { id: 4242, name: "Example Ltd" } });
    expect(authorizeUrl.searchParams.has("code_challenge")).toBe(false);

    const tokenRequest = server.requests.find((r) => r.path === "/oauth/token")!;
    const form = Object.fromEntries(new URLSearchParams(tokenRequest.body));
    expect(form).toEqual({
      grant_type: "authorization_code",
      code: expect.stringMatching(/^[0-9a-f]{32}$/),
      redirect_uri: COPPER_TEST_CLIENT.redirectUri,
      client_id: COPPER_TEST_CLIENT.clientId,
      client_secret: COPPER_TEST_CLIENT.clientSecret,
    });
    expect(tokenRequest.headers.authorization).toBeUndefined();

    // Copper's answer has no expires_in and no refresh_token: stored as a non-expiring token.
    const stored = JSON.parse(store.get("copper:user-1")!) as TokenSet;
    expect(stored).toMatchObject({ tokenType: "Bearer", scope: "developer/v1/all" });
    expect(stored.accessToken).toMatch(/.{20,}/);
    expect(stored).not.toHaveProperty("expiresAt");
    expect(stored).not.toHaveProperty("expiresIn");
    expect(stored).not.toHaveProperty("refreshToken");

    const apiRequest = server.requests.find((r) => r.path === "/developer_api/v1/account")!;
    expect(apiRequest.headers.authorization).toBe(`Bearer ${stored.accessToken}`);
    expect(apiRequest.headers["x-pw-application"]).toBe("developer_api");
  });

  it("checks state when Copper returns it, and refuses a forged one", async () => {
    const withState = await new CopperServer({ returnsState: true }).start();
    try {
      const crm = copper({
        ...COPPER_TEST_CLIENT,
        authorizationEndpoint: withState.authorizationEndpoint,
        tokenEndpoint: withState.tokenEndpoint,
        apiBaseUrl: withState.apiBaseUrl,
      });
      const good = await signInThroughApp(copperApp(crm, new Map()));
      expect((await good.callback.clone().formData()).get("state")).toMatch(/.{43}/);
      expect(good.response.status).toBe(200);

      const forged = await signInThroughApp(copperApp(crm, new Map()), (html) =>
        html.replace(/name="state" value="[^"]*"/, 'name="state" value="forged"'),
      );
      expect(forged.response.status).toBe(400);
      expect(await forged.response.json()).toEqual({ signedIn: false, error: "state_mismatch" });
      expect(withState.requests.filter((r) => r.path === "/oauth/token")).toHaveLength(1); // the forged code was never exchanged
    } finally {
      await withState.close();
    }
  });

  it("reports a user who refuses as access_denied, from the POSTed error", async () => {
    server.denyNext();
    const { response } = await signInThroughApp(copperApp(crmClient(), new Map()));
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ signedIn: false, error: "access_denied" });
    expect(server.requests.some((r) => r.path === "/oauth/token")).toBe(false);
  });

  it("refuses a replayed code and a wrong secret, without quoting the secret", async () => {
    const crm = crmClient();
    const { url } = await crm.createAuthorizationURL();
    const code = await crm.validateCallback(submitAuthorizationPage(await (await fetch(url)).text()));
    await crm.exchangeAuthorizationCode({ code });
    await expect(crm.exchangeAuthorizationCode({ code })).rejects.toMatchObject({
      name: "OAuth2Error",
      error: "invalid_grant",
    });

    const wrong = crmClient({ clientSecret: "wrong-secret-value" });
    const error = await wrong.exchangeAuthorizationCode({ code: "whatever" }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "OAuth2Error", error: "invalid_client", status: 401 });
    expect(JSON.stringify(error) + String(error)).not.toContain("wrong-secret-value");
  });

  it("keeps a Copper token for ever in a RefreshingTokenSource: no token request, ten years on", async () => {
    const crm = crmClient();
    const { url } = await crm.createAuthorizationURL();
    const code = await crm.validateCallback(submitAuthorizationPage(await (await fetch(url)).text()));
    const token = await crm.exchangeAuthorizationCode({ code });
    const tokenRequests = () => server.requests.filter((r) => r.path === "/oauth/token").length;
    const before = tokenRequests();

    let now = Date.now();
    const tokens = new RefreshingTokenSource({ client: crm, token: JSON.parse(JSON.stringify(token)), now: () => now });
    now += 10 * 365 * 86_400_000;
    expect(await tokens.getAccessToken()).toBe(token.accessToken);
    expect(tokenRequests()).toBe(before);
    const response = await crm.apiFetch(await tokens.getAccessToken(), "/people/search", {
      method: "POST",
      body: JSON.stringify({ page_size: 5 }),
    });
    expect(await response.json()).toEqual([{ id: 1, name: "Jane Doe", page_size: 5 }]);
    const search = server.requests.find((r) => r.path === "/developer_api/v1/people/search")!;
    expect(search.headers["content-type"]).toBe("application/json");
  });

  it("says clearly that Copper cannot revoke, without sending anything", async () => {
    const crm = crmClient();
    const error = await crm.revokeToken("some-token", { tokenTypeHint: "access_token" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as Error).message).toMatch(/Copper has no token revocation endpoint.*Copper's settings/);
    expect(server.requests).toEqual([]);
  });

  it("passes Copper's 429 through beyond 180 requests a minute, and recovers as the window rolls", async () => {
    const crm = crmClient();
    const { url } = await crm.createAuthorizationURL();
    const code = await crm.validateCallback(submitAuthorizationPage(await (await fetch(url)).text()));
    const token = await crm.exchangeAuthorizationCode({ code });

    const statuses: number[] = [];
    for (let i = 0; i < 181; i++) statuses.push((await crm.apiFetch(token, "account")).status);
    expect(statuses.slice(0, 180).every((s) => s === 200)).toBe(true);
    expect(statuses[180]).toBe(429);
    clock += 61_000;
    expect((await crm.apiFetch(token, "account")).status).toBe(200);
  });

  it("sends the bearer token to the API's origin only", async () => {
    const crm = crmClient();
    for (const path of [
      "https://evil.example.test/steal",
      "//evil.example.test/x",
      `${server.origin.replace("127.0.0.1", "localhost")}/developer_api/v1/account`,
    ]) {
      await expect(crm.apiFetch("token-value", path)).rejects.toThrow(/the token is only sent to/);
    }
    for (const path of ["\\\\evil.example.test\\x", "/\\evil.example.test"]) {
      await expect(crm.apiFetch("token-value", path)).rejects.toThrow(/backslash/);
    }
    await expect(crm.apiFetch("", "account")).rejects.toBeInstanceOf(InvalidInputError);
    expect(server.requests).toEqual([]);
    // An absolute URL on the API's own origin is fine.
    const response = await crm.apiFetch("not-a-valid-token", `${server.apiBaseUrl}account`);
    expect(response.status).toBe(401);
  });
});
