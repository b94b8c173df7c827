/**
 * The token broker (worker/token-broker.ts), a real Durable Object in workerd: one token request
 * for any number of cold isolates, one renewal for any number of refusal reports, the broker as
 * KV's only writer, and the fallback to today's path when the broker fails or hangs.
 */
import { abortAllDurableObjects, runInDurableObject } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { k2CacheKey, type TokenSet } from "../../../src/index.ts";
import type { Env } from "../../../worker/index.ts";
import type { TokenBroker } from "../../../worker/token-broker/object.ts";
import { baseEnv, countedKv, emptyTokenCache, isolate, poll, TOKEN_BROKER } from "../support/harness.ts";
import { upstream } from "../support/sandbox-control.ts";

const brokerEnv: Env & typeof baseEnv = { ...baseEnv, TOKEN_BROKER };

beforeEach(async () => {
  // Each test starts with a cold broker (no instance in memory, nothing stored) and an empty KV.
  await runInDurableObject(await brokerStub(), (_, state) => state.storage.deleteAll());
  await abortAllDurableObjects();
  await emptyTokenCache();
  await upstream.reset();
});

/** The broker's token, or its failure thrown. */
async function brokerToken(request: { key: string; refused?: string }): Promise<TokenSet> {
  const answer = await (await brokerStub()).token(request);
  if (!answer.token) throw new Error(answer.failure);
  return answer.token;
}

const tokenKey = () => k2CacheKey(baseEnv.K2_BASE_URL, baseEnv.K2_CLIENT_ID);

async function brokerStub(): Promise<DurableObjectStub<TokenBroker>> {
  return TOKEN_BROKER.get(TOKEN_BROKER.idFromName(await tokenKey())) as DurableObjectStub<TokenBroker>;
}

async function bearersSent(): Promise<string[]> {
  return (await upstream.requestsTo("/api/v2/polling")).map((request) => request.headers.authorization ?? "");
}

/** A TOKEN_BROKER binding whose broker fails with `token`: a broker down, or one that never answers. */
function failingBroker(token: () => Promise<never>): DurableObjectNamespace<TokenBroker> {
  return {
    idFromName: (name: string) => TOKEN_BROKER.idFromName(name),
    get: () => ({ token }),
  } as unknown as DurableObjectNamespace<TokenBroker>;
}

