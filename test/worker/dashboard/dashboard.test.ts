/**
 * The dashboard's routes (worker/dashboard/) and the replay it offers (worker/inbox/), inside
 * workerd with the real Durable Objects, KV and queues: the page's assets are served to anyone
 * under a strict CSP, its data only to a key that may read payments and events, the health view
 * names the token's times and never the token, and a dead event is replayed to the backend.
 */
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { sha256Hex } from "../../../worker/common/sha256.ts";
import { DEV_API_KEY, DEV_CLIENT } from "../../../sandbox/credentials.ts";
import { baseEnv, emptyTokenCache, isolate, KEY, poll, proxyRequest } from "../support/harness.ts";
import {
  callback,
  emptyInbox,
  eventually,
  inboxSql,
  keepOnlyEnv,
  readEvent,
  webhook,
} from "../support/inbox-helpers.ts";
import { FORWARD_TEST_SECRET, TEST_PROXY_KEYS } from "../support/keys.ts";
import { upstream } from "../support/sandbox-control.ts";

const READER = "dashboard-reader-key-0000000001";
const PAYMENTS_ONLY = "dashboard-payments-only-key-0002";
const REPLAYER = "dashboard-replayer-key-000000003";
let env: typeof baseEnv;

beforeAll(async () => {
  const policies = [
    { id: "reader", sha256: await sha256Hex(READER), allow: ["payments:read", "events:read"] },
    { id: "payments-only", sha256: await sha256Hex(PAYMENTS_ONLY), allow: ["payments:read"] },
    { id: "replayer", sha256: await sha256Hex(REPLAYER), allow: ["events:read", "events:write"] },
  ];
  env = { ...baseEnv, PROXY_KEY_POLICIES: JSON.stringify(policies) };
});

beforeEach(async () => {
  await upstream.reset();
  await emptyTokenCache();
  await emptyInbox();
});

const get = (path: string, key: string | null = KEY, method = "GET") =>
  isolate().proxy(proxyRequest(path, { key, method }), env);

describe("the page's assets", () => {
  it("are served without a key, under a CSP that allows only the page's own script, style and calls", async () => {
    for (const [path, type] of [
      ["/dashboard", "text/html"],
      ["/dashboard/app.js", "text/javascript"],
      ["/dashboard/app.css", "text/css"],
    ] as const) {
      const response = await get(path, null);
      expect(response.status, path).toBe(200);
      expect(response.headers.get("content-type")).toContain(type);
      const csp = response.headers.get("content-security-policy")!;
      for (const directive of [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
      ])
        expect(csp, path).toContain(directive);
      expect(csp).not.toContain("unsafe");
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    }
    const html = await (await get("/dashboard", null)).text();
    // Every script is the module by URL; nothing inline that the CSP would have to allow.
    expect(html.match(/<script[^>]*>/g)).toEqual(['<script type="module" src="/dashboard/app.js">']);
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/);
  });

  it("hold no data and no secret", async () => {
    for (const path of ["/dashboard", "/dashboard/app.js"]) {
      const text = await (await get(path, null)).text();
      for (const secret of [...TEST_PROXY_KEYS, DEV_CLIENT.clientSecret, DEV_API_KEY, FORWARD_TEST_SECRET])
        expect(text).not.toContain(secret);
    }
  });

  it("answer HEAD without a body, and a path beside them is not an asset", async () => {
    const head = await get("/dashboard", null, "HEAD");
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
    expect((await get("/dashboard/other.js", null)).status).toBe(401);
    expect((await get("/dashboard/other.js")).status).toBe(404);
  });
});

