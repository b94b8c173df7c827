/**
 * The rate limits of scoped keys, inside workerd with the real `RATE_LIMITS` Durable Object against
 * the K2 sandbox: a request outside a limit is refused with nothing sent to K2, one inside it is
 * sent, and the limits hold across isolates. Windows are tested by giving the object the clock,
 * never by waiting.
 */
import { listDurableObjectIds, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { sha256Hex } from "../../../worker/common/sha256.ts";
import { objectName, phoneDigest } from "../../../worker/rate-limits/client.ts";
import { HOUR_MS, MINUTE_MS, type RateLimits } from "../../../worker/rate-limits/object.ts";
import { baseEnv, isolate, pollingBody, proxyRequest, stkPush } from "../support/harness.ts";
import { upstream } from "../support/sandbox-control.ts";

const POLLING = "/api/v2/polling";
const STK = "/api/v2/incoming_payments";
const namespace = baseEnv.RATE_LIMITS!;

interface ScopedKey {
  id: string;
  key: string;
  digest: string;
}

/** A fresh scoped key (its own id, so its own object) and an env whose PROXY_KEY_POLICIES holds its policy. */
async function scopedKey(limits: Record<string, unknown>, env: Record<string, unknown> = {}) {
  const id = `rl-${crypto.randomUUID().slice(0, 8)}`;
  const key = `scoped-${crypto.randomUUID()}`;
  const digest = await sha256Hex(key);
  const policy = { id, sha256: digest, allow: ["polling:write", "incoming_payments:write"], ...limits };
  const scoped: ScopedKey = { id, key, digest };
  return { scoped, env: { ...baseEnv, PROXY_KEY_POLICIES: JSON.stringify([policy]), ...env } as typeof baseEnv };
}

const poll = (key: string) =>
  proxyRequest(POLLING, {
    method: "POST",
    key,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(pollingBody),
  });

const prompt = (key: string, phone: unknown) =>
  proxyRequest(STK, {
    method: "POST",
    key,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ...stkPush, subscriber: { ...stkPush.subscriber, phone_number: phone } }),
  });

const sentTo = async (path: string) => (await upstream.requestsTo(path)).length;
const stubOf = (id: string) => namespace.get(namespace.idFromName(objectName(id)));

/** Every row and value the key's object holds, as text. */
const storedText = (id: string) =>
  runInDurableObject(stubOf(id), async (_: RateLimits, state) =>
    JSON.stringify([
      state.storage.sql.exec("SELECT * FROM hits").toArray(),
      [...(await state.storage.list()).entries()],
    ]),
  );

const rowCount = (id: string) =>
  runInDurableObject(
    stubOf(id),
    (_: RateLimits, state) => state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM hits").one().n,
  );

beforeEach(() => upstream.reset());
afterEach(() => upstream.reset());

