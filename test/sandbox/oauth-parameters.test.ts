/**
 * The sandbox reads OAuth parameters where Doorkeeper does: HTTP Basic, a form body, a JSON body
 * (the official Node and Python SDKs send revoke and introspect as JSON). The official Node SDK
 * runs unmodified against it for every call it makes to the OAuth endpoints.
 */
import { createRequire } from "node:module";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEV_API_KEY, DEV_CLIENT } from "../../sandbox/credentials.ts";
import { K2Sandbox } from "../../sandbox/server.ts";

/**
 * The official SDK's TokenService, as its README drives it. Its revoke and introspect resolve with
 * axios' `response.body`, which does not exist: they tell only success (a 2xx) from failure.
 */
interface NodeSdkTokens {
  getToken(): Promise<{ access_token: string; token_type: string; expires_in: number }>;
  revokeToken(opts: { accessToken: string }): Promise<unknown>;
  introspectToken(opts: { accessToken: string }): Promise<unknown>;
  infoToken(opts: { accessToken: string }): Promise<{ application: { uid: string }; expires_in: number }>;
}
const k2ConnectNode = createRequire(import.meta.url)("k2-connect-node") as (options: object) => {
  TokenService: NodeSdkTokens;
};

let sandbox: K2Sandbox;
let tokens: NodeSdkTokens;
beforeAll(async () => {
  sandbox = await new K2Sandbox({ processingDelayMs: Infinity, loopbackCallbacksOnly: true }).listen();
  tokens = k2ConnectNode({
    clientId: DEV_CLIENT.clientId,
    clientSecret: DEV_CLIENT.clientSecret,
    apiKey: DEV_API_KEY,
    baseUrl: sandbox.url,
  }).TokenService;
});
afterAll(() => sandbox.close());

const apiStatus = async (token: string) =>
  (
    await fetch(`${sandbox.url}/api/v1/polling/00000000-0000-4000-8000-000000000000`, {
      headers: { authorization: `Bearer ${token}` },
    })
  ).status;

/** What the sandbox answers the SDK's own introspection request (the SDK drops it). */
async function introspection(token: string): Promise<unknown> {
  const answer = await oauthPost("/oauth/introspect", "json", { token });
  return answer.json();
}

describe("the official Node SDK (k2-connect-node), unmodified", () => {
  it("gets a token, reads its info, introspects it, revokes it, and sees it inactive", async () => {
    const { access_token: token, token_type } = await tokens.getToken();
    expect(token_type).toBe("Bearer");
    expect(await apiStatus(token)).toBe(404);

    const info = await tokens.infoToken({ accessToken: token });
    expect(info.application.uid).toBe(DEV_CLIENT.clientId);
    expect(info.expires_in).toBeGreaterThan(3500);

    await expect(tokens.introspectToken({ accessToken: token })).resolves.toBeUndefined();
    expect(await introspection(token)).toMatchObject({ active: true, client_id: DEV_CLIENT.clientId });

    await expect(tokens.revokeToken({ accessToken: token })).resolves.toBeUndefined();
    expect(await introspection(token)).toEqual({ active: false });
    await expect(tokens.introspectToken({ accessToken: token })).resolves.toBeUndefined();
    expect(await apiStatus(token)).toBe(401);
  });

  it("sent revoke and introspect as JSON bodies with `Bearer null`, the shape the sandbox must read", async () => {
    sandbox.reset();
    const { access_token: token } = await tokens.getToken();
    await tokens.introspectToken({ accessToken: token });
    await tokens.revokeToken({ accessToken: token });
    for (const path of ["/oauth/introspect", "/oauth/revoke"]) {
      const [request] = sandbox.requestsTo(path);
      expect(request!.headers["content-type"]).toMatch(/^application\/json/);
      expect(request!.headers.authorization).toBe("Bearer null");
      expect(JSON.parse(request!.body)).toEqual({
        client_id: DEV_CLIENT.clientId,
        client_secret: DEV_CLIENT.clientSecret,
        token,
      });
    }
  });

  it("is refused with invalid_client when its secret is wrong, JSON or not", async () => {
    const wrong = k2ConnectNode({ ...DEV_CLIENT, clientSecret: "wrong", apiKey: DEV_API_KEY, baseUrl: sandbox.url });
    const { access_token: token } = await tokens.getToken();
    await expect(wrong.TokenService.getToken()).rejects.toBe("Unauthorized");
    await expect(wrong.TokenService.introspectToken({ accessToken: token })).rejects.toBe("Unauthorized");
    await expect(wrong.TokenService.revokeToken({ accessToken: token })).rejects.toBe("Unauthorized");
    expect(await apiStatus(token)).toBe(404);
  });
});

