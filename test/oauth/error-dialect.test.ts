/**
 * The generic OAuth 2.0 layer speaks RFC 6749 only: a body in K2's error dialect
 * (`{ error_code, error_message }`) from a server that is not K2 is an unexpected answer, never a
 * `K2ApiError`. Only `K2Client` (and the K2 API calls) read that dialect.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { K2ApiError, K2Client, OAuth2Client, OAuth2Error, UnexpectedResponseError } from "../../src/index.ts";

const K2_DIALECT = JSON.stringify({ error_code: 400, error_message: "x" });
let server: Server;
let origin: string;

beforeAll(async () => {
  // Answers every request with K2's API error body, whatever the path.
  server = createServer((_request, response) => {
    response.writeHead(400, { "content-type": "application/json" });
    response.end(K2_DIALECT);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function genericClient(): OAuth2Client {
  return new OAuth2Client({
    clientId: "app",
    clientSecret: "app-secret-value",
    tokenEndpoint: `${origin}/token`,
    revocationEndpoint: `${origin}/revoke`,
    introspectionEndpoint: `${origin}/introspect`,
    retries: 0,
  });
}

describe("a generic OAuth2Client against a server answering K2's error dialect", () => {
  const calls: [string, (oauth: OAuth2Client) => Promise<unknown>][] = [
    ["clientCredentials", (oauth) => oauth.clientCredentials()],
    ["requestToken", (oauth) => oauth.requestToken({ grant_type: "urn:example:custom" })],
    ["refreshToken", (oauth) => oauth.refreshToken("a-refresh-token")],
    [
      "exchangeAuthorizationCode",
      (oauth) =>
        oauth.exchangeAuthorizationCode({ code: "c", codeVerifier: "v", redirectUri: "https://app.example/cb" }),
    ],
    ["revokeToken", (oauth) => oauth.revokeToken("a-token")],
    ["introspectToken", (oauth) => oauth.introspectToken("a-token")],
  ];
  for (const [name, call] of calls) {
    it(`${name} throws UnexpectedResponseError, not K2ApiError`, async () => {
      const error = await call(genericClient()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnexpectedResponseError);
      expect(error).not.toBeInstanceOf(K2ApiError);
      expect((error as UnexpectedResponseError).status).toBe(400);
      expect((error as UnexpectedResponseError).excerpt).toBe(K2_DIALECT);
    });
  }

  it("still reads an RFC 6749 error body as OAuth2Error", async () => {
    const oauthServer = createServer((_request, response) => {
      response.writeHead(400, { "content-type": "application/json" });
      response.end(JSON.stringify({ error: "invalid_grant", error_code: 400, error_message: "x" }));
    });
    await new Promise<void>((resolve) => oauthServer.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = oauthServer.address() as AddressInfo;
      const oauth = new OAuth2Client({
        clientId: "app",
        clientSecret: "s3cret-value",
        tokenEndpoint: `http://127.0.0.1:${port}/token`,
        retries: 0,
      });
      const error = await oauth.clientCredentials().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OAuth2Error);
      expect((error as OAuth2Error).error).toBe("invalid_grant");
    } finally {
      await new Promise<void>((resolve) => oauthServer.close(() => resolve()));
    }
  });
});

describe("K2Client, which hands K2's dialect to the transport", () => {
  it("reads the same body from its token endpoint as K2ApiError", async () => {
    const k2 = new K2Client({ clientId: "app", clientSecret: "app-secret-value", baseUrl: origin, retries: 0 });
    const error = await k2.getAccessToken().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(K2ApiError);
    expect(error).toMatchObject({ status: 400, errorCode: 400, messages: ["x"] });
  });

  it("reads it from revoke and introspect as K2ApiError too", async () => {
    const k2 = new K2Client({ clientId: "app", clientSecret: "app-secret-value", baseUrl: origin, retries: 0 });
    await expect(k2.revokeToken("a-token")).rejects.toBeInstanceOf(K2ApiError);
    await expect(k2.introspectToken("a-token")).rejects.toBeInstanceOf(K2ApiError);
    await expect(k2.tokenInfo("a-token")).rejects.toBeInstanceOf(K2ApiError);
  });
});
