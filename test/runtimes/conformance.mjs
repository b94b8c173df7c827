/**
 * The runtime conformance checks: one script, run unchanged on Node (ESM and CommonJS), Deno, Bun,
 * workerd and Chromium against the K2 sandbox, using only the built package and web APIs.
 *
 * Plain JavaScript on purpose: every runtime loads it as it is, with no transpiler in the way.
 *
 * @param {{ K2Client: any, verifyWebhookSignature: Function, signWebhook: Function }} pkg the package as the runtime imported it
 * @param {string} sandboxUrl origin of the K2 sandbox (its /__sandbox/ control API included)
 * @returns {Promise<{ name: string, ok: boolean, detail?: string }[]>}
 */
export async function runConformance(pkg, sandboxUrl) {
  const { K2Client, verifyWebhookSignature, signWebhook } = pkg;
  const credentials = { clientId: "sandbox-client-id", clientSecret: "sandbox-client-secret" };
  const control = (path, method = "POST") => fetch(`${sandboxUrl}/__sandbox/${path}`, { method }).then((r) => r.json());
  const tokenRequests = async () => (await control("requests", "GET")).filter((r) => r.path === "/oauth/token").length;
  const results = [];
  const check = async (name, body) => {
    try {
      const detail = await body();
      results.push({ name, ok: detail === true, detail: detail === true ? undefined : String(detail) });
    } catch (error) {
      results.push({ name, ok: false, detail: `${error?.name}: ${error?.message}` });
    }
  };

  await control("reset");
  const k2 = new K2Client({ ...credentials, baseUrl: sandboxUrl });
  let first;

  await check("token", async () => {
    const token = await k2.getToken();
    first = token.accessToken;
    return (
      (typeof first === "string" && first.length > 10 && token.expiresIn === 3600 && token.expiresAt > Date.now()) ||
      JSON.stringify({ ...token, raw: undefined })
    );
  });
  await check("cached token", async () => {
    const again = await k2.getAccessToken();
    return (again === first && (await tokenRequests()) === 1) || `token requests: ${await tokenRequests()}`;
  });
  await check("concurrent callers share one request", async () => {
    const fresh = new K2Client({ ...credentials, baseUrl: sandboxUrl });
    const before = await tokenRequests();
    const tokens = await Promise.all(Array.from({ length: 50 }, () => fresh.getAccessToken()));
    const made = (await tokenRequests()) - before;
    return (new Set(tokens).size === 1 && made === 1) || `distinct tokens ${new Set(tokens).size}, requests ${made}`;
  });
  await check("introspect", async () => {
    const result = await k2.introspectToken();
    return (
      (result.active === true && result.clientId === credentials.clientId && result.expiresAt > Date.now()) ||
      JSON.stringify(result)
    );
  });
  await check("token info", async () => {
    const info = await k2.tokenInfo();
    return (info.applicationUid === credentials.clientId && info.expiresIn > 3000) || JSON.stringify(info);
  });
  await check("k2.fetch replays once after a 401", async () => {
    await control("expire");
    const body = JSON.stringify({
      scope: "company",
      from_time: "2026-11-01T00:00:00+03:00",
      to_time: "2026-11-02T00:00:00+03:00",
      _links: { callback_url: "https://example.com/cb" },
    });
    const response = await k2.fetch("/api/v2/polling", { method: "POST", body });
    const attempts = (await control("requests", "GET")).filter((r) => r.path === "/api/v2/polling");
    const ok =
      response.status === 201 &&
      attempts.length === 2 &&
      attempts[0].body === body &&
      attempts[1].body === body &&
      attempts[0].headers.authorization !== attempts[1].headers.authorization;
    return ok || `status ${response.status}, attempts ${attempts.length}`;
  });
  await check("revoke", async () => {
    const current = await k2.getAccessToken();
    await k2.revokeToken();
    const after = await k2.introspectToken(current);
    const next = await k2.getAccessToken();
    return (after.active === false && next !== current) || `active after revoke: ${after.active}`;
  });
  await check("webhook signature true and false", async () => {
    const raw = '{\n\t"topic": "buygoods_transaction_received",\n\t"event": { "sender": "Wanjikũ 🙂" }\n}';
    const signature = await signWebhook(raw, "conformance-api-key");
    const genuine = await verifyWebhookSignature(new TextEncoder().encode(raw), signature, "conformance-api-key");
    const tampered = await verifyWebhookSignature(raw.replace("Wanjikũ", "Wanjiku"), signature, "conformance-api-key");
    const otherKey = await verifyWebhookSignature(raw, signature, "another-api-key");
    const malformed = await verifyWebhookSignature(raw, "not-hex", "conformance-api-key");
    return (
      (genuine && !tampered && !otherKey && !malformed) || JSON.stringify({ genuine, tampered, otherKey, malformed })
    );
  });
  await check("typed errors", async () => {
    const wrong = new K2Client({
      clientId: credentials.clientId,
      clientSecret: "wrong-secret-value",
      baseUrl: sandboxUrl,
      retries: 0,
    });
    const error = await wrong.getAccessToken().then(
      () => undefined,
      (e) => e,
    );
    return (
      (error?.name === "OAuth2Error" &&
        error.error === "invalid_client" &&
        !String(error.message).includes("wrong-secret-value")) ||
      String(error)
    );
  });
  return results;
}