type Carrier = "form" | "json" | "basic";

/** One OAuth POST with the client's credentials (and `fields`) carried the given way. */
function oauthPost(path: string, carrier: Carrier, fields: Record<string, string>, secret = DEV_CLIENT.clientSecret) {
  const credentials = { client_id: DEV_CLIENT.clientId, client_secret: secret };
  if (carrier === "basic") {
    const basic = btoa(`${encodeURIComponent(DEV_CLIENT.clientId)}:${encodeURIComponent(secret)}`);
    return fetch(`${sandbox.url}${path}`, {
      method: "POST",
      headers: { authorization: `Basic ${basic}`, "content-type": "application/json" },
      body: JSON.stringify(fields),
    });
  }
  if (carrier === "json")
    return fetch(`${sandbox.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json; charset=utf-8" },
      body: JSON.stringify({ ...credentials, ...fields }),
    });
  return fetch(`${sandbox.url}${path}`, { method: "POST", body: new URLSearchParams({ ...credentials, ...fields }) });
}

describe.each<Carrier>(["form", "json", "basic"])("client credentials carried as %s", (carrier) => {
  const newToken = async () => {
    const answer = await oauthPost("/oauth/token", carrier, { grant_type: "client_credentials" });
    expect(answer.status).toBe(200);
    return ((await answer.json()) as { access_token: string }).access_token;
  };

  it("issues, introspects and revokes", async () => {
    const token = await newToken();
    const introspected = await oauthPost("/oauth/introspect", carrier, { token });
    expect(await introspected.json()).toMatchObject({ active: true, client_id: DEV_CLIENT.clientId });
    expect((await oauthPost("/oauth/revoke", carrier, { token })).status).toBe(200);
    expect(await (await oauthPost("/oauth/introspect", carrier, { token })).json()).toEqual({ active: false });
  });

  it("refuses a wrong secret on every endpoint, and revokes nothing then", async () => {
    const token = await newToken();
    for (const [path, fields] of [
      ["/oauth/token", { grant_type: "client_credentials" }],
      ["/oauth/introspect", { token }],
      ["/oauth/revoke", { token }],
    ] as const) {
      const answer = await oauthPost(path, carrier, fields, "wrong");
      expect(answer.status, path).toBe(401);
      expect(await answer.json()).toMatchObject({ error: "invalid_client" });
    }
    expect(await apiStatus(token)).toBe(404);
  });
});

describe("token info, with the token where Doorkeeper looks for it", () => {
  it("reads it from the Authorization header, or the access_token parameter", async () => {
    const token = await (await oauthPost("/oauth/token", "json", { grant_type: "client_credentials" })).json();
    const byHeader = await fetch(`${sandbox.url}/oauth/token/info`, {
      headers: { authorization: `Bearer ${token.access_token}` },
    });
    const byParameter = await fetch(`${sandbox.url}/oauth/token/info?access_token=${token.access_token}`);
    for (const answer of [byHeader, byParameter]) {
      expect(answer.status).toBe(200);
      expect(await answer.json()).toMatchObject({ application: { uid: DEV_CLIENT.clientId } });
    }
    expect((await fetch(`${sandbox.url}/oauth/token/info?access_token=nope`)).status).toBe(401);
  });

  it("lets a client introspect with a valid token of its own instead of its credentials", async () => {
    const { access_token: token } = await (
      await oauthPost("/oauth/token", "form", { grant_type: "client_credentials" })
    ).json();
    const answer = await fetch(`${sandbox.url}/oauth/introspect`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
      body: new URLSearchParams({ token }),
    });
    expect(await answer.json()).toMatchObject({ active: true });
    const unauthorised = await fetch(`${sandbox.url}/oauth/introspect`, {
      method: "POST",
      headers: { authorization: "Bearer null" },
      body: new URLSearchParams({ token }),
    });
    expect(unauthorised.status).toBe(401);
  });
});