describe("rate_per_minute", () => {
  it("holds across isolates: 12 concurrent requests from four isolates with a limit of 5, 5 reach K2", async () => {
    const { scoped, env } = await scopedKey({ rate_per_minute: 5 });
    const isolates = Array.from({ length: 4 }, () => isolate().proxy);
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) => isolates[i % isolates.length]!(poll(scoped.key), env)),
    );
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 429)).toHaveLength(7);
    expect(statuses.filter((status) => status !== 429).every((status) => status < 300)).toBe(true);
    expect(await sentTo(POLLING)).toBe(5);

    const refused = answers.find((answer) => answer.status === 429)!;
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    const body = (await refused.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ error: "rate_limited", rule: "rate_per_minute", key_id: scoped.id });
    expect(body.message).toBe(body.error_description);
    expect(String(body.message)).toContain("nothing was sent to K2");
    expect(JSON.stringify(body)).not.toContain(scoped.key);
  });

  it("a request inside the limit is sent, and the next one outside it is not", async () => {
    const { scoped, env } = await scopedKey({ rate_per_minute: 1 });
    const { proxy, logs } = isolate();
    expect((await proxy(poll(scoped.key), env)).status).toBeLessThan(300);
    expect(await sentTo(POLLING)).toBe(1);
    expect((await proxy(poll(scoped.key), env)).status).toBe(429);
    expect(await sentTo(POLLING)).toBe(1);
    expect(logs.map((line) => line.error)).toEqual([undefined, "rate_limited"]);
  });

  it("slides: a window holds at most the limit, and frees as its oldest request leaves it", async () => {
    const { scoped } = await scopedKey({});
    const stub = stubOf(scoped.id);
    const t = 1_800_000_000_000;
    const limits = { perMinute: 2 };
    expect(await stub.admit(limits, t)).toEqual({ admitted: true });
    expect(await stub.admit(limits, t + 10_000)).toEqual({ admitted: true });
    // Full until the first leaves, at t + 60 s: 40 s from t + 20 s.
    expect(await stub.admit(limits, t + 20_000)).toEqual({
      admitted: false,
      rule: "rate_per_minute",
      retryAfterMs: 40_000,
    });
    expect(await stub.admit(limits, t + MINUTE_MS - 1)).toMatchObject({ admitted: false, retryAfterMs: 1 });
    expect(await stub.admit(limits, t + MINUTE_MS)).toEqual({ admitted: true });
    // A fixed window would admit two more here (a new minute); the sliding one holds t + 10 s still.
    expect(await stub.admit(limits, t + MINUTE_MS + 5_000)).toMatchObject({ admitted: false, retryAfterMs: 5_000 });
    // Refusals are not counted: they do not push the window further out.
    expect(await rowCount(scoped.id)).toBe(2);
  });

  it("keys without rate limits cost no Durable Object: none is made for them", async () => {
    const { scoped, env } = await scopedKey({});
    const { proxy } = isolate();
    for (let i = 0; i < 3; i++) expect((await proxy(poll(scoped.key), env)).status).toBeLessThan(300);
    const made = (await listDurableObjectIds(namespace)).map((id) => id.toString());
    expect(made).not.toContain(namespace.idFromName(objectName(scoped.id)).toString());
  });
});

describe("phone_rate_per_hour", () => {
  const spellings = ["+254712345678", "0712345678", "712345678", "254712345678", "+254 712 345 678"];

  it("every spelling of one phone counts as that phone: 2 of 5 prompts are sent, from five isolates at once", async () => {
    const { scoped, env } = await scopedKey({ phone_rate_per_hour: 2 });
    const answers = await Promise.all(spellings.map((phone) => isolate().proxy(prompt(scoped.key, phone), env)));
    expect(answers.map((answer) => answer.status).sort()).toEqual([201, 201, 429, 429, 429]);
    expect(await sentTo(STK)).toBe(2);
    const refused = answers.find((answer) => answer.status === 429)!;
    expect(await refused.json()).toMatchObject({
      error: "rate_limited",
      rule: "phone_rate_per_hour",
      key_id: scoped.id,
    });
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(60);
    expect(Number(refused.headers.get("retry-after"))).toBeLessThanOrEqual(3600);
  });

  it("counts per phone: another phone is still prompted, and other requests are not prompts", async () => {
    const { scoped, env } = await scopedKey({ phone_rate_per_hour: 1 });
    const { proxy } = isolate();
    expect((await proxy(prompt(scoped.key, "0712345678"), env)).status).toBe(201);
    expect((await proxy(prompt(scoped.key, "+254712345678"), env)).status).toBe(429);
    expect((await proxy(prompt(scoped.key, "0722000111"), env)).status).toBe(201);
    expect(await sentTo(STK)).toBe(2);
    // A polling request prompts no phone: not limited per phone, and not counted.
    expect((await proxy(poll(scoped.key), env)).status).toBeLessThan(300);
    expect(await rowCount(scoped.id)).toBe(2);
  });

  it("an STK push whose phone cannot be read is refused (403), as it could not be counted", async () => {
    const { scoped, env } = await scopedKey({ phone_rate_per_hour: 5 });
    const answer = await isolate().proxy(prompt(scoped.key, null), env);
    expect(answer.status).toBe(403);
    expect(await answer.json()).toMatchObject({ error: "forbidden", rule: "phone_rate_per_hour" });
    expect(await sentTo(STK)).toBe(0);
  });

  it("both limits in one round trip: a prompt refused per phone is not counted against the minute", async () => {
    const { scoped, env } = await scopedKey({ rate_per_minute: 3, phone_rate_per_hour: 1 });
    const { proxy } = isolate();
    expect((await proxy(prompt(scoped.key, "0712345678"), env)).status).toBe(201);
    expect((await proxy(prompt(scoped.key, "0712345678"), env)).status).toBe(429);
    expect((await proxy(poll(scoped.key), env)).status).toBeLessThan(300);
    expect((await proxy(poll(scoped.key), env)).status).toBeLessThan(300);
    const over = await proxy(poll(scoped.key), env);
    expect(over.status).toBe(429);
    expect(await over.json()).toMatchObject({ rule: "rate_per_minute" });
    expect(await sentTo(STK)).toBe(1);
    expect(await sentTo(POLLING)).toBe(2);
  });

  it("stores no phone number, key or key digest, nor an unkeyed digest of the phone", async () => {
    const { scoped, env } = await scopedKey({ rate_per_minute: 10, phone_rate_per_hour: 10 });
    for (const phone of spellings.slice(0, 3))
      expect((await isolate().proxy(prompt(scoped.key, phone), env)).status).toBe(201);
    const stored = await storedText(scoped.id);
    expect(stored).toContain(await phoneDigest(scoped.digest, "0712345678"));
    for (const secret of [
      "712345678",
      scoped.key,
      scoped.digest,
      await sha256Hex("254712345678"),
      await sha256Hex("+254712345678"),
    ])
      expect(stored).not.toContain(secret);
  });
});

