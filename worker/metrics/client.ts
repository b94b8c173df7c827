/**
 * The isolate's side of the request counts (object.ts): each answer is counted in memory, and the
 * counts are handed to the object at most once per `FLUSH_EVERY_MS` per isolate, after the answer
 * went out (`ctx.waitUntil`), so the request path pays a map update, not a Durable Object call.
 */
import { k2Settings, type K2Env } from "../common/k2-settings.ts";
import { sha256Hex } from "../common/sha256.ts";
import type { MinuteCounts, RequestCounts } from "./object.ts";

export interface MetricsEnv extends K2Env {
  /** The request counts. Unbound, nothing is counted and the dashboard says so. */
  METRICS?: DurableObjectNamespace<RequestCounts>;
}

/** How often an isolate hands over its counts: the dashboard is at most this late. */
export const FLUSH_EVERY_MS = 10_000;

async function countsOf(env: MetricsEnv): Promise<DurableObjectStub<RequestCounts> | undefined> {
  const namespace = env.METRICS;
  if (!namespace) return undefined;
  const name = (await sha256Hex(`k2-metrics\n${k2Settings(env).clientId}`)).slice(0, 32);
  return namespace.get(namespace.idFromName(name));
}

/** One isolate's counter: `count` on every answer, `flush` after it. */
export function isolateCounts(now: () => number = Date.now) {
  let pending = new Map<number, MinuteCounts>();
  let lastFlush = Number.NEGATIVE_INFINITY;
  const current = (): MinuteCounts => {
    const minute = Math.floor(now() / 60_000);
    let counts = pending.get(minute);
    if (!counts) pending.set(minute, (counts = { minute, requests: 0, errors: 0, fallbacks: 0 }));
    return counts;
  };
  return {
    count(status: number): void {
      const counts = current();
      counts.requests++;
      if (status >= 500) counts.errors++;
    },
    /** The isolate asked K2 for a token itself: the token broker failed. */
    fallback(): void {
      current().fallbacks++;
    },
    /**
     * Hands the counts over when the last hand-over is old enough; a failed one is kept for the next.
     * `undefined` when there is nothing to hand over yet: most answers wait on nothing.
     */
    flush(env: MetricsEnv): Promise<void> | undefined {
      if (pending.size === 0 || now() - lastFlush < FLUSH_EVERY_MS || !env.METRICS) return undefined;
      lastFlush = now();
      const batch = [...pending.values()];
      pending = new Map();
      return handOver(env, batch);
    },
  };

  async function handOver(env: MetricsEnv, batch: MinuteCounts[]): Promise<void> {
    try {
      await (await countsOf(env))!.add(batch);
    } catch {
      for (const counts of batch) {
        const kept = pending.get(counts.minute);
        if (!kept) pending.set(counts.minute, counts);
        else {
          kept.requests += counts.requests;
          kept.errors += counts.errors;
          kept.fallbacks += counts.fallbacks;
        }
      }
    }
  }
}

/** Requests, 5xx answers and broker fallbacks of the last hour, across isolates, or `undefined` when unbound. */
export async function lastHourCounts(
  env: MetricsEnv,
): Promise<{ requests: number; errors: number; fallbacks: number } | undefined> {
  const counts = await countsOf(env);
  return counts && counts.lastHour();
}
