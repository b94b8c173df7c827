/**
 * Many isolates at once, in workerd: N proxies (`createWorker()` each, with their own memory) share
 * one KV and, when bound, one token broker, all cold at the same moment, against the sandbox with
 * and without Doorkeeper's revoke-previous-token mode. Each run's figures go in the test's meta,
 * where `npm run bench` (bench/sections/isolates.ts) reads them.
 */
import { abortAllDurableObjects, runInDurableObject } from "cloudflare:test";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { k2CacheKey } from "../../../src/index.ts";
import {
  baseEnv,
  countedKv,
  emptyTokenCache,
  isolate,
  pollingBody,
  proxyRequest,
  TOKEN_BROKER,
} from "../support/harness.ts";
import type { IsolatesRun } from "../../../harness/isolates-run.ts";
import { upstream } from "../support/sandbox-control.ts";

const tokenKey = () => k2CacheKey(baseEnv.K2_BASE_URL, baseEnv.K2_CLIENT_ID);

beforeEach(async () => {
  await runInDurableObject(TOKEN_BROKER.get(TOKEN_BROKER.idFromName(await tokenKey())), (_, state) =>
    state.storage.deleteAll(),
  );
  await abortAllDurableObjects();
  await emptyTokenCache();
  await upstream.reset(); // also turns the revoke-previous mode off again
});

afterAll(() => upstream.reset());

async function simulate(isolates: number, path: "kv" | "broker", revokePrevious: boolean): Promise<IsolatesRun> {
  await upstream.setOptions({ revokePreviousTokenOnIssue: revokePrevious });
  const { kv, calls } = countedKv();
  const env = { ...baseEnv, TOKEN_CACHE: kv, TOKEN_BROKER: path === "broker" ? TOKEN_BROKER : undefined };
  const proxies = Array.from({ length: isolates }, () => isolate());

  const responses = await Promise.all(
    proxies.map(({ proxy }) =>
      proxy(
        proxyRequest("/api/v2/polling", {
          method: "POST",
          body: JSON.stringify(pollingBody),
          headers: { "content-type": "application/json" },
        }),
        env,
      ),
    ),
  );

  const statuses: Record<string, number> = {};
  for (const { status } of responses) statuses[status] = (statuses[status] ?? 0) + 1;
  return {
    isolates,
    path,
    revokePrevious,
    tokenRequests: (await upstream.requestsTo("/oauth/token")).length,
    callerVisible401: statuses[401] ?? 0,
    replays: proxies.flatMap(({ logs }) => logs).filter((line) => line.replayed === true).length,
    isolateKvWrites: calls.put.length + calls.delete.length,
    statuses,
  };
}

describe.each([false, true])("many cold isolates at once (revoke previous token on issue: %s)", (revokePrevious) => {
  it.for([10, 100])("with the broker, %i isolates send one token request and no caller sees a 401", async (n, ctx) => {
    const run = await simulate(n, "broker", revokePrevious);
    ctx.task.meta.isolatesRun = run;

    expect(run.tokenRequests).toBe(1);
    expect(run.callerVisible401).toBe(0);
    expect(run.statuses).toEqual({ 201: n });
    expect(run.isolateKvWrites).toBe(0);
  });

  it.for([10, 100])("with KV alone, %i isolates each answer (the figures show the cost)", async (n, ctx) => {
    const run = await simulate(n, "kv", revokePrevious);
    ctx.task.meta.isolatesRun = run;

    // Every caller gets K2's answer: a 201, or K2's 401 passed on after the one replay.
    expect(run.statuses[201]! + run.callerVisible401).toBe(n);
    expect(run.tokenRequests).toBeGreaterThanOrEqual(1);
    // Without revocation every token works: a 401 is then never seen, whatever the race.
    if (!revokePrevious) expect(run.callerVisible401).toBe(0);
  });
});

// The broker alone asks K2, however long K2 takes or whatever it answers: isolates wait on it (or
// get its failure), never fetch their own token, which with revoke-previous would kill each other's.
describe("many cold isolates at once, K2 revoking previous tokens, the token endpoint slow or refusing", () => {
  it.for([20, 100])("a slow token endpoint: %i isolates wait on the broker's one request", async (n) => {
    await upstream.inject("/oauth/token", { delayMs: 2_500 }); // longer than the 1.5 s isolates once gave the broker
    const run = await simulate(n, "broker", true);

    expect(run.tokenRequests).toBe(1);
    expect(run.callerVisible401).toBe(0);
    expect(run.statuses).toEqual({ 201: n });
    expect(run.isolateKvWrites).toBe(0);
  });

  it.for([20, 100])("a 503 with Retry-After: %i isolates get K2's failure, none asks K2 itself", async (n) => {
    await upstream.inject("/oauth/token", { status: 503, headers: { "retry-after": "60" }, body: "unavailable" });
    const run = await simulate(n, "broker", true);

    expect(run.tokenRequests).toBe(1);
    expect(run.callerVisible401).toBe(0);
    expect(run.statuses).toEqual({ 502: n });
    expect(await upstream.requestsTo("/api/v2/polling")).toHaveLength(0);
  });
});

describe("the sandbox's revoke-previous mode", () => {
  it("makes a client's previous token refused once a new one is issued, and reset() turns it off", async () => {
    const token = async () => {
      const response = await fetch(`${baseEnv.K2_BASE_URL}/oauth/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "client_credentials",
          client_id: baseEnv.K2_CLIENT_ID,
          client_secret: baseEnv.K2_CLIENT_SECRET,
        }),
      });
      return ((await response.json()) as { access_token: string }).access_token;
    };
    const active = async (accessToken: string) => {
      const response = await fetch(`${baseEnv.K2_BASE_URL}/oauth/token/info`, {
        headers: { authorization: `Bearer ${accessToken}` },
      });
      await response.body?.cancel();
      return response.status === 200;
    };

    await upstream.setOptions({ revokePreviousTokenOnIssue: true });
    const first = await token();
    const second = await token();
    expect([await active(first), await active(second)]).toEqual([false, true]);

    await upstream.reset();
    const third = await token();
    expect([await active(second), await active(third)]).toEqual([true, true]);
  });
});
