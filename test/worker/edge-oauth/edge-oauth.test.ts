/**
 * K2's own OAuth at the edge (worker/edge-oauth/): a key's id and key get an edge token by form,
 * JSON or HTTP Basic; the token is the key's own caller wherever the key works, its policy
 * included; a revocation holds in other isolates; introspection and token info answer as K2's
 * do; an expired token, or one whose key is no longer configured, is refused; and no key, token or
 * K2 secret reaches a log line.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import type { Env } from "../../../worker/index.ts";
import { revocationsOf, tokenState } from "../../../worker/edge-oauth/client.ts";
import { issueEdgeToken } from "../../../worker/edge-oauth/token.ts";
import { sha256Hex } from "../../../worker/common/sha256.ts";
import { baseEnv, isolate, pollingBody, stkPush } from "../support/harness.ts";
import { upstream } from "../support/sandbox-control.ts";

const SHOP = { id: "shop", key: "shop-key-0123456789abcdef" };
const SHOP_NEXT = { id: "shop", key: "shop-key-rotated-000000001" };
const BILLING = { id: "billing", key: "billing-key-0123456789abcd" };
/** A scoped key: it may poll, and nothing else. */
const POLLER = { id: "poller", key: "poller-key-0123456789abcde" };
const BARE = "bare-key-without-an-id-0001";

async function envWith(keys: { id: string; key: string }[] = [SHOP, BILLING]): Promise<Env> {
  return {
    ...baseEnv,
    PROXY_KEYS: [...keys.map(({ id, key }) => `${id}:${key}`), BARE].join(","),
    PROXY_KEY_POLICIES: JSON.stringify([
      { id: POLLER.id, sha256: await sha256Hex(POLLER.key), allow: ["polling:write", "polling:read"] },
    ]),
  };
}

let env: Env;
beforeEach(async () => {
  env = await envWith();
  await upstream.reset();
});

type Carrier = "form" | "json" | "basic";

function oauthRequest(
  path: string,
  fields: Record<string, string>,
  client: { id: string; key: string } = SHOP,
  carrier: Carrier = "form",
): Request {
  const url = `https://proxy.example${path}`;
  if (carrier === "basic") {
    const basic = btoa(`${encodeURIComponent(client.id)}:${encodeURIComponent(client.key)}`);
    return new Request(url, {
      method: "POST",
      headers: { authorization: `Basic ${basic}` },
      body: new URLSearchParams(fields),
    });
  }
  const all = { client_id: client.id, client_secret: client.key, ...fields };
  if (carrier === "json")
    return new Request(url, {
      method: "POST",
      // What the official Node SDK sends for revoke and introspect: JSON, and a bearer of "null".
      headers: { "content-type": "application/json", authorization: "Bearer null" },
      body: JSON.stringify(all),
    });
  return new Request(url, { method: "POST", body: new URLSearchParams(all) });
}