describe("the windows' storage", () => {
  it("the alarm deletes rows past their window and keeps the rest", async () => {
    const { scoped } = await scopedKey({});
    const stub = stubOf(scoped.id);
    const digest = await phoneDigest(scoped.digest, "0712345678");
    const old = Date.now() - 2 * HOUR_MS;
    await stub.admit({ perMinute: 5, phone: { digest, perHour: 5 } }, old);
    await stub.admit({ perMinute: 5 }, Date.now());
    expect(await rowCount(scoped.id)).toBeGreaterThanOrEqual(1);
    await runDurableObjectAlarm(stub);
    expect(await rowCount(scoped.id)).toBe(1);
  });
});

describe("when the limits cannot be checked, a limited key fails closed", () => {
  it("the object unreachable: 503 rate_limit_unavailable, nothing sent to K2", async () => {
    const broken = {
      idFromName: (name: string) => namespace.idFromName(name),
      get: () => ({
        admit: () => Promise.reject(new Error("Durable Object reset")),
      }),
    };
    const { scoped, env } = await scopedKey({ rate_per_minute: 100 }, { RATE_LIMITS: broken });
    const answer = await isolate().proxy(poll(scoped.key), env);
    expect(answer.status).toBe(503);
    expect(await answer.json()).toMatchObject({ error: "rate_limit_unavailable", key_id: scoped.id });
    expect(await sentTo(POLLING)).toBe(0);
  });

  it("RATE_LIMITS unbound: 503 configuration_error for a limited key, while a key without limits still works", async () => {
    const limited = await scopedKey({ rate_per_minute: 100 }, { RATE_LIMITS: undefined });
    const answer = await isolate().proxy(poll(limited.scoped.key), limited.env);
    expect(answer.status).toBe(503);
    expect(await answer.json()).toMatchObject({ error: "configuration_error", setting: "RATE_LIMITS" });
    expect(await sentTo(POLLING)).toBe(0);

    const free = await scopedKey({}, { RATE_LIMITS: undefined });
    expect((await isolate().proxy(poll(free.scoped.key), free.env)).status).toBeLessThan(300);
  });
});