describe("the token broker", () => {
  it("gives 20 cold isolates one token request, and is the only writer of KV", async () => {
    const { kv, calls } = countedKv();
    const env = { ...brokerEnv, TOKEN_CACHE: kv };
    const isolates = Array.from({ length: 20 }, () => isolate());

    const responses = await Promise.all(isolates.map(({ proxy }) => proxy(poll(), env)));

    expect(responses.map((response) => response.status)).toEqual(Array(20).fill(201));
    expect(await upstream.requestsTo("/oauth/token")).toHaveLength(1);
    expect(calls.put).toHaveLength(0);
    expect(calls.delete).toHaveLength(0);
    const stored = await baseEnv.TOKEN_CACHE.get<TokenSet>(await tokenKey(), "json");
    expect(new Set(await bearersSent())).toEqual(new Set([`Bearer ${stored!.accessToken}`]));
  });

  it("serves a warm isolate from memory, a cold one from KV, without asking the broker again", async () => {
    const first = isolate();
    expect((await first.proxy(poll(), brokerEnv)).status).toBe(201);
    expect((await first.proxy(poll(), brokerEnv)).status).toBe(201);
    const second = isolate();
    expect((await second.proxy(poll(), brokerEnv)).status).toBe(201);

    expect(first.logs.map((line) => line.tokenSource)).toEqual(["fetched", "memory"]);
    expect(second.logs[0]!.tokenSource).toBe("kv");
    expect(await upstream.requestsTo("/oauth/token")).toHaveLength(1);
  });

  it("renews once for 50 concurrent reports of the same refused token", async () => {
    const key = await tokenKey();
    const refused = await brokerToken({ key });

    const answers = await Promise.all(
      Array.from({ length: 50 }, () => brokerToken({ key, refused: refused.accessToken })),
    );

    const renewed = new Set(answers.map((token) => token.accessToken));
    expect(renewed.size).toBe(1);
    expect(renewed.has(refused.accessToken)).toBe(false);
    expect(await upstream.requestsTo("/oauth/token")).toHaveLength(2);
    // A late report of the old token finds it already replaced: no further renewal.
    expect((await brokerToken({ key, refused: refused.accessToken })).accessToken).toBe([...renewed][0]);
    expect(await upstream.requestsTo("/oauth/token")).toHaveLength(2);
  });

  it("after K2 refuses the token, 50 warm isolates replay on one new token and no caller sees a 401", async () => {
    const { kv, calls } = countedKv();
    const env = { ...brokerEnv, TOKEN_CACHE: kv };
    const isolates = Array.from({ length: 50 }, () => isolate());
    await Promise.all(isolates.map(({ proxy }) => proxy(poll(), env)));
    await upstream.revokeTokens();
    await upstream.reset();

    const responses = await Promise.all(isolates.map(({ proxy }) => proxy(poll(), env)));

    expect(responses.map((response) => response.status)).toEqual(Array(50).fill(201));
    expect(isolates.every(({ logs }) => logs[1]!.replayed === true)).toBe(true);
    expect(await upstream.requestsTo("/oauth/token")).toHaveLength(1);
    expect(calls.put).toHaveLength(0);
  });

  it("keeps its token in its own storage: after a restart it serves it without a token request", async () => {
    const key = await tokenKey();
    const before = await brokerToken({ key });
    await baseEnv.TOKEN_CACHE.delete(key); // not from KV, then
    await abortAllDurableObjects(); // the instance goes, with its memory; storage stays

    expect((await brokerToken({ key })).accessToken).toBe(before.accessToken);
    expect(await upstream.requestsTo("/oauth/token")).toHaveLength(1);
  });

  it("adopts a fresh token already in KV rather than fetch one (as when first bound)", async () => {
    const isolated = isolate();
    expect((await isolated.proxy(poll(), baseEnv)).status).toBe(201);
    const inKv = await baseEnv.TOKEN_CACHE.get<TokenSet>(await tokenKey(), "json");

    expect((await brokerToken({ key: await tokenKey() })).accessToken).toBe(inKv!.accessToken);
    expect(await upstream.requestsTo("/oauth/token")).toHaveLength(1);
  });

  it("refuses to serve another origin or client than its own", async () => {
    expect(await (await brokerStub()).token({ key: "k2-connect-edge:token:another" })).toEqual({
      failure: "another_application",
    });
    expect(await upstream.requestsTo("/oauth/token")).toHaveLength(0);
  });

  it.each([
    ["fails", () => Promise.reject(new Error("broker down")), "Error"],
    ["never answers", () => new Promise<never>(() => {}), "timeout"],
  ])("when the broker %s, each isolate gets its own token and logs it once", async (_, token, reason) => {
    const { kv, calls } = countedKv();
    const env = { ...brokerEnv, TOKEN_CACHE: kv, TOKEN_BROKER: failingBroker(token), BROKER_TIMEOUT_MS: "50" };
    const { proxy, logs } = isolate();

    expect((await proxy(poll(), env)).status).toBe(201);
    await upstream.expireTokens(); // the next request meets a 401 and renews: the broker is asked again
    expect((await proxy(poll(), env)).status).toBe(201);

    const fallbacks = logs.filter((line) => line.event === "broker_fallback");
    expect(fallbacks).toEqual([{ level: "error", event: "broker_fallback", reason }]);
    expect(await upstream.requestsTo("/oauth/token")).toHaveLength(2);
    expect(calls.put).toHaveLength(0);
    expect(calls.delete).toHaveLength(0);
  });
});

describe("without a broker bound", () => {
  it("works as before: the isolate fetches the token and writes it to KV itself", async () => {
    const { kv, calls } = countedKv();
    const env = { ...baseEnv, TOKEN_CACHE: kv };
    const { proxy, logs } = isolate();

    expect((await proxy(poll(), env)).status).toBe(201);

    expect(env.TOKEN_BROKER).toBeUndefined();
    expect(logs[0]!.tokenSource).toBe("fetched");
    expect(await upstream.requestsTo("/oauth/token")).toHaveLength(1);
    expect(calls.put.map((put) => put.key)).toEqual([await tokenKey()]);
  });
});
