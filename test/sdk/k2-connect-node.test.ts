/**
 * The official Node SDK (k2-connect-node), unmodified, through the edge with edge credentials: its
 * base URL is the Worker's, its client id and secret a key's id and key. It gets an edge token,
 * sends an STK push, reads its status on the Location it was given, and revokes the token, which
 * the edge then refuses. K2's secret and token stay on the Worker's side.
 *
 * The SDK runs in Node, so the real Worker (worker/index.ts, bundled as deployed) is served on
 * loopback by Miniflare, which runs it in workerd with the Durable Object that keeps revocations
 * (harness/workerd.ts binds none); the K2 sandbox runs in this process.
 */
import { createRequire } from "node:module";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleWorker, deployedSettings } from "../../harness/workerd.ts";
import { DEV_API_KEY, DEV_CLIENT } from "../../sandbox/credentials.ts";
import { K2Sandbox } from "../../sandbox/server.ts";

/** The SDK's calls this test makes, as its README drives them. */
interface NodeSdk {
  TokenService: {
    getToken(): Promise<{ access_token: string; token_type: string; expires_in: number; created_at: number }>;
    revokeToken(opts: { accessToken: string }): Promise<unknown>;
    introspectToken(opts: { accessToken: string }): Promise<unknown>;
    infoToken(opts: { accessToken: string }): Promise<{ application: { uid: string }; expires_in: number }>;
  };
  StkService: {
    initiateIncomingPayment(opts: Record<string, unknown>): Promise<string>;
    getStatus(opts: { location: string; accessToken: string }): Promise<{ data: { type: string; id: string } }>;
  };
}
const k2ConnectNode = createRequire(import.meta.url)("k2-connect-node") as (options: object) => NodeSdk;

/** The edge credentials the app is given in place of K2's: a key's id and the key. */
const SHOP = { id: "shop", key: "shop-edge-key-0123456789abcdef" };

let sandbox: K2Sandbox;
let worker: Miniflare;
let edgeUrl: string;
const workerLogs: string[] = [];

beforeAll(async () => {
  sandbox = await new K2Sandbox({ processingDelayMs: Infinity, loopbackCallbacksOnly: true }).listen();
  const settings = deployedSettings();
  // Miniflare's classic options, as the Workers vitest plugin passes them too.
  worker = new Miniflare(
    convertV4MiniflareOptions({
      host: "127.0.0.1",
      port: 0,
      // The Worker's log lines, kept for the check that none holds a secret.
      handleStructuredLogs: ({ message }) => void workerLogs.push(message),
      modules: true,
      script: await bundleWorker(new URL("../../worker/index.ts", import.meta.url).pathname),
      compatibilityDate: settings.compatibilityDate,
      bindings: {
        ...settings.vars,
        K2_BASE_URL: sandbox.url,
        K2_CLIENT_ID: DEV_CLIENT.clientId,
        K2_CLIENT_SECRET: DEV_CLIENT.clientSecret,
        K2_API_KEY: DEV_API_KEY,
        PROXY_KEYS: `${SHOP.id}:${SHOP.key}`,
      },
      kvNamespaces: [settings.kvBinding],
      durableObjects: { EDGE_REVOCATIONS: { className: "RevokedEdgeTokens", useSQLite: true } },
    }),
  );
  edgeUrl = (await worker.ready).origin;
}, 60_000);

afterAll(async () => {
  await worker?.dispose();
  await sandbox?.close();
});

/** The app's configuration, moved to the edge: the base URL and the credentials, nothing else. */
const sdk = (clientSecret = SHOP.key) =>
  k2ConnectNode({ clientId: SHOP.id, clientSecret, apiKey: DEV_API_KEY, baseUrl: edgeUrl });