const bearer = (path: string, token: string, init: RequestInit = {}) =>
  new Request(`https://proxy.example${path}`, {
    ...init,
    headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${token}` },
  });

const pollWith = (token: string) =>
  bearer("/api/v2/polling", token, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(pollingBody),
  });

async function edgeToken(
  worker = isolate().proxy,
  client = SHOP,
  carrier: Carrier = "form",
  on: Env = env,
): Promise<string> {
  const answer = await worker(oauthRequest("/oauth/token", { grant_type: "client_credentials" }, client, carrier), on);
  expect(answer.status).toBe(200);
  return ((await answer.json()) as { access_token: string }).access_token;
}

describe("POST /oauth/token", () => {
  it.each<Carrier>(["form", "json", "basic"])(
    "issues an edge token to a key's id and key sent as %s",
    async (carrier) => {
      const { proxy } = isolate();
      const before = Math.floor(Date.now() / 1000);
      const answer = await proxy(
        oauthRequest("/oauth/token", { grant_type: "client_credentials" }, SHOP, carrier),
        env,
      );
      expect(answer.status).toBe(200);
      expect(answer.headers.get("cache-control")).toBe("no-store");
      const body = (await answer.json()) as Record<string, unknown>;
      expect(Object.keys(body).sort()).toEqual(["access_token", "created_at", "expires_in", "token_type"]);
      expect(body).toMatchObject({ token_type: "Bearer", expires_in: 3600 });
      expect(body.created_at).toBeGreaterThanOrEqual(before);
      expect(body.created_at).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
      expect(body.access_token).toMatch(/^k2edge_/);
      expect(String(body.access_token)).not.toContain(SHOP.key);
      // No K2 token was needed, and none left the edge.
      expect(await upstream.requestsTo("/oauth/token")).toHaveLength(0);
    },
  );

  it.each<Carrier>(["form", "json", "basic"])(
    "refuses a wrong key sent as %s with 401 invalid_client",
    async (carrier) => {
      const { proxy } = isolate();
      const answer = await proxy(
        oauthRequest("/oauth/token", { grant_type: "client_credentials" }, { id: SHOP.id, key: BILLING.key }, carrier),
        env,
      );
      expect(answer.status).toBe(401);
      const body = (await answer.json()) as Record<string, unknown>;
      expect(body.error).toBe("invalid_client");
      expect(typeof body.error_description).toBe("string");
      expect(answer.headers.get("www-authenticate")).toBe(carrier === "basic" ? 'Basic realm="k2-connect-edge"' : null);
    },
  );

  it("gives no token to a key without an id, an unknown id, or credentials in the query string", async () => {
    const { proxy } = isolate();
    for (const client of [
      { id: "bare", key: BARE },
      { id: "", key: BARE },
      { id: "nobody", key: SHOP.key },
    ]) {
      const answer = await proxy(oauthRequest("/oauth/token", { grant_type: "client_credentials" }, client), env);
      expect(answer.status).toBe(401);
      expect(((await answer.json()) as { error: string }).error).toBe("invalid_client");
    }
    const query = new URLSearchParams({
      client_id: SHOP.id,
      client_secret: SHOP.key,
      grant_type: "client_credentials",
    });
    const answer = await proxy(new Request(`https://proxy.example/oauth/token?${query}`, { method: "POST" }), env);
    expect(answer.status).toBe(401);
  });

  it("answers RFC 6749's errors for a wrong grant, a missing one, and two ways of authenticating", async () => {
    const { proxy } = isolate();
    const wrongGrant = await proxy(oauthRequest("/oauth/token", { grant_type: "password" }), env);
    expect(wrongGrant.status).toBe(400);
    expect(((await wrongGrant.json()) as { error: string }).error).toBe("unsupported_grant_type");
    const noGrant = await proxy(oauthRequest("/oauth/token", {}), env);
    expect(noGrant.status).toBe(400);
    expect(((await noGrant.json()) as { error: string }).error).toBe("invalid_request");
    const basic = btoa(`${SHOP.id}:${SHOP.key}`);
    const twice = await proxy(
      new Request("https://proxy.example/oauth/token", {
        method: "POST",
        headers: { authorization: `Basic ${basic}` },
        body: new URLSearchParams({ grant_type: "client_credentials", client_secret: SHOP.key }),
      }),
      env,
    );
    expect(twice.status).toBe(400);
    expect(((await twice.json()) as { error: string }).error).toBe("invalid_request");
    const get = await proxy(new Request("https://proxy.example/oauth/token"), env);
    expect(get.status).toBe(405);
  });
});

