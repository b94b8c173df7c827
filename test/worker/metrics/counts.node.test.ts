/** One isolate's request counts (worker/metrics/client.ts) between hand-overs, on a clock of its own. */
import { expect, it } from "vitest";
import { FLUSH_EVERY_MS, isolateCounts, type MetricsEnv } from "../../../worker/metrics/client.ts";
import type { MinuteCounts } from "../../../worker/metrics/object.ts";

it("keeps a failed hand-over's counts, broker fallbacks included, for the next, and hands on nothing in between", async () => {
  let clock = 0;
  let failing = true;
  const handed: MinuteCounts[][] = [];
  const env = {
    K2_CLIENT_ID: "client-id",
    K2_CLIENT_SECRET: "client-secret",
    K2_ENVIRONMENT: "sandbox",
    TOKEN_CACHE: { put: async () => {} },
    METRICS: {
      idFromName: (name: string) => name,
      get: () => ({
        add: async (batch: MinuteCounts[]) => {
          if (failing) throw new Error("the object is down");
          handed.push(structuredClone(batch));
        },
      }),
    },
  } as unknown as MetricsEnv;
  const counts = isolateCounts(() => clock);

  counts.count(200);
  counts.fallback();
  const first = counts.flush(env);
  // Counted while the hand-over is under way, then merged with what it fails to hand on.
  counts.count(502);
  counts.fallback();
  await first;
  failing = false;
  // Within 10 s of the last hand-over the answer waits on nothing.
  expect(counts.flush(env)).toBeUndefined();
  clock += FLUSH_EVERY_MS;
  await counts.flush(env);
  expect(handed).toEqual([[{ minute: 0, requests: 2, errors: 1, fallbacks: 2 }]]);
  expect(counts.flush(env)).toBeUndefined();
});
