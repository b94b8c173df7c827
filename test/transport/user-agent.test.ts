/** Every request names the package and its version, as each official K2 SDK names itself. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { K2Client, OAuth2Client } from "../../src/index.ts";
import { VERSION } from "../../src/version.ts";

const packageVersion = (file: string) =>
  (JSON.parse(readFileSync(new URL(`../../${file}`, import.meta.url), "utf8")) as { version: string }).version;

function recording() {
  const agents: (string | null)[] = [];
  const fetch = async (_input: string | URL | Request, init?: RequestInit) => {
    agents.push(new Headers(init?.headers).get("user-agent"));
    return Response.json({ access_token: "t", token_type: "Bearer", expires_in: 3600, active: true });
  };
  return { agents, fetch };
}

describe("User-Agent", () => {
  it("is the version package.json and jsr.json publish", () => {
    expect(VERSION).toBe(packageVersion("package.json"));
    expect(VERSION).toBe(packageVersion("jsr.json"));
  });

  it("goes with K2's token, introspection, token info, revoke and API requests", async () => {
    const { agents, fetch } = recording();
    const k2 = new K2Client({ clientId: "id", clientSecret: "secret", baseUrl: "https://k2.example", fetch });
    await k2.getAccessToken();
    await k2.introspectToken();
    await k2.tokenInfo();
    await k2.fetch("/api/v2/incoming_payments", { method: "POST", body: "{}" });
    await k2.revokeToken();
    expect(agents).toEqual(Array(5).fill(`k2-connect-edge/${VERSION}`));
  });

  it("goes with a generic OAuth 2.0 client's requests too", async () => {
    const { agents, fetch } = recording();
    const oauth = new OAuth2Client({
      clientId: "id",
      clientSecret: "secret",
      tokenEndpoint: "https://as.example/token",
      fetch,
    });
    await oauth.clientCredentials();
    expect(agents).toEqual([`k2-connect-edge/${VERSION}`]);
  });

  it("leaves a User-Agent the caller chose", async () => {
    const { agents, fetch } = recording();
    const k2 = new K2Client({ clientId: "id", clientSecret: "secret", baseUrl: "https://k2.example", fetch });
    await k2.fetch("/api/v2/polling", { method: "POST", body: "{}", headers: { "user-agent": "my-shop/2.1" } });
    expect(agents.at(-1)).toBe("my-shop/2.1");
  });
});
