import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CachedTokenSource, OAuth2Client, OAuth2Error } from "../../src/index.ts";
import { startOidcServer, type OidcServer } from "../support/oidc-server.ts";

// A secret made of every character that breaks Basic credentials when not form-encoded first.
const HOSTILE_SECRET = "s3cr:et+with/slash%25&and=equals:+/%&=";

let server: OidcServer;

beforeAll(async () => {
  server = await startOidcServer([
    {
      client_id: "post-client",
      client_secret: "post-secret-0123456789",
      token_endpoint_auth_method: "client_secret_post",
    },
    { client_id: "basic:client+id", client_secret: HOSTILE_SECRET, token_endpoint_auth_method: "client_secret_basic" },
  ]);
});

afterAll(async () => {
  await server?.close();
});

function client(
  clientId: string,
  clientSecret: string,
  clientAuthentication: "client_secret_post" | "client_secret_basic",
): OAuth2Client {
  return new OAuth2Client({
    clientId,
    clientSecret,
    clientAuthentication,
    tokenEndpoint: server.tokenEndpoint,
    revocationEndpoint: server.revocationEndpoint,
    introspectionEndpoint: server.introspectionEndpoint,
  });
}

describe("against oidc-provider", () => {
  it("gets a client-credentials token with client_secret_post", async () => {
    const oauth = client("post-client", "post-secret-0123456789", "client_secret_post");
    const before = Date.now();
    const token = await oauth.clientCredentials();
    expect(token.accessToken).toMatch(/.{20,}/);
    expect(token.tokenType).toBe("Bearer");
    expect(token.expiresIn).toBe(600);
    expect(token.expiresAt).toBeGreaterThanOrEqual(before + 600_000);
    expect(token.expiresAt).toBeLessThanOrEqual(Date.now() + 600_000);
  });

  it("gets a token with client_secret_basic and a secret full of :+/%&=", async () => {
    const oauth = client("basic:client+id", HOSTILE_SECRET, "client_secret_basic");
    const token = await oauth.clientCredentials();
    const introspection = await oauth.introspectToken(token.accessToken);
    expect(introspection.active).toBe(true);
    expect(introspection.clientId).toBe("basic:client+id");
    // oidc-provider answers integer exp/iat; they come back as epoch milliseconds.
    expect(Math.abs(introspection.expiresAt! - token.expiresAt!)).toBeLessThanOrEqual(1000);
    expect(introspection.expiresAt! - introspection.issuedAt!).toBe(600_000);
  });

  it("introspects a revoked token as inactive", async () => {
    const oauth = client("post-client", "post-secret-0123456789", "client_secret_post");
    const { accessToken } = await oauth.clientCredentials();
    expect((await oauth.introspectToken(accessToken)).active).toBe(true);

    await oauth.revokeToken(accessToken, { tokenTypeHint: "access_token" });

    const after = await oauth.introspectToken(accessToken);
    expect(after.active).toBe(false);
    expect(after.raw).toEqual({ active: false });
  });

  it("reports a wrong secret as OAuth2Error invalid_client", async () => {
    for (const method of ["client_secret_post", "client_secret_basic"] as const) {
      const id = method === "client_secret_post" ? "post-client" : "basic:client+id";
      const error = await client(id, "definitely-wrong-secret", method)
        .clientCredentials()
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OAuth2Error);
      expect(error).toMatchObject({ error: "invalid_client", status: 401 });
      expect((error as Error).message).not.toContain("definitely-wrong-secret");
    }
  });

  it("caches a real server's token through CachedTokenSource", async () => {
    const oauth = client("post-client", "post-secret-0123456789", "client_secret_post");
    const tokens = new CachedTokenSource({ source: { getToken: (options) => oauth.clientCredentials(options) } });
    const all = await Promise.all(Array.from({ length: 50 }, () => tokens.getAccessToken()));
    expect(new Set(all).size).toBe(1);
    expect((await oauth.introspectToken(all[0])).active).toBe(true);
  });
});