describe("an edge token as Authorization: Bearer", () => {
  it("works for an API call, with K2's token sent to K2 and the edge token not", async () => {
    const token = await edgeToken();
    const { proxy, logs } = isolate();
    expect((await proxy(pollWith(token), env)).status).toBe(201);
    const [sent] = await upstream.requestsTo("/api/v2/polling");
    expect(sent!.headers.authorization).toMatch(/^Bearer /);
    expect(sent!.headers.authorization).not.toContain("k2edge_");
    expect(logs.at(-1)).toMatchObject({ path: "/api/v2/polling", status: 201, caller: SHOP.id });
  });

  it("carries the key's policy: a scoped key's token may do what the key may, and nothing more", async () => {
    const token = await edgeToken(undefined, POLLER);
    const { proxy } = isolate();
    expect((await proxy(pollWith(token), env)).status).toBe(201);
    const stk = await proxy(
      bearer("/api/v2/incoming_payments", token, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(stkPush),
      }),
      env,
    );
    expect(stk.status).toBe(403);
    expect(await stk.json()).toMatchObject({ error: "forbidden", rule: "allow", key_id: POLLER.id });
    expect(await upstream.requestsTo("/api/v2/incoming_payments")).toHaveLength(0);
  });

  it("is refused once expired", async () => {
    const keyDigest = await sha256Hex(SHOP.key);
    const hourAndASecondAgo = Date.now() - 3601_000;
    const { token } = await issueEdgeToken(
      env,
      { id: SHOP.id, keyDigest, scope: "id:shop", policy: undefined },
      hourAndASecondAgo,
    );
    const { token: fresh } = await issueEdgeToken(env, { id: SHOP.id, keyDigest, scope: "id:shop", policy: undefined });
    const { proxy } = isolate();
    expect((await proxy(pollWith(token), env)).status).toBe(401);
    expect((await proxy(pollWith(fresh), env)).status).toBe(201);
    const info = await proxy(bearer("/oauth/token/info", token), env);
    expect(info.status).toBe(401);
    expect(await info.json()).toEqual({ error: "invalid_token", error_description: "The access token expired" });
    const introspected = await proxy(oauthRequest("/oauth/introspect", { token }), env);
    expect(await introspected.json()).toEqual({ active: false });
  });

  it("is refused once its key is removed from the configuration, or rotated out", async () => {
    const token = await edgeToken();
    expect((await isolate().proxy(pollWith(token), env)).status).toBe(201);
    const removed = await envWith([BILLING]);
    expect((await isolate().proxy(pollWith(token), removed)).status).toBe(401);
    // The same id with another key: the token was bound to the old key's digest.
    const rotated = await envWith([SHOP_NEXT, BILLING]);
    expect((await isolate().proxy(pollWith(token), rotated)).status).toBe(401);
    const next = await edgeToken(undefined, SHOP_NEXT, "form", rotated);
    expect((await isolate().proxy(pollWith(next), rotated)).status).toBe(201);
    // During the rotation both keys are configured under the id, and each one's tokens work.
    const both = await envWith([SHOP, SHOP_NEXT]);
    expect((await isolate().proxy(pollWith(token), both)).status).toBe(201);
    expect((await isolate().proxy(pollWith(next), both)).status).toBe(201);
  });

  it("is refused when altered: another key id, or a changed MAC", async () => {
    const token = await edgeToken();
    const [payload, mac] = token.slice("k2edge_".length).split(".");
    const claims = JSON.parse(atob(payload!.replace(/-/g, "+").replace(/_/g, "/")));
    const forged = btoa(JSON.stringify({ ...claims, kid: BILLING.id }))
      .replace(/=+$/, "")
      .replace(/\+/g, "-")
      .replace(/\//g, "_");
    const { proxy } = isolate();
    expect((await proxy(pollWith(`k2edge_${forged}.${mac}`), env)).status).toBe(401);
    const flipped = `${mac!.slice(0, -2)}${mac!.endsWith("AA") ? "BA" : "AA"}`;
    expect((await proxy(pollWith(`k2edge_${payload}.${flipped}`), env)).status).toBe(401);
    expect((await proxy(pollWith(token), env)).status).toBe(201);
  });
});

