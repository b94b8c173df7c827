/**
 * The many-isolates run: the simulation in test/worker/token-broker/many-isolates.test.ts (N proxies with their
 * own memory, one KV, one token broker, all cold at once, against the K2 sandbox with and without
 * Doorkeeper's revoke-previous-token mode), run inside workerd by vitest's own API with the
 * `workerd` project of vitest.config.ts. Each run's figures come back in its test's meta, so the
 * test asserts the broker's targets and the benchmark reports the same runs' figures. Bounded:
 * eight runs of at most 100 requests each, loopback only.
 */
import { fileURLToPath } from "node:url";
import { startVitest } from "vitest/node";
import type { IsolatesRun } from "./isolates-run.ts";

export interface IsolatesResult {
  runs: IsolatesRun[];
  /** Tests of the simulation that failed (their targets missed): empty when every target held. */
  failed: string[];
}

const ROOT = fileURLToPath(new URL("../", import.meta.url));

export async function runManyIsolates(): Promise<IsolatesResult> {
  const vitest = await startVitest("test", ["test/worker/token-broker/many-isolates.test.ts"], {
    root: ROOT,
    project: "workerd",
    watch: false,
    reporters: ["dot"],
  });
  try {
    const runs: IsolatesRun[] = [];
    const failed: string[] = [];
    for (const module of vitest.state.getTestModules()) {
      for (const test of module.children.allTests()) {
        const meta = test.meta().isolatesRun;
        if (meta) runs.push(meta);
        if (test.result().state === "failed") failed.push(test.fullName);
      }
    }
    if (runs.length === 0) throw new Error("the simulation reported no runs");
    return { runs, failed };
  } finally {
    await vitest.close();
  }
}