describe("GET /dashboard/health", () => {
  it("answers 401 without a key, and 403 to a key that may not read both payments and events", async () => {
    expect((await get("/dashboard/health", null)).status).toBe(401);
    expect((await get("/dashboard/health", "not-a-key")).status).toBe(401);
    const refused = await get("/dashboard/health", PAYMENTS_ONLY);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: "forbidden", key_id: "payments-only" });
    expect((await get("/dashboard/health", REPLAYER)).status).toBe(403);
    expect((await get("/dashboard/health", READER)).status).toBe(200);
  });

  it("gives the token's times from KV, never the token", async () => {
    const before = await (await get("/dashboard/health", READER)).json<any>();
    expect(before.token).toBeNull();
    expect((await isolate().proxy(poll(), env)).status).toBe(201); // the proxy now holds a token in KV
    const { keys } = await env.TOKEN_CACHE.list();
    const token = JSON.parse((await env.TOKEN_CACHE.get(keys[0]!.name))!) as { accessToken: string };
    const text = await (await get("/dashboard/health", READER)).text();
    expect(text).not.toContain(token.accessToken);
    const health = JSON.parse(text);
    expect(health.token.expiresAt - health.token.obtainedAt).toBe(3600_000);
    expect(health.token.renewsAt).toBe(health.token.expiresAt - 120_000);
    // Counted (test/worker/metrics/ shows the counts); this test's isolates hand none on without a ctx.
    expect(health.requests).toMatchObject({ measured: true, lateBySeconds: 10 });
  });

  it("says when the reconciler last ran and what it did, as the ledger recorded it", async () => {
    const at = Date.now();
    const report = await isolate().reconcile(env);
    const { ledger } = await (await get("/dashboard/health", READER)).json<any>();
    expect(ledger.lastReconcile.at).toBeGreaterThanOrEqual(at);
    expect(ledger.lastReconcile.report).toEqual(report);
    expect(Object.keys(ledger.counts).sort()).toEqual(["failed", "pending", "success", "unknown"]);
  });
});

describe("POST /k2/events/<id>/replay", () => {
  /** An event kept with forwarding off, then marked dead as the dead-letter queue's consumer would. */
  async function deadEvent(): Promise<string> {
    const response = await isolate().proxy(await callback(JSON.stringify(webhook())), keepOnlyEnv);
    const { id } = await response.json<{ id: string }>();
    await inboxSql("UPDATE events SET delivery = 'dead', attempts = 6, last_status = 500 WHERE id = ?", id);
    return id;
  }
  const replay = (id: string, key: string = KEY) =>
    isolate().proxy(proxyRequest(`/k2/events/${id}/replay`, { key, method: "POST" }), env);

  it("queues a dead event again, and the backend gets it", async () => {
    const id = await deadEvent();
    const answer = await replay(id);
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ id, delivery: { state: "pending", attempts: 6 } });
    const event = await eventually(
      () => readEvent(isolate().proxy, id),
      (read) => read.delivery.state === "delivered",
    );
    expect(event.delivery).toMatchObject({ attempts: 7, lastStatus: 200 });
  });

  it("answers 409 for an event that is not dead, and when forwarding is off", async () => {
    const id = await deadEvent();
    expect((await replay(id)).status).toBe(200);
    const again = await replay(id);
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ error: "not_dead" });
    await inboxSql("UPDATE events SET delivery = 'dead' WHERE id = ?", id);
    const off = await isolate().proxy(proxyRequest(`/k2/events/${id}/replay`, { method: "POST" }), {
      ...keepOnlyEnv,
      PROXY_KEY_POLICIES: env.PROXY_KEY_POLICIES,
    });
    expect(off.status).toBe(409);
    expect(await off.json()).toMatchObject({ error: "forwarding_off" });
    expect((await inboxSql("SELECT delivery FROM events WHERE id = ?", id))[0]).toEqual({ delivery: "dead" });
  });

  it("needs events:write, and a key restricted to its own may not replay what it may not read", async () => {
    const id = await deadEvent();
    const refused = await replay(id, READER);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ rule: "allow", key_id: "reader" });
    expect((await inboxSql("SELECT delivery FROM events WHERE id = ?", id))[0]).toEqual({ delivery: "dead" });
    // A webhook is about no resource the scoped key created: as for a read, it does not exist for that key.
    expect((await replay(id, REPLAYER)).status).toBe(404);
    expect((await inboxSql("SELECT delivery FROM events WHERE id = ?", id))[0]).toEqual({ delivery: "dead" });
  });

  it("answers 404 for an unknown event and 405 to a GET", async () => {
    expect((await replay("0".repeat(32))).status).toBe(404);
    expect((await replay("not-an-id")).status).toBe(404);
    const id = await deadEvent();
    expect((await get(`/k2/events/${id}/replay`)).status).toBe(405);
  });
});
