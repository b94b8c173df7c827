/**
 * Scoped keys through the proxy, inside workerd against the K2 sandbox: a request outside a key's
 * capabilities or limits is refused with nothing sent to K2, one inside is forwarded, and a scoped
 * key reads only the resources and events it created, whichever isolate asks.
 */
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { sha256Hex } from "../../../worker/common/sha256.ts";
import { baseEnv, emptyTokenCache, isolate, KEY, proxyRequest, stkPush } from "../support/harness.ts";
import { callback, emptyInbox, keepOnlyEnv, result } from "../support/inbox-helpers.ts";
import { upstream } from "../support/sandbox-control.ts";

const CHECKOUT = "checkout-key-for-the-shop-0001";
const TILL_APP = "till-app-key-for-the-counter-02";
const STK = "/api/v2/incoming_payments";
let env: typeof keepOnlyEnv;

beforeAll(async () => {
  const policies = [
    {
      id: "checkout",
      sha256: await sha256Hex(CHECKOUT),
      allow: ["incoming_payments:write", "incoming_payments:read", "events:read"],
      max_amount: "5000",
      tills: [stkPush.till_number],
      callback_hosts: [new URL(stkPush._links.callback_url).hostname],
    },
    { id: "till-app", sha256: await sha256Hex(TILL_APP), allow: ["incoming_payments:write", "incoming_payments:read"] },
  ];
  env = { ...keepOnlyEnv, PROXY_KEY_POLICIES: JSON.stringify(policies) };
});

beforeEach(async () => {
  await upstream.reset();
  await emptyTokenCache();
});

const post = (path: string, body: unknown, key: string) =>
  proxyRequest(path, {
    method: "POST",
    key,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
const sentTo = async (path: string) => (await upstream.requestsTo(path)).length;

describe("capabilities", () => {
  it("a checkout key starts an STK push, and is refused send money, reversals and subscriptions with nothing sent", async () => {
    const { proxy, logs } = isolate();
    expect((await proxy(post(STK, stkPush, CHECKOUT), env)).status).toBe(201);
    for (const path of [
      "/api/v2/send_money",
      "/api/v2/reversals",
      "/api/v2/webhook_subscriptions",
      "/api/v1/payments",
    ]) {
      const refused = await proxy(post(path, {}, CHECKOUT), env);
      expect(refused.status, path).toBe(403);
      const body = await refused.json<Record<string, unknown>>();
      expect(body).toMatchObject({ error: "forbidden", rule: "allow", key_id: "checkout" });
      expect(JSON.stringify(body)).not.toContain(CHECKOUT);
      expect(await sentTo(path)).toBe(0);
    }
    expect(logs.map((line) => line.caller)).toEqual(Array(5).fill("checkout"));
    expect(await upstream.requests()).toHaveLength(2); // one token request and the STK push
  });

  it("limits: too much, another till, another callback host: 403 naming the rule, nothing sent", async () => {
    const { proxy } = isolate();
    const cases: [string, unknown][] = [
      ["max_amount", { ...stkPush, amount: { currency: "KES", value: "5001" } }],
      ["tills", { ...stkPush, till_number: "K999999" }],
      ["callback_hosts", { ...stkPush, _links: { callback_url: "https://evil.example/k2" } }],
    ];
    for (const [rule, body] of cases) {
      const refused = await proxy(post(STK, body, CHECKOUT), env);
      expect(refused.status, rule).toBe(403);
      expect(await refused.json(), rule).toMatchObject({ error: "forbidden", rule, key_id: "checkout" });
    }
    expect(await upstream.requests()).toEqual([]);
    expect(
      (await proxy(post(STK, { ...stkPush, amount: { currency: "KES", value: 5000 } }, CHECKOUT), env)).status,
    ).toBe(201);
  });

  it("a full-access key is held by none of it", async () => {
    const { proxy } = isolate();
    const big = { ...stkPush, amount: { currency: "KES", value: "999999" }, till_number: "K999999" };
    expect((await proxy(post(STK, big, KEY), env)).status).toBe(201);
  });
});

describe("callers see only their own", () => {
  it("a payment is read back by the key that created it, from any isolate, and is 404 to another scoped key", async () => {
    const created = await isolate().proxy(post(STK, stkPush, CHECKOUT), env);
    expect(created.status).toBe(201);
    const path = new URL(created.headers.get("location")!).pathname;

    expect((await isolate().proxy(proxyRequest(path, { key: CHECKOUT }), env)).status).toBe(200);
    const other = await isolate().proxy(proxyRequest(path, { key: TILL_APP }), env);
    expect(other.status).toBe(404);
    expect(await other.json()).toMatchObject({ error: "not_found" });
    expect((await isolate().proxy(proxyRequest(path, { key: KEY }), env)).status).toBe(200);
    expect(await sentTo(path)).toBe(2); // the 404 sent nothing
  });

  it("events need events:read, and a scoped key lists only the results of its own payments", async () => {
    await emptyInbox();
    const { proxy } = isolate();
    const mine = new URL((await proxy(post(STK, stkPush, CHECKOUT), env)).headers.get("location")!).pathname;
    const theirs = new URL((await proxy(post(STK, stkPush, TILL_APP), env)).headers.get("location")!).pathname;
    const idOf = (path: string) => path.split("/").at(-1)!;
    for (const id of [idOf(mine), idOf(theirs)])
      expect((await proxy(await callback(JSON.stringify(result(id, "Success"))), env)).status).toBe(200);

    expect((await proxy(proxyRequest("/k2/events", { key: TILL_APP }), env)).status).toBe(403);
    const listed = await (await proxy(proxyRequest("/k2/events", { key: CHECKOUT }), env)).json<any>();
    expect(listed.events.map((event: any) => event.payload.data.id)).toEqual([idOf(mine)]);
    const all = await (await proxy(proxyRequest("/k2/events", { key: KEY }), env)).json<any>();
    expect(all.events).toHaveLength(2);
    const theirEvent = all.events.find((event: any) => event.payload.data.id === idOf(theirs));
    expect((await proxy(proxyRequest(`/k2/events/${theirEvent.id}`, { key: CHECKOUT }), env)).status).toBe(404);
  });
});

describe("configuration", () => {
  it("a malformed policy refuses every request, naming the setting and the key id, never a key", async () => {
    const broken = { ...env, PROXY_KEY_POLICIES: JSON.stringify([{ id: "checkout", sha256: CHECKOUT, allow: ["*"] }]) };
    const answer = await isolate().proxy(post(STK, stkPush, KEY), broken);
    expect(answer.status).toBe(500);
    const text = await answer.text();
    expect(JSON.parse(text)).toMatchObject({ error: "configuration_error", setting: "PROXY_KEY_POLICIES" });
    expect(text).toContain("checkout");
    expect(text).not.toContain(CHECKOUT);
  });
});
