/**
 * The dashboard's last hour (worker/metrics/), inside workerd with the real Durable Object: every
 * isolate's answers are counted, 5xx apart, and handed on after the answer without a Durable
 * Object call on the request's own path.
 */
import { createExecutionContext, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { createWorker } from "../../../worker/index.ts";
import { lastHourCounts } from "../../../worker/metrics/client.ts";
import type { RequestCounts } from "../../../worker/metrics/object.ts";
import { sha256Hex } from "../../../worker/common/sha256.ts";
import type { TokenBroker } from "../../../worker/token-broker/object.ts";
import { baseEnv, emptyTokenCache, KEY, poll, proxyRequest, TOKEN_BROKER } from "../support/harness.ts";
import { upstream } from "../support/sandbox-control.ts";

async function countsObject() {
  const namespace = baseEnv.METRICS!;
  return namespace.get(namespace.idFromName((await sha256Hex(`k2-metrics\n${baseEnv.K2_CLIENT_ID}`)).slice(0, 32)));
}

beforeEach(async () => {
  await upstream.reset();
  await emptyTokenCache();
  await runInDurableObject(await countsObject(), (_: RequestCounts, state) => {
    state.storage.sql.exec("DELETE FROM minutes");
  });
});

/** One request through a fresh isolate, its counts handed on as the runtime would after answering. */
async function answered(request: Request, env = baseEnv): Promise<number> {
  const ctx = createExecutionContext();
  const response = await createWorker({ log: () => {} }).fetch(request, env, ctx);
  await waitOnExecutionContext(ctx);
  return response.status;
}

describe("requests and errors in the last hour", () => {
  it("counts every isolate's answers, and its 5xx apart", async () => {
    expect(await answered(poll())).toBe(201);
    expect(await answered(proxyRequest("/healthz", { key: null }))).toBe(200);
    expect(await answered(poll(), { ...baseEnv, K2_BASE_URL: "http://127.0.0.1:1" })).toBe(502);
    expect(await lastHourCounts(baseEnv)).toEqual({ requests: 3, errors: 1, fallbacks: 0 });
  });

  it("hands an isolate's counts on at most every 10 s: its later answers wait for the next hand-over", async () => {
    const worker = createWorker({ log: () => {} });
    for (let i = 0; i < 3; i++) {
      const ctx = createExecutionContext();
      await worker.fetch(proxyRequest("/healthz", { key: null }), baseEnv, ctx);
      await waitOnExecutionContext(ctx);
    }
    // The first answer was handed on at once; the two after it are held in the isolate for now.
    expect(await lastHourCounts(baseEnv)).toEqual({ requests: 1, errors: 0, fallbacks: 0 });
  });

  it("counts the times an isolate asked K2 itself because the token broker failed", async () => {
    // A broker whose every call throws: the isolate asks it twice, then K2 itself, once.
    const failing = {
      idFromName: (name: string) => TOKEN_BROKER.idFromName(name),
      get: () => ({ token: () => Promise.reject(new Error("broker down")) }),
    } as unknown as DurableObjectNamespace<TokenBroker>;
    expect(await answered(poll(), { ...baseEnv, TOKEN_BROKER: failing })).toBe(201);
    expect(await lastHourCounts(baseEnv)).toEqual({ requests: 1, errors: 0, fallbacks: 1 });
  });

  it("shows on the dashboard's health, with how late it may be", async () => {
    await answered(poll());
    const health = await (
      await createWorker().fetch(proxyRequest("/dashboard/health", { key: KEY }), baseEnv)
    ).json<any>();
    expect(health.requests).toMatchObject({ measured: true, requests: 1, errors: 0, lateBySeconds: 10 });
    expect(health.brokerFallbacks).toMatchObject({ measured: true, lastHour: 0 });
  });
});
