/**
 * Idempotency keys, inside workerd with the real `IDEMPOTENCY` Durable Object against the K2 sandbox:
 * a keyed POST reaches K2 at most once, whatever the duplicates, retries and faults.
 */
import { evictDurableObject, listDurableObjectIds, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createStkPush, type K2Connection, type StkPushRequest } from "../../../src/api/index.ts";
import { DEV_CLIENT } from "../../../sandbox/credentials.ts";
import { keyScopeName } from "../../../worker/idempotency/client.ts";
import type { IdempotencyKeys } from "../../../worker/idempotency/object.ts";
import { sha256Hex } from "../../../worker/common/sha256.ts";
import { baseEnv, isolate, KEY, proxyRequest, stkPush } from "../support/harness.ts";
import { TEST_PROXY_KEYS } from "../support/keys.ts";
import { upstream } from "../support/sandbox-control.ts";

const PATH = "/api/v2/incoming_payments";
const namespace = baseEnv.IDEMPOTENCY!;

function keyed(idempotencyKey: string, init: { body?: unknown; key?: string; method?: string } = {}): Request {
  return proxyRequest(PATH, {
    method: init.method ?? "POST",
    key: init.key ?? KEY,
    headers: { "content-type": "application/json", "idempotency-key": idempotencyKey },
    body: JSON.stringify(init.body ?? stkPush),
  });
}

const freshKey = () => `order-${crypto.randomUUID()}`;
const sent = async () => (await upstream.requestsTo(PATH)).length;

async function objectFor(idempotencyKey: string, proxyKey: string = KEY) {
  return namespace.get(namespace.idFromName(await keyScopeName(await sha256Hex(proxyKey), idempotencyKey)));
}

/** Everything the key's object has stored, as text (an ArrayBuffer body decoded). */
async function storedText(idempotencyKey: string): Promise<string> {
  return runInDurableObject(await objectFor(idempotencyKey), async (_: IdempotencyKeys, state) => {
    const entries = [...(await state.storage.list()).entries()];
    return JSON.stringify(entries, (_key, value) =>
      value instanceof ArrayBuffer ? new TextDecoder().decode(value) : value,
    );
  });
}

beforeEach(() => upstream.reset());
afterEach(() => upstream.reset());

describe("duplicates of a keyed POST", () => {
  it("50 concurrent identical POSTs from five isolates: K2 receives one, all 50 get its 201 and Location", async () => {
    const isolates = Array.from({ length: 5 }, () => isolate().proxy);
    const key = freshKey();
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => isolates[i % isolates.length]!(keyed(key), baseEnv)),
    );
    expect(await sent()).toBe(1);
    const locations = new Set(answers.map((answer) => answer.headers.get("location")));
    expect(answers.map((answer) => answer.status)).toEqual(Array(50).fill(201));
    expect(locations.size).toBe(1);
    expect([...locations][0]).toMatch(/^https:\/\/proxy\.example\/api\/v2\/incoming_payments\/[\w-]+$/);
    const replayed = answers.filter((answer) => answer.headers.get("idempotent-replayed") === "true");
    expect(replayed).toHaveLength(49);
  });

  it("10 sequential retries: K2 receives one, and the nine later answers say Idempotent-Replayed", async () => {
    const { proxy, logs } = isolate();
    const key = freshKey();
    const answers: Response[] = [];
    for (let i = 0; i < 10; i++) answers.push(await proxy(keyed(key), baseEnv));
    expect(await sent()).toBe(1);
    expect(answers.map((answer) => answer.status)).toEqual(Array(10).fill(201));
    expect(new Set(answers.map((answer) => answer.headers.get("location"))).size).toBe(1);
    expect(answers[0]!.headers.get("idempotent-replayed")).toBeNull();
    for (const answer of answers.slice(1)) expect(answer.headers.get("idempotent-replayed")).toBe("true");
    expect(logs.map((line) => line.idempotency)).toEqual(["send", ...Array(9).fill("replay")]);
  });

  it("the same key with a different body: 422 idempotency_key_reused, and nothing more is sent", async () => {
    const { proxy } = isolate();
    const key = freshKey();
    expect((await proxy(keyed(key), baseEnv)).status).toBe(201);
    const other = { ...stkPush, amount: { currency: "KES", value: "999" } };
    const reused = await proxy(keyed(key, { body: other }), baseEnv);
    expect(reused.status).toBe(422);
    expect(await reused.json()).toMatchObject({ error: "idempotency_key_reused" });
    expect(await sent()).toBe(1);
  });

  it("the same key on another method of the same path is another request: 422", async () => {
    const { proxy } = isolate();
    const key = freshKey();
    expect((await proxy(keyed(key), baseEnv)).status).toBe(201);
    const patched = await proxy(keyed(key, { method: "PATCH" }), baseEnv);
    expect(patched.status).toBe(422);
    expect(await sent()).toBe(1);
  });

  it("two proxy keys using the same Idempotency-Key do not collide: each caller's request is sent", async () => {
    const { proxy } = isolate();
    const key = freshKey();
    const [first, second] = await Promise.all(
      TEST_PROXY_KEYS.map((proxyKey) => proxy(keyed(key, { key: proxyKey }), baseEnv)),
    );
    expect([first!.status, second!.status]).toEqual([201, 201]);
    expect(first!.headers.get("location")).not.toBe(second!.headers.get("location"));
    expect(await sent()).toBe(2);
  });
});

