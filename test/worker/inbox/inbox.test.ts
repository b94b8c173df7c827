/**
 * The inbox inside workerd with the real `INBOX` Durable Object: K2's signed callbacks and webhooks
 * are stored once, before the answer, and read back with a proxy key. Forwarding is off here
 * (delivery.test.ts covers it).
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { inject } from "vitest";
import { beforeEach, describe, expect, it } from "vitest";
import { DEV_API_KEY, DEV_CLIENT } from "../../../sandbox/credentials.ts";
import { signWebhook } from "../../../src/index.ts";
import type { InboxEvent } from "../../../worker/inbox/events.ts";
import type { K2Inbox } from "../../../worker/inbox/object.ts";
import { isolate, KEY, proxyRequest, stkPush } from "../support/harness.ts";
import {
  callback,
  emptyInbox,
  eventRequest,
  inboxStub,
  keepOnlyEnv,
  result,
  sandboxDeliveryTo,
  storedRows,
  webhook,
} from "../support/inbox-helpers.ts";
import { FORWARD_TEST_SECRET, TEST_PROXY_KEYS } from "../support/keys.ts";
import { upstream } from "../support/sandbox-control.ts";

const env = keepOnlyEnv;

async function list(query = "", key: string | null = KEY): Promise<Response> {
  return isolate().proxy(proxyRequest(`/k2/events${query}`, { key }), env);
}

beforeEach(async () => {
  await emptyInbox();
  await upstream.reset();
});

describe("POST /k2/callbacks", () => {
  it("stores a signed webhook once under 10 sequential duplicates", async () => {
    const { proxy, logs } = isolate();
    const body = JSON.stringify(webhook());
    const answers: { status: string; id: string }[] = [];
    for (let i = 0; i < 10; i++) {
      const response = await proxy(await callback(body), env);
      expect(response.status).toBe(200);
      answers.push(await response.json());
    }
    expect(answers.map((answer) => answer.status)).toEqual(["stored", ...Array(9).fill("duplicate")]);
    expect(new Set(answers.map((answer) => answer.id)).size).toBe(1);
    const rows = await storedRows();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: answers[0]!.id, kind: "webhook", topic: "buygoods_transaction_received" });
    expect(rows[0]!.payload).toBe(body);
    expect(logs.map((line) => line.inbox)).toEqual(["stored", ...Array(9).fill("duplicate")]);
  });

  it("stores a signed webhook once under 10 concurrent duplicates from five isolates", async () => {
    const isolates = Array.from({ length: 5 }, () => isolate().proxy);
    const body = JSON.stringify(webhook());
    const requests = await Promise.all(Array.from({ length: 10 }, () => callback(body)));
    const answers = await Promise.all(requests.map((request, i) => isolates[i % 5]!(request, env)));
    expect(answers.map((answer) => answer.status)).toEqual(Array(10).fill(200));
    const statuses = await Promise.all(answers.map(async (answer) => ((await answer.json()) as any).status));
    expect(statuses.filter((status) => status === "stored")).toHaveLength(1);
    expect(await storedRows()).toHaveLength(1);
  });

  it("a bad, missing, malformed or tampered signature: 401, and nothing is stored", async () => {
    const { proxy } = isolate();
    const body = JSON.stringify(webhook());
    const tampered = body.replace('"100.0"', '"100000.0"');
    const cases = [
      await callback(body, await signWebhook(body, "another-applications-key")),
      await callback(body, null),
      await callback(body, "sha256=not-hex"),
      await callback(tampered, await signWebhook(body, DEV_API_KEY)),
    ];
    for (const request of cases) {
      const response = await proxy(request, env);
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: "invalid_signature" });
    }
    expect(await storedRows()).toEqual([]);
  });

  it("a correctly signed body that is not a K2 event: 400 invalid_event, nothing stored", async () => {
    const { proxy } = isolate();
    for (const body of ["not json", '{"hello":"world"}', '{"topic":"buygoods_transaction_received"}']) {
      const response = await proxy(await callback(body), env);
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: "invalid_event" });
    }
    expect(await storedRows()).toEqual([]);
  });

  it("when the inbox cannot be written: 503, nothing is kept, and K2's next delivery is stored once", async () => {
    const { proxy } = isolate();
    const broken = {
      ...env,
      INBOX: {
        idFromName: (name: string) => env.INBOX!.idFromName(name),
        get: () => ({
          record: () => Promise.reject(new Error("storage is down")),
        }),
      } as unknown as typeof env.INBOX,
    };
    const body = JSON.stringify(webhook());
    const failed = await proxy(await callback(body), broken);
    expect(failed.status).toBe(503);
    expect(await failed.json()).toMatchObject({ error: "inbox_unavailable" });
    expect(await storedRows()).toEqual([]);

    const redelivered = await proxy(await callback(body), env);
    expect(redelivered.status).toBe(200);
    expect(await redelivered.json()).toMatchObject({ status: "stored" });
    expect(await storedRows()).toHaveLength(1);
  });

  it("a body over INBOX_MAX_BODY_BYTES is refused with 413, whether declared or not, and nothing is stored", async () => {
    const { proxy } = isolate();
    const small = { ...env, INBOX_MAX_BODY_BYTES: "1024" };
    const big = JSON.stringify({ ...webhook(), padding: "x".repeat(2048) });
    const declared = await proxy(await callback(big), small);
    expect(declared.status).toBe(413);
    expect(await declared.json()).toMatchObject({ error: "payload_too_large" });

    // A chunked body with no Content-Length is counted as it arrives.
    const signature = await signWebhook(big, DEV_API_KEY);
    const stream = new Blob([big]).stream();
    const chunked = new Request("https://proxy.example/k2/callbacks", {
      method: "POST",
      headers: { "x-kopokopo-signature": signature },
      body: stream,
      duplex: "half",
    } as RequestInit);
    expect((await proxy(chunked, small)).status).toBe(413);

    // The default cap is 256 KiB.
    const huge = JSON.stringify({ ...webhook(), padding: "x".repeat(300 * 1024) });
    expect((await proxy(await callback(huge), env)).status).toBe(413);
    expect(await storedRows()).toEqual([]);
  });

  it("needs no proxy key, answers only POST, and without K2_API_KEY answers 503 naming it", async () => {
    const { proxy } = isolate();
    const get = await proxy(proxyRequest("/k2/callbacks", { key: null }), env);
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");

    const unkeyed = await proxy(await callback(JSON.stringify(webhook())), { ...env, K2_API_KEY: undefined });
    expect(unkeyed.status).toBe(503);
    expect(await unkeyed.json()).toMatchObject({ error: "configuration_error", setting: "K2_API_KEY" });

    const halfForwarding = await proxy(await callback("{}"), { ...env, FORWARD_SECRET: FORWARD_TEST_SECRET });
    expect(halfForwarding.status).toBe(503);
    const text = await halfForwarding.text();
    expect(JSON.parse(text)).toMatchObject({ error: "configuration_error", setting: "FORWARD_URL" });
    expect(text).not.toContain(FORWARD_TEST_SECRET);
    const noSecret = await proxy(await callback("{}"), { ...env, FORWARD_URL: "https://backend.example/k2" });
    expect(await noSecret.json()).toMatchObject({ setting: "FORWARD_SECRET" });
    expect(await storedRows()).toEqual([]);
  });

  it("tells events apart by identity: a result per id, type and status; a Daraja payload by TransID", async () => {
    const { proxy } = isolate();
    const id = crypto.randomUUID();
    const daraja = { TransactionType: "Buygoods", TransID: "OJM6Q1W84K", TransAmount: "100", MSISDN: "254712345678" };
    const bodies = [
      result(id, "Pending"),
      result(id, "Success"),
      result(id, "Success"),
      { ...result(id, "Success"), data: { ...result(id, "Success").data, type: "send_money" } },
      daraja,
      { ...daraja, TransAmount: "100.00" },
      webhook(crypto.randomUUID(), "a_topic_from_the_future"),
    ];
    const statuses: string[] = [];
    for (const body of bodies) {
      const response = await proxy(await callback(JSON.stringify(body)), env);
      statuses.push(((await response.json()) as any).status);
    }
    expect(statuses).toEqual(["stored", "stored", "duplicate", "stored", "stored", "duplicate", "stored"]);
    const rows = await storedRows();
    expect(rows.map((row) => [row.kind, row.topic, row.type])).toEqual([
      ["result", null, "incoming_payment"],
      ["result", null, "incoming_payment"],
      ["result", null, "send_money"],
      ["daraja", null, null],
      ["unknown_webhook", "a_topic_from_the_future", null],
    ]);
  });

  it("stores the sandbox's real signed result, relayed as K2 sent it, once", async () => {
    const { proxy } = isolate();
    const path = `/results/${crypto.randomUUID()}`;
    const created = await proxy(
      proxyRequest("/api/v2/incoming_payments", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ ...stkPush, _links: { callback_url: `${inject("callbackReceiverUrl")}${path}` } }),
      }),
      env,
    );
    expect(created.status).toBe(201);
    const paymentId = new URL(created.headers.get("location")!).pathname.split("/").at(-1);
    const delivery = await sandboxDeliveryTo(path);

    for (const expected of ["stored", "duplicate"]) {
      const relayed = await proxy(await callback(delivery.body, delivery.signature), env);
      expect(relayed.status).toBe(200);
      expect(await relayed.json()).toMatchObject({ status: expected });
    }
    const { events } = (await (await list()).json()) as { events: InboxEvent[] };
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ kind: "result", type: "incoming_payment", topic: null });
    expect(events[0]!.payload).toEqual(JSON.parse(delivery.body));
    expect((events[0]!.payload as any).data).toMatchObject({ id: paymentId, attributes: { status: "Success" } });

    // And a tampered copy of it is refused.
    const tampered = delivery.body.replace('"Success"', '"Failed"');
    expect((await proxy(await callback(tampered, delivery.signature), env)).status).toBe(401);
  });

  it("stores a webhook the sandbox fired (POST /__sandbox/trigger), relayed as it was sent", async () => {
    const { proxy } = isolate();
    const path = `/hooks/${crypto.randomUUID()}`;
    const fired = await fetch(`${inject("k2SandboxUrl")}/__sandbox/trigger`, {
      method: "POST",
      body: JSON.stringify({ topic: "customer_created", url: `${inject("callbackReceiverUrl")}${path}` }),
    });
    expect(fired.status).toBe(200);
    const delivery = await sandboxDeliveryTo(path);
    const relayed = await proxy(await callback(delivery.body, delivery.signature), env);
    expect(await relayed.json()).toMatchObject({ status: "stored" });
    const [row] = await storedRows();
    expect(row).toMatchObject({ kind: "webhook", topic: "customer_created", payload: delivery.body });
  });
});

describe("GET /k2/events", () => {
  async function storeFive(): Promise<string[]> {
    const { proxy } = isolate();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const body = webhook(`event-${i}-${crypto.randomUUID()}`);
      const response = await proxy(await callback(JSON.stringify(body)), env);
      ids.push(((await response.json()) as any).id);
    }
    return ids;
  }

  it("lists events in arrival order, and pages with the cursor", async () => {
    const ids = await storeFive();
    const all = (await (await list()).json()) as { events: InboxEvent[]; next: string | null };
    expect(all.events.map((event) => event.id)).toEqual(ids);
    expect(all.events.map((event) => (event.payload as any).id.split("-")[1])).toEqual(["0", "1", "2", "3", "4"]);
    expect(all.events[0]).toMatchObject({
      kind: "webhook",
      topic: "buygoods_transaction_received",
      type: null,
      delivery: { state: "none", attempts: 0 },
    });
    expect(Date.parse(all.events[0]!.receivedAt)).not.toBeNaN();

    const seen: string[] = [];
    let cursor = "";
    for (let page = 0; page < 10; page++) {
      const answer = (await (await list(`?limit=2${cursor && `&after=${cursor}`}`)).json()) as {
        events: InboxEvent[];
        next: string | null;
      };
      if (answer.next === null) {
        expect(answer.events).toEqual([]);
        break;
      }
      expect(answer.events.length).toBeLessThanOrEqual(2);
      seen.push(...answer.events.map((event) => event.id));
      cursor = answer.next;
    }
    expect(seen).toEqual(ids);
    // An event arriving later is found after the last cursor.
    const [later] = await storeFive();
    const after = (await (await list(`?after=${cursor}`)).json()) as { events: InboxEvent[] };
    expect(after.events[0]!.id).toBe(later);
  });

  it("needs a proxy key: 401 without one or with a wrong one", async () => {
    await storeFive();
    for (const key of [null, "not-a-configured-key-at-all"]) {
      const response = await list("", key);
      expect(response.status).toBe(401);
      expect(await response.text()).not.toContain("event-");
    }
    expect((await list("", TEST_PROXY_KEYS[1])).status).toBe(200);
  });

  it("carries no secret, header or signature in any event", async () => {
    await storeFive();
    const { proxy } = isolate();
    const body = JSON.stringify(result(crypto.randomUUID(), "Success"));
    const signature = await signWebhook(body, DEV_API_KEY);
    await proxy(await callback(body, signature), env);
    const text = await (await list()).text();
    expect(JSON.parse(text).events).toHaveLength(6);
    for (const secret of [DEV_API_KEY, DEV_CLIENT.clientSecret, FORWARD_TEST_SECRET, signature, ...TEST_PROXY_KEYS]) {
      expect(text).not.toContain(secret);
    }
    expect(text.toLowerCase()).not.toContain("x-kopokopo-signature");
    const stored = JSON.stringify(await storedRows());
    for (const secret of [DEV_API_KEY, signature, ...TEST_PROXY_KEYS]) expect(stored).not.toContain(secret);
  });

  it("GET /k2/events/<id> answers one event, and 404 for an unknown one; a bad query is 400", async () => {
    const ids = await storeFive();
    const { proxy } = isolate();
    const one = await proxy(eventRequest(ids[2]!), env);
    expect(one.status).toBe(200);
    const event = (await one.json()) as InboxEvent;
    expect(event.id).toBe(ids[2]);
    expect((event.payload as any).id).toMatch(/^event-2-/);
    expect((await proxy(eventRequest("0".repeat(32)), env)).status).toBe(404);
    expect((await proxy(eventRequest("not-an-event-id"), env)).status).toBe(404);
    expect((await proxy(proxyRequest(`/k2/events/${ids[2]}`, { key: null }), env)).status).toBe(401);
    for (const query of ["?limit=0", "?limit=501", "?limit=ten", "?after=-1"]) {
      expect((await list(query)).status).toBe(400);
    }
    expect((await list("?limit=500")).status).toBe(200);
  });
});

describe("retention", () => {
  it("the alarm deletes events older than INBOX_RETENTION_DAYS and keeps the others", async () => {
    const { proxy } = isolate();
    const old = (await (await proxy(await callback(JSON.stringify(webhook())), env)).json()) as { id: string };
    const recent = (await (await proxy(await callback(JSON.stringify(webhook())), env)).json()) as { id: string };
    const stub = await inboxStub();
    const alarm = await runInDurableObject(stub, (_: K2Inbox, state) => state.storage.getAlarm());
    // Set for when the oldest event expires: 30 days after it arrived, by default.
    expect(alarm).toBeGreaterThan(Date.now() + 29 * 24 * 3600 * 1000);
    await runInDurableObject(stub, (_: K2Inbox, state) => {
      state.storage.sql.exec(
        "UPDATE events SET received_at = ? WHERE id = ?",
        Date.now() - 31 * 24 * 3600 * 1000,
        old.id,
      );
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await storedRows()).map((row) => row.id)).toEqual([recent.id]);
    expect((await proxy(eventRequest(old.id), env)).status).toBe(404);
    // The next alarm is when the remaining event expires.
    const next = await runInDurableObject(stub, (_: K2Inbox, state) => state.storage.getAlarm());
    expect(next).toBeGreaterThan(Date.now() + 29 * 24 * 3600 * 1000);
  });
});
