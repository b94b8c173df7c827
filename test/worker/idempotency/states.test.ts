/**
 * The idempotency key's states (worker/idempotency/object.ts), with faults injected inside workerd:
 * "sent" is said only after the key's object recorded the send, a claim that never sent is
 * released (whatever lost its report), a live request keeps its hold however long its token takes,
 * and a caller's key id, not its key, scopes its idempotency keys across a rotation.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { keyScopeName } from "../../../worker/idempotency/client.ts";
import type { Held, IdempotencyKeys } from "../../../worker/idempotency/object.ts";
import { sha256Hex } from "../../../worker/common/sha256.ts";
import { baseEnv, emptyTokenCache, isolate, KEY, proxyRequest, stkPush } from "../support/harness.ts";
import { TEST_PROXY_KEYS } from "../support/keys.ts";
import { upstream } from "../support/sandbox-control.ts";

const PATH = "/api/v2/incoming_payments";
const namespace = baseEnv.IDEMPOTENCY!;
const body = JSON.stringify(stkPush);

function keyed(idempotencyKey: string, proxyKey: string = KEY): Request {
  return proxyRequest(PATH, {
    method: "POST",
    key: proxyKey,
    headers: { "content-type": "application/json", "idempotency-key": idempotencyKey },
    body,
  });
}

const freshKey = () => `order-${crypto.randomUUID()}`;
const sent = async () => (await upstream.requestsTo(PATH)).length;
/** The fingerprint the proxy gives `keyed()`'s request: what a real first request would have claimed. */
const fingerprint = () => sha256Hex(`POST\n${PATH}\n${body}`);

async function objectFor(idempotencyKey: string) {
  return namespace.get(namespace.idFromName(await keyScopeName(await sha256Hex(KEY), idempotencyKey)));
}

const stateOf = async (object: DurableObjectStub<IdempotencyKeys>) =>
  runInDurableObject(object, async (_: IdempotencyKeys, state) => (await state.storage.get<Held>("held"))?.state);

/** Waits until the key's state is `expected`: its alarm, set at a 1 ms lease's end, runs by itself. */
async function until(object: DurableObjectStub<IdempotencyKeys>, expected: Held["state"] | undefined) {
  while ((await stateOf(object)) !== expected) await new Promise((resolve) => setTimeout(resolve, 10));
}

beforeEach(async () => {
  await upstream.reset();
  await emptyTokenCache();
});
afterEach(() => upstream.reset());

describe("nothing is called sent before it is", () => {
  it("a token path longer than any hold: a duplicate hears 'in progress, not sent yet', and K2 gets one payment", async () => {
    // K2's token endpoint answers 503 with Retry-After twice: the first request waits seconds for a token.
    const busy = { status: 503, headers: { "retry-after": "1" }, body: "busy" };
    await upstream.inject("/oauth/token", busy, busy);
    const env = { ...baseEnv, UPSTREAM_TIMEOUT_MS: "300" };
    const key = freshKey();
    const object = await objectFor(key);

    const first = isolate().proxy(keyed(key), env);
    while ((await stateOf(object)) !== "claimed") await new Promise((resolve) => setTimeout(resolve, 10));
    // The key's alarm comes due while the token is still awaited: the claim stays, nothing turns into doubt.
    await runDurableObjectAlarm(object);
    expect(await stateOf(object)).toBe("claimed");

    const duplicate = await isolate().proxy(keyed(key), env);
    expect(duplicate.status).toBe(409);
    expect(await duplicate.json()).toMatchObject({ error: "in_progress", state: "claimed" });
    expect(await sent()).toBe(0);

    expect((await first).status).toBe(201);
    expect(await sent()).toBe(1);
    const retry = await isolate().proxy(keyed(key), env);
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(await sent()).toBe(1);
  });

  it("a send whose request died turns into doubt at its lease's end: 409 outcome_unknown, nothing sent again", async () => {
    const key = freshKey();
    const object = await objectFor(key);
    const verdict = await object.begin(await fingerprint(), 1, 60_000, 0);
    expect(verdict).toMatchObject({ kind: "send" });
    expect(await object.sending((verdict as { holder: string }).holder, 1)).toBe(true);
    await until(object, "unknown");

    const duplicate = await isolate().proxy(keyed(key), baseEnv);
    expect(duplicate.status).toBe(409);
    expect(await duplicate.json()).toMatchObject({ error: "outcome_unknown" });
    expect(await sent()).toBe(0);
  });
});