describe("the typed calls' idempotencyKey through the proxy", () => {
  it("a create retried with the same idempotencyKey is sent once and answers the same location", async () => {
    const { proxy } = isolate();
    const viaProxy: K2Connection = {
      baseUrl: "https://proxy.example",
      fetch: (url, init) => proxy(proxyRequest(new URL(url).pathname, init), baseEnv),
    };
    const idempotencyKey = freshKey();
    const first = await createStkPush(viaProxy, stkPush as StkPushRequest, { idempotencyKey });
    const retried = await createStkPush(viaProxy, stkPush as StkPushRequest, { idempotencyKey });
    expect(retried).toBe(first);
    expect(await sent()).toBe(1);
  });
});

describe("a first attempt whose outcome is unknown", () => {
  it("dropped after K2 read it: 502 upstream_outcome_unknown, then 409 outcome_unknown for every duplicate", async () => {
    await upstream.inject(PATH, "drop");
    const { proxy } = isolate();
    const key = freshKey();
    const first = await proxy(keyed(key), baseEnv);
    expect(first.status).toBe(502);
    expect(await first.json()).toMatchObject({ error: "upstream_outcome_unknown" });
    const duplicates = await Promise.all(Array.from({ length: 5 }, () => isolate().proxy(keyed(key), baseEnv)));
    for (const duplicate of duplicates) {
      expect(duplicate.status).toBe(409);
      const body = (await duplicate.json()) as { error: string; message: string };
      expect(body.error).toBe("outcome_unknown");
      expect(body.message).toMatch(/callback/);
      expect(body.message).toMatch(/status/);
    }
    expect(await sent()).toBe(1);
  });

  it("a 503 from K2 may come after K2 acted: the key is held in doubt, not sent again", async () => {
    await upstream.inject(PATH, { status: 503, body: "busy" });
    const { proxy } = isolate();
    const key = freshKey();
    expect((await proxy(keyed(key), baseEnv)).status).toBe(503);
    expect((await proxy(keyed(key), baseEnv)).status).toBe(409);
    expect(await sent()).toBe(1);
  });

  it("duplicates waiting on a hanging first attempt still wait after the object is evicted", async () => {
    await upstream.inject(PATH, "hang");
    const env = { ...baseEnv, UPSTREAM_TIMEOUT_MS: "1000" };
    const key = freshKey();
    const first = isolate().proxy(keyed(key), env);
    while ((await sent()) === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    // In memory, the object forgets the request in flight; its marker in storage must hold.
    await evictDurableObject(await objectFor(key));
    const duplicate = isolate().proxy(keyed(key), env);
    expect((await first).status).toBe(504);
    expect((await duplicate).status).toBe(409);
    expect(await sent()).toBe(1);
  });
});

describe("a first attempt K2 refused before acting", () => {
  it("429: the key is released, and the retry is sent and answered", async () => {
    await upstream.inject(PATH, { status: 429, headers: { "retry-after": "1" }, body: "slow down" });
    const { proxy } = isolate();
    const key = freshKey();
    expect((await proxy(keyed(key), baseEnv)).status).toBe(429);
    const retry = await proxy(keyed(key), baseEnv);
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBeNull();
    expect(await sent()).toBe(2);
  });
});

describe("what is kept, and for how long", () => {
  it("a stored answer expires with the object's alarm, set at the TTL; then the key is free again", async () => {
    const env = { ...baseEnv, IDEMPOTENCY_TTL_SECONDS: "120" };
    const { proxy } = isolate();
    const key = freshKey();
    const before = Date.now();
    expect((await proxy(keyed(key), env)).status).toBe(201);
    const object = await objectFor(key);
    const alarm = await runInDurableObject(object, (_: IdempotencyKeys, state) => state.storage.getAlarm());
    expect(alarm).toBeGreaterThanOrEqual(before + 120_000);
    expect(alarm).toBeLessThanOrEqual(Date.now() + 120_000);
    expect(await runDurableObjectAlarm(object)).toBe(true);
    expect(
      await runInDurableObject(object, async (_: IdempotencyKeys, state) => (await state.storage.list()).size),
    ).toBe(0);
    expect((await proxy(keyed(key), env)).headers.get("idempotent-replayed")).toBeNull();
    expect(await sent()).toBe(2);
  });

  it("the stored answer holds no proxy key, token, client secret or Authorization header", async () => {
    const { proxy } = isolate();
    const key = freshKey();
    const created = await proxy(keyed(key), baseEnv);
    expect(created.status).toBe(201);
    const [request] = await upstream.requestsTo(PATH);
    const token = request!.headers.authorization!.replace(/^Bearer /, "");
    const stored = await storedText(key);
    expect(stored).toContain(created.headers.get("location")!);
    for (const secret of [...TEST_PROXY_KEYS, token, DEV_CLIENT.clientSecret]) expect(stored).not.toContain(secret);
    expect(stored.toLowerCase()).not.toContain("authorization");
    expect(stored.toLowerCase()).not.toContain("bearer");
  });
});

describe("the key itself", () => {
  for (const [label, value] of [
    ["empty", ""],
    ["with a space", "order 1"],
    ["of 256 characters", "k".repeat(256)],
    ["with a non-ASCII character", "commande-\u00e9"],
  ] as const) {
    it(`${label}: 400 invalid_idempotency_key, and nothing is sent`, async () => {
      const answer = await isolate().proxy(keyed(value), baseEnv);
      expect(answer.status).toBe(400);
      expect(await answer.json()).toMatchObject({ error: "invalid_idempotency_key" });
      expect(await sent()).toBe(0);
    });
  }

  it("of 255 visible characters is accepted", async () => {
    expect((await isolate().proxy(keyed("~".repeat(200) + freshKey().slice(0, 55)), baseEnv)).status).toBe(201);
  });

  it("never reaches K2", async () => {
    expect((await isolate().proxy(keyed(freshKey()), baseEnv)).status).toBe(201);
    const [request] = await upstream.requestsTo(PATH);
    expect(request!.headers["idempotency-key"]).toBeUndefined();
  });

  it("on a GET is ignored: the read is forwarded, even with a malformed key, and no object is made", async () => {
    const objects = (await listDurableObjectIds(namespace)).length;
    const read = await isolate().proxy(
      proxyRequest("/api/v2/incoming_payments/00000000-0000-0000-0000-000000000000", {
        headers: { "idempotency-key": "not a key" },
      }),
      baseEnv,
    );
    expect(read.status).not.toBe(400);
    expect(await upstream.requestsTo("/api/v2/incoming_payments/00000000-0000-0000-0000-000000000000")).toHaveLength(1);
    expect((await listDurableObjectIds(namespace)).length).toBe(objects);
  });

  it("without the IDEMPOTENCY binding promises nothing: the proxy forwards each request as before", async () => {
    const env = { ...baseEnv, IDEMPOTENCY: undefined };
    const { proxy } = isolate();
    const key = freshKey();
    expect((await proxy(keyed(key), env)).status).toBe(201);
    expect((await proxy(keyed(key), env)).status).toBe(201);
    expect(await sent()).toBe(2);
    const [request] = await upstream.requestsTo(PATH);
    expect(request!.headers["idempotency-key"]).toBeUndefined();
  });

  it("a malformed IDEMPOTENCY_TTL_SECONDS is a configuration error that names the setting; nothing is sent", async () => {
    const answer = await isolate().proxy(keyed(freshKey()), { ...baseEnv, IDEMPOTENCY_TTL_SECONDS: "a day" });
    expect(answer.status).toBe(500);
    expect(await answer.json()).toMatchObject({ error: "configuration_error", setting: "IDEMPOTENCY_TTL_SECONDS" });
    expect(await sent()).toBe(0);
  });
});
