/**
 * The token broker (worker/token-broker.ts), a real Durable Object in workerd: one token request
 * for any number of cold isolates, one renewal for any number of refusal reports, the broker as
 * KV's only writer, busy and failure answers while it alone asks K2, and the fallback to the
 * isolate's own token request (shared, and capped) only when the broker fails, never when it is slow.
 */
import { abortAllDurableObjects, runInDurableObject } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { k2CacheKey, type TokenSet } from "../../../src/index.ts";
import type { Env } from "../../../worker/index.ts";
import type { BrokerAnswer, BrokerRequest, TokenBroker } from "../../../worker/token-broker/object.ts";
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

/** The broker's answer, as an isolate reads it. */
async function ask(request: BrokerRequest): Promise<BrokerAnswer> {
  return (await (await brokerStub()).token(request)) as BrokerAnswer;
}

const tokenKey = () => k2CacheKey(baseEnv.K2_BASE_URL, baseEnv.K2_CLIENT_ID);

async function brokerStub(): Promise<DurableObjectStub<TokenBroker>> {
  return TOKEN_BROKER.get(TOKEN_BROKER.idFromName(await tokenKey())) as DurableObjectStub<TokenBroker>;
}

async function bearersSent(): Promise<string[]> {
  return (await upstream.requestsTo("/api/v2/polling")).map((request) => request.headers.authorization ?? "");
}

/** A TOKEN_BROKER binding whose broker answers with `token`: a broker down, one that never answers, ... */
function failingBroker(token: () => Promise<unknown>): DurableObjectNamespace<TokenBroker> {
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
    ["cannot serve this application", () => Promise.resolve({ failure: "another_application" }), "another_application"],
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

  // A silent broker is not a failing one: it may be holding the one token request for everybody.
  it("when the broker never answers, the isolate does not ask K2 itself: the caller gets 504 at the deadline", async () => {
    const env = {
      ...brokerEnv,
      TOKEN_BROKER: failingBroker(() => new Promise<never>(() => {})),
      UPSTREAM_TIMEOUT_MS: "300",
    };
    const { proxy, logs } = isolate();

    const response = await proxy(poll(), env);

    expect(response.status).toBe(504);
    expect(((await response.json()) as { error: string }).error).toBe("upstream_timeout");
    expect(logs.filter((line) => line.event === "broker_fallback")).toEqual([]);
    expect(await upstream.requestsTo("/oauth/token")).toHaveLength(0);
    expect(await upstream.requestsTo("/api/v2/polling")).toHaveLength(0);
  });

  it("when the broker fails, concurrent requests in one isolate share one fallback token request", async () => {
    const env = { ...brokerEnv, TOKEN_BROKER: failingBroker(() => Promise.reject(new Error("broker down"))) };
    const { proxy } = isolate();

    const responses = await Promise.all(Array.from({ length: 10 }, () => proxy(poll(), env)));

    expect(responses.map((response) => response.status)).toEqual(Array(10).fill(201));
    expect(await upstream.requestsTo("/oauth/token")).toHaveLength(1);
  });

  it("when the broker fails, an isolate asks K2 itself at most once per interval, then answers an error", async () => {
    const env = { ...brokerEnv, TOKEN_BROKER: failingBroker(() => Promise.reject(new Error("broker down"))) };
    const { proxy } = isolate();
    await upstream.inject("/oauth/token", {
      status: 401,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ error: "invalid_client", error_description: "Client authentication failed" }),
    });

    const first = await proxy(poll(), env);
    const second = await proxy(poll(), env);

    expect(first.status).toBe(502);
    expect(((await first.json()) as { error: string }).error).toBe("upstream_token_error");
    expect(second.status).toBe(502);
    const refused = (await second.json()) as { error: string; message: string };
    expect(refused.error).toBe("upstream_token_error");
    expect(refused.message).toContain("BrokerUnavailable");
    expect(await upstream.requestsTo("/oauth/token")).toHaveLength(1);
    expect(await upstream.requestsTo("/api/v2/polling")).toHaveLength(0);
  });

  it("while its token request is under way, answers a held isolate busy with when to ask again", async () => {
    const key = await tokenKey();
    await upstream.inject("/oauth/token", { delayMs: 1_000 });

    const first = await ask({ key, holdMs: 1 });
    const second = await ask({ key, holdMs: 1 });
    const last = await ask({ key, holdMs: 5_000 });

    expect(first).toMatchObject({ failure: "busy", busy: true, retryAt: expect.any(Number) });
    expect(second).toMatchObject({ failure: "busy", busy: true });
    expect(last.token?.accessToken).toEqual(expect.any(String));
    expect(await upstream.requestsTo("/oauth/token")).toHaveLength(1);
  });

  it("restarted while 20 isolates wait on its token request, is asked again, not bypassed", async () => {
    await upstream.setOptions({ revokePreviousTokenOnIssue: true });
    await upstream.inject("/oauth/token", { delayMs: 2_000 });
    const isolates = Array.from({ length: 20 }, () => isolate());

    const responses = Promise.all(isolates.map(({ proxy }) => proxy(poll(), brokerEnv)));
    while ((await upstream.requestsTo("/oauth/token")).length === 0) await new Promise((r) => setTimeout(r, 10));
    await abortAllDurableObjects(); // the instance goes with its request under way; its callers' RPCs fail

    expect((await responses).map((response) => response.status)).toEqual(Array(20).fill(201));
    // One request per broker instance: the lost one, and the new instance's.
    expect(await upstream.requestsTo("/oauth/token")).toHaveLength(2);
    expect(isolates.flatMap(({ logs }) => logs).filter((line) => line.event === "broker_fallback")).toEqual([]);
  });

  it.each([503, 429])(
    "answers K2's %i with its Retry-After, and asks K2 no more until then, even after a restart",
    async (status) => {
      const key = await tokenKey();
      await upstream.inject("/oauth/token", { status, headers: { "retry-after": "60" }, body: "busy" });
      const asked = Date.now();

      const first = await ask({ key });
      const second = await ask({ key });
      await abortAllDurableObjects();
      const afterRestart = await ask({ key });

      expect(first.token).toBeUndefined();
      expect(first.token ? undefined : first.retryAt).toBeGreaterThanOrEqual(asked + 59_000);
      expect(first).not.toHaveProperty("busy");
      expect(second).toEqual(first);
      expect(afterRestart).toEqual(first);
      expect(await upstream.requestsTo("/oauth/token")).toHaveLength(1);
    },
  );
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