describe("a claim that never sent is released, whatever lost its report", () => {
  it("a claim whose request died (its answer or its 'not sent' report lost): the retry is sent normally", async () => {
    const key = freshKey();
    const object = await objectFor(key);
    // What the object holds when begin's answer, or the report after a failed token request, never arrived.
    expect(await object.begin(await fingerprint(), 1, 60_000, 0)).toMatchObject({ kind: "send" });
    await until(object, undefined);

    const retry = await isolate().proxy(keyed(key), baseEnv);
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBeNull();
    expect(await sent()).toBe(1);
  });

  it("a holder whose claim was released may not send: its move to sending is refused", async () => {
    const key = freshKey();
    const object = await objectFor(key);
    const verdict = (await object.begin(await fingerprint(), 1, 60_000, 0)) as { kind: "send"; holder: string };
    await until(object, undefined);
    expect(await object.sending(verdict.holder, 60_000)).toBe(false);
    // Another request took the key meanwhile: the first holder still may not send.
    expect(await object.begin(await fingerprint(), 60_000, 60_000, 0)).toMatchObject({ kind: "send" });
    expect(await object.sending(verdict.holder, 60_000)).toBe(false);
  });

  it("a token request that fails releases the key at once: the retry is sent", async () => {
    await upstream.inject("/oauth/token", { status: 401, body: '{"error":"invalid_client"}' });
    const { proxy } = isolate();
    const key = freshKey();
    const first = await proxy(keyed(key), baseEnv);
    expect(first.status).toBe(502);
    expect(await first.json()).toMatchObject({ error: "upstream_token_error" });
    expect(await stateOf(await objectFor(key))).toBeUndefined();
    expect((await proxy(keyed(key), baseEnv)).status).toBe(201);
    expect(await sent()).toBe(1);
  });
});

describe("callers named by key id", () => {
  const [current, previous] = TEST_PROXY_KEYS;
  const rotating = { ...baseEnv, PROXY_KEYS: `shop:${previous},shop:${current}` };

  it("a retry under the new key of a rotation is the same caller: K2 receives the payment once", async () => {
    const { proxy, logs, rawLogs } = isolate();
    const key = freshKey();
    const first = await proxy(keyed(key, previous), rotating);
    expect(first.status).toBe(201);
    const retried = await proxy(keyed(key, current), rotating);
    expect(retried.status).toBe(201);
    expect(retried.headers.get("idempotent-replayed")).toBe("true");
    expect(retried.headers.get("location")).toBe(first.headers.get("location"));
    expect(await sent()).toBe(1);
    expect(logs.map((line) => line.caller)).toEqual(["shop", "shop"]);
    for (const line of rawLogs) for (const proxyKey of TEST_PROXY_KEYS) expect(line).not.toContain(proxyKey);
  });

  it("two ids are two callers, whatever key each holds", async () => {
    const env = { ...baseEnv, PROXY_KEYS: `shop:${previous},till:${current}` };
    const { proxy } = isolate();
    const key = freshKey();
    expect((await proxy(keyed(key, previous), env)).status).toBe(201);
    const other = await proxy(keyed(key, current), env);
    expect(other.status).toBe(201);
    expect(other.headers.get("idempotent-replayed")).toBeNull();
    expect(await sent()).toBe(2);
  });

  it("an id with a key too short is refused at start, naming the setting and not the key", async () => {
    const answer = await isolate().proxy(keyed(freshKey()), { ...baseEnv, PROXY_KEYS: "shop:short" });
    expect(answer.status).toBe(500);
    const text = await answer.text();
    expect(JSON.parse(text)).toMatchObject({ error: "configuration_error", setting: "PROXY_KEYS" });
    expect(text).not.toContain("short");
  });
});