describe("POST /oauth/revoke", () => {
  it("revokes a token in every isolate: another one refuses it at once", async () => {
    const [a, b, c] = [isolate(), isolate(), isolate()];
    const token = await edgeToken(a.proxy);
    expect((await b.proxy(pollWith(token), env)).status).toBe(201);
    const revoked = await a.proxy(oauthRequest("/oauth/revoke", { token }, SHOP, "json"), env);
    expect(revoked.status).toBe(200);
    expect(await revoked.json()).toEqual({});
    expect((await b.proxy(pollWith(token), env)).status).toBe(401);
    expect((await c.proxy(pollWith(token), env)).status).toBe(401);
    const info = await c.proxy(bearer("/oauth/token/info", token), env);
    expect(await info.json()).toEqual({ error: "invalid_token", error_description: "The access token was revoked" });
    // The key itself, and its other tokens, still work.
    expect((await c.proxy(pollWith(SHOP.key), env)).status).toBe(201);
    expect((await c.proxy(pollWith(await edgeToken(a.proxy)), env)).status).toBe(201);
  });

  it("answers {} for a token that is not one, and refuses another key's token with 403", async () => {
    const { proxy } = isolate();
    const unknown = await proxy(oauthRequest("/oauth/revoke", { token: "not-a-token" }), env);
    expect(unknown.status).toBe(200);
    expect(await unknown.json()).toEqual({});
    const billing = await edgeToken(proxy, BILLING);
    const other = await proxy(oauthRequest("/oauth/revoke", { token: billing }, SHOP), env);
    expect(other.status).toBe(403);
    expect(((await other.json()) as { error: string }).error).toBe("unauthorized_client");
    expect((await proxy(pollWith(billing), env)).status).toBe(201);
    const wrong = await proxy(
      oauthRequest("/oauth/revoke", { token: billing }, { id: BILLING.id, key: SHOP.key }),
      env,
    );
    expect(wrong.status).toBe(401);
    expect((await proxy(pollWith(billing), env)).status).toBe(201);
    const missing = await proxy(oauthRequest("/oauth/revoke", {}), env);
    expect(missing.status).toBe(400);
  });

  it("keeps a revocation only until its token would have expired", async () => {
    const stub = await revocationsOf(env, SHOP.id);
    const before = await runInDurableObject(stub, (object) => object.count());
    const token = await edgeToken();
    await isolate().proxy(oauthRequest("/oauth/revoke", { token }), env);
    const found = await tokenState(env, token);
    expect(found.state).toBe("revoked");
    const { exp } = (found as { token: { claims: { exp: number } } }).token.claims;
    await runInDurableObject(stub, async (object, state) => {
      expect(object.count()).toBe(before + 1);
      // The earliest expiry wakes it: this token's, or an earlier test's.
      expect(await state.storage.getAlarm()).toBeLessThanOrEqual(exp * 1000);
      // As if the hour had passed: every row's expiry is behind us when the alarm runs.
      state.storage.sql.exec("UPDATE revoked SET expires_at = ?", Date.now() - 1);
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    await runInDurableObject(stub, async (object, state) => {
      expect(object.count()).toBe(0);
      expect(await state.storage.getAlarm()).toBeNull();
    });
  });
});

describe("POST /oauth/introspect", () => {
  it.each<Carrier>(["form", "json", "basic"])(
    "answers an active token, then inactive once revoked (%s)",
    async (carrier) => {
      const { proxy } = isolate();
      const token = await edgeToken(proxy);
      const answer = await proxy(oauthRequest("/oauth/introspect", { token }, SHOP, carrier), env);
      expect(answer.status).toBe(200);
      const body = (await answer.json()) as Record<string, number>;
      expect(body).toMatchObject({ active: true, scope: "", client_id: SHOP.id, token_type: "Bearer" });
      expect(body.exp! - body.iat!).toBe(3600);
      await proxy(oauthRequest("/oauth/revoke", { token }, SHOP, carrier), env);
      const after = await isolate().proxy(oauthRequest("/oauth/introspect", { token }, SHOP, carrier), env);
      expect(await after.json()).toEqual({ active: false });
    },
  );

  it("answers inactive for garbage and another key's token, and refuses a wrong key", async () => {
    const { proxy } = isolate();
    const garbage = await proxy(oauthRequest("/oauth/introspect", { token: "k2edge_garbage.x" }), env);
    expect(await garbage.json()).toEqual({ active: false });
    const billing = await edgeToken(proxy, BILLING);
    expect(await (await proxy(oauthRequest("/oauth/introspect", { token: billing }), env)).json()).toEqual({
      active: false,
    });
    const wrong = await proxy(
      oauthRequest("/oauth/introspect", { token: billing }, { id: SHOP.id, key: "x".repeat(20) }),
      env,
    );
    expect(wrong.status).toBe(401);
  });

  it("accepts the client's own valid token instead of its credentials, as Doorkeeper does", async () => {
    const { proxy } = isolate();
    const token = await edgeToken(proxy);
    const answer = await proxy(
      bearer("/oauth/introspect", token, { method: "POST", body: new URLSearchParams({ token }) }),
      env,
    );
    expect(await answer.json()).toMatchObject({ active: true, client_id: SHOP.id });
  });
});

describe("GET /oauth/token/info", () => {
  it("describes a valid edge token as K2 does its own, and refuses anything else", async () => {
    const { proxy } = isolate();
    const token = await edgeToken(proxy);
    const info = await proxy(bearer("/oauth/token/info", token), env);
    expect(info.status).toBe(200);
    const body = (await info.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ resource_owner_id: null, scope: [], application: { uid: SHOP.id } });
    expect(body.expires_in).toBeGreaterThan(3500);
    expect(body.expires_in).toBeLessThanOrEqual(3600);
    expect(Number.isInteger(body.created_at)).toBe(true);
    // The key itself is no access token here.
    const key = await proxy(bearer("/oauth/token/info", SHOP.key), env);
    expect(key.status).toBe(401);
    expect(await key.json()).toEqual({ error: "invalid_token", error_description: "The access token is invalid" });
  });
});

describe("without the EDGE_REVOCATIONS binding", () => {
  it("issues no token and accepts none, since a revocation could not hold", async () => {
    const token = await edgeToken();
    const unbound = { ...env, EDGE_REVOCATIONS: undefined };
    const { proxy } = isolate();
    const answer = await proxy(oauthRequest("/oauth/token", { grant_type: "client_credentials" }), unbound);
    expect(answer.status).toBe(500);
    expect(await answer.json()).toMatchObject({ error: "configuration_error", setting: "EDGE_REVOCATIONS" });
    expect((await proxy(pollWith(token), unbound)).status).toBe(401);
    expect((await proxy(pollWith(SHOP.key), unbound)).status).toBe(201);
  });
});

describe("secrets", () => {
  it("never reach a log line: no key, edge token, K2 token or K2 secret", async () => {
    const { proxy, rawLogs } = isolate();
    const answer = await proxy(oauthRequest("/oauth/token", { grant_type: "client_credentials" }, SHOP, "basic"), env);
    const token = ((await answer.json()) as { access_token: string }).access_token;
    const scoped = await proxy(oauthRequest("/oauth/token", { grant_type: "client_credentials" }, POLLER, "json"), env);
    const scopedToken = ((await scoped.json()) as { access_token: string }).access_token;
    await proxy(
      oauthRequest("/oauth/token", { grant_type: "client_credentials" }, { id: SHOP.id, key: BILLING.key }),
      env,
    );
    await proxy(pollWith(token), env);
    await proxy(bearer("/oauth/token/info", token), env);
    await proxy(oauthRequest("/oauth/introspect", { token }), env);
    await proxy(oauthRequest("/oauth/revoke", { token }, SHOP, "json"), env);
    await proxy(pollWith(token), env);
    const [sent] = await upstream.requestsTo("/api/v2/polling");
    const k2Token = sent!.headers.authorization!.slice("Bearer ".length);
    expect(rawLogs).toHaveLength(8);
    for (const secret of [SHOP.key, BILLING.key, POLLER.key, token, scopedToken, k2Token, env.K2_CLIENT_SECRET!])
      for (const line of rawLogs) expect(line).not.toContain(secret);
    // The lines still say who asked, by key id.
    expect(rawLogs.filter((line) => line.includes('"caller":"shop"')).length).toBe(5);
  });
});
