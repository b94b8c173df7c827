/**
 * The public-client flow in a real browser: Debian's Chromium (driven by playwright-core) opens a
 * page served on localhost that imports the BUILT ESM bundle (dist/index.js) as any web page would,
 * and signs a user in at oidc-provider: authorization URL with PKCE, login and consent pages,
 * callback, code exchange and a refresh, all by the page's own fetch (CORS) with no client secret.
 */
import { existsSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { Browser, Request as PlaywrightRequest } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { launchChromium } from "../../support/chromium.ts";
import { DIST, distAsset } from "../../support/dist-assets.ts";
import { startOidcServer, type OidcServer } from "../../support/oidc-server.ts";

const CLIENT_ID = "browser-app";

let pages: Server;
let origin: string;
let oidc: OidcServer;
let browser: Browser;
const served: string[] = [];

/** The application page: /login starts the flow, /callback finishes it. Same script for both. */
function page(config: Record<string, string>): string {
  return `<!doctype html><meta charset="utf-8"><title>k2-connect-edge sign-in</title>
<pre id="result">working…</pre>
<script type="application/json" id="config">${JSON.stringify(config)}</script>
<script type="module">
  import { OAuth2Client } from "/dist/index.js";
  const config = JSON.parse(document.getElementById("config").textContent);
  const show = (result) => {
    window.signInResult = result;
    document.getElementById("result").textContent = JSON.stringify(result, null, 2);
  };
  const oauth = new OAuth2Client({
    clientId: config.clientId,
    clientAuthentication: "none",
    authorizationEndpoint: config.authorizationEndpoint,
    tokenEndpoint: config.tokenEndpoint,
    issuer: config.issuer,
    redirectUri: location.origin + "/callback",
  });
  try {
    if (location.pathname === "/login") {
      const { url, state, codeVerifier } = await oauth.createAuthorizationURL({
        scope: ["openid", "offline_access"],
        parameters: { prompt: "consent" },
      });
      sessionStorage.setItem("pending-sign-in", JSON.stringify({ state, codeVerifier }));
      location.assign(url);
    } else {
      const pending = JSON.parse(sessionStorage.getItem("pending-sign-in") ?? "{}");
      sessionStorage.removeItem("pending-sign-in");
      const code = await oauth.validateCallback(new URL(location.href), pending.state);
      const token = await oauth.exchangeAuthorizationCode({ code, codeVerifier: pending.codeVerifier });
      const refreshed = await oauth.refreshToken(token);
      show({ ok: true, token, refreshed, userAgent: navigator.userAgent });
    }
  } catch (error) {
    show({ ok: false, name: error.name, message: error.message });
  }
</script>`;
}

beforeAll(async () => {
  if (!existsSync(join(DIST, "index.js")))
    throw new Error("dist/index.js is missing: run `npm run build` first (npm test does)");
  pages = createServer((request, response) => {
    const { pathname } = new URL(request.url ?? "/", "http://localhost");
    served.push(pathname);
    const asset = distAsset(pathname);
    if (asset) {
      response.writeHead(200, { "content-type": "text/javascript; charset=utf-8" });
      response.end(readFileSync(asset));
    } else if (pathname === "/login" || pathname === "/callback") {
      response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      response.end(
        page({
          clientId: CLIENT_ID,
          authorizationEndpoint: oidc.authorizationEndpoint,
          tokenEndpoint: oidc.tokenEndpoint,
          issuer: oidc.issuer,
        }),
      );
    } else {
      response.writeHead(404);
      response.end();
    }
  });
  await new Promise<void>((resolve) => pages.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(pages.address() as AddressInfo).port}`;
  // A public client whose redirect URI is on the page's origin: oidc-provider's default
  // clientBasedCORS then lets that origin call the token endpoint.
  oidc = await startOidcServer([
    {
      client_id: CLIENT_ID,
      token_endpoint_auth_method: "none",
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      redirect_uris: [`${origin}/callback`],
    },
  ]);
  try {
    browser = await launchChromium();
  } catch (error) {
    throw new Error(`Chromium could not start for the browser test: ${(error as Error).message}`, { cause: error });
  }
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await oidc?.close();
  await new Promise((resolve) => pages?.close(resolve));
});

it(
  "Chromium signs a user in with the built bundle: PKCE, login, consent, exchange and refresh",
  { timeout: 30_000 },
  async () => {
    const context = await browser.newContext();
    // The provider's dev pages import a web font; nothing leaves loopback.
    await context.route(
      (url) => url.hostname !== "127.0.0.1",
      (route) => route.abort(),
    );
    const browserPage = await context.newPage();
    const errors: string[] = [];
    const tokenRequests: PlaywrightRequest[] = [];
    const authorizationRequests: URL[] = [];
    browserPage.on("pageerror", (error) => errors.push(error.message));
    browserPage.on("request", (request) => {
      if (request.url() === oidc.tokenEndpoint) tokenRequests.push(request);
      if (request.url().startsWith(oidc.authorizationEndpoint)) authorizationRequests.push(new URL(request.url()));
    });

    await browserPage.goto(`${origin}/login`);
    await browserPage.waitForURL(`${oidc.issuer}/interaction/**`);
    await browserPage.fill('input[name="login"]', "bob");
    await browserPage.fill('input[name="password"]', "any password");
    await browserPage.click('button[type="submit"]');
    await browserPage.waitForSelector('input[name="prompt"][value="consent"]', { state: "attached" });
    await browserPage.click('button[type="submit"]');
    await browserPage.waitForURL(`${origin}/callback?**`);
    await browserPage.waitForFunction("window.signInResult !== undefined", null, { timeout: 10_000 });
    const result = (await browserPage.evaluate("window.signInResult")) as {
      ok: boolean;
      message?: string;
      userAgent: string;
      token: { accessToken: string; refreshToken: string; tokenType: string; expiresAt: number };
      refreshed: { accessToken: string; refreshToken: string };
    };
    const exchangeOrigin = await tokenRequests[0]?.headerValue("origin");
    await context.close();

    expect(errors).toEqual([]);
    expect(result.message).toBeUndefined();
    expect(result.ok).toBe(true);
    expect(result.userAgent).toContain("Chrome/");
    // The page loaded the built bundle from its own origin.
    expect(served).toContain("/dist/index.js");

    // The token is real: the provider issued it to the public client for the user who signed in.
    expect(result.token.tokenType).toBe("Bearer");
    expect(result.token.expiresAt).toBeGreaterThan(Date.now());
    expect(await oidc.provider.AccessToken.find(result.token.accessToken)).toMatchObject({
      clientId: CLIENT_ID,
      accountId: "bob",
    });
    expect(await oidc.provider.AccessToken.find(result.refreshed.accessToken)).toMatchObject({ accountId: "bob" });
    // A public client's refresh token rotates (oidc-provider's default for clients without a secret).
    expect(result.refreshed.refreshToken).not.toBe(result.token.refreshToken);

    // What the browser sent: PKCE verifier and client_id, from the page's origin, never a secret.
    expect(tokenRequests).toHaveLength(2);
    const exchange = new URLSearchParams(tokenRequests[0]!.postData() ?? "");
    expect(exchange.get("grant_type")).toBe("authorization_code");
    expect(exchange.get("client_id")).toBe(CLIENT_ID);
    expect(exchange.get("code_verifier")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(exchange.has("client_secret")).toBe(false);
    expect(exchangeOrigin).toBe(origin);
    // The authorization request the page navigated to carried a fresh state and an S256 challenge.
    expect(authorizationRequests[0]!.searchParams.get("code_challenge_method")).toBe("S256");
    expect(authorizationRequests[0]!.searchParams.get("state")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authorizationRequests[0]!.searchParams.get("redirect_uri")).toBe(`${origin}/callback`);
    expect(new URLSearchParams(tokenRequests[1]!.postData() ?? "").get("grant_type")).toBe("refresh_token");
  },
);