/** What the edge answers an introspection (the SDK's own resolves `undefined`: it reads axios' `response.body`). */
async function introspection(token: string): Promise<unknown> {
  const answer = await fetch(`${edgeUrl}/oauth/introspect`, {
    method: "POST",
    body: new URLSearchParams({ client_id: SHOP.id, client_secret: SHOP.key, token }),
  });
  return answer.json();
}

describe("k2-connect-node through the edge, with edge credentials", () => {
  it("gets a token, pushes an STK request, reads its status, and revokes the token", async () => {
    const { TokenService, StkService } = sdk();
    const token = await TokenService.getToken();
    expect(token).toMatchObject({ token_type: "Bearer", expires_in: 3600 });
    expect(token.access_token).toMatch(/^k2edge_/);
    const accessToken = token.access_token;

    const info = await TokenService.infoToken({ accessToken });
    expect(info.application.uid).toBe(SHOP.id);
    await expect(TokenService.introspectToken({ accessToken })).resolves.toBeUndefined();
    expect(await introspection(accessToken)).toMatchObject({ active: true, client_id: SHOP.id });

    const location = await StkService.initiateIncomingPayment({
      accessToken,
      paymentChannel: "M-PESA STK Push",
      tillNumber: "K000000",
      firstName: "Jane",
      lastName: "Doe",
      phoneNumber: "+254712345678",
      email: "jane@example.com",
      currency: "KES",
      amount: "20",
      callbackUrl: "https://example.com/k2/result",
      metadata: { order: "42" },
    });
    // The Location names the edge, never K2: the SDK follows it with its edge token.
    expect(location.startsWith(`${edgeUrl}/api/v1/incoming_payments/`)).toBe(true);
    const status = await StkService.getStatus({ location, accessToken });
    expect(status.data.type).toBe("incoming_payment");
    expect(location.endsWith(status.data.id)).toBe(true);

    // K2 saw the Worker's own token, got with K2's credentials; the SDK's went nowhere near it.
    const [push] = sandbox.requestsTo("/api/v1/incoming_payments");
    expect(push!.headers.authorization).toMatch(/^Bearer /);
    expect(push!.headers.authorization).not.toContain(accessToken);
    for (const request of sandbox.requestsTo("/oauth/token"))
      expect(request.body).toContain(encodeURIComponent(DEV_CLIENT.clientId));
    expect(sandbox.requestsTo("/oauth/revoke")).toHaveLength(0);

    await expect(TokenService.revokeToken({ accessToken })).resolves.toBeUndefined();
    expect(await introspection(accessToken)).toEqual({ active: false });
    await expect(StkService.getStatus({ location, accessToken })).rejects.toBe("Unauthorized");
    await expect(TokenService.infoToken({ accessToken })).rejects.toBe("Unauthorized");

    // A new token works again: revoking one token leaves the key alone.
    const again = await TokenService.getToken();
    expect((await StkService.getStatus({ location, accessToken: again.access_token })).data.id).toBe(status.data.id);

    // One line per request, naming the key by its id; no key, edge token, K2 token or K2 secret.
    const lines = workerLogs.filter((line) => line.includes('"requestId"'));
    expect(lines.length).toBeGreaterThanOrEqual(10);
    const k2Token = push!.headers.authorization!.slice("Bearer ".length);
    for (const secret of [SHOP.key, accessToken, again.access_token, k2Token, DEV_CLIENT.clientSecret])
      expect(workerLogs.filter((line) => line.includes(secret))).toEqual([]);
  });

  it("is refused with invalid_client when its secret is wrong", async () => {
    await expect(sdk("shop-edge-key-wrong-000000000").TokenService.getToken()).rejects.toBe("Unauthorized");
    const answer = await fetch(`${edgeUrl}/oauth/token`, {
      method: "POST",
      body: new URLSearchParams({
        client_id: SHOP.id,
        client_secret: "wrong-secret-0000000",
        grant_type: "client_credentials",
      }),
    });
    expect(answer.status).toBe(401);
    expect(((await answer.json()) as { error: string }).error).toBe("invalid_client");
  });
});
