/**
 * Warm token: the cost of `getAccessToken()` once the token is in memory, against the cheapest
 * possible way to hand back a token, awaiting an already resolved promise of the string, in the
 * same loop shape. Rounds alternate the two so that drift affects both alike; the ratio is taken
 * per round and its median reported.
 */
import { OAUTH4WEBAPI, OURS } from "../contenders.ts";
import { serveSection } from "../lib/child.ts";
import { SandboxProcess } from "../../harness/sandbox.ts";
import { median, spread } from "../lib/stats.ts";

export interface WarmTokenInput {
  callsPerRound: number;
  rounds: number;
}

export interface WarmTokenResult {
  callsPerRound: number;
  rounds: number;
  /** Median nanoseconds per call. */
  baselineNs: number;
  oursNs: number;
  handRolledNs: number;
  /** Median over rounds of ours / baseline (same round). */
  ratio: number;
  ratioSpread: { min: number; max: number };
  handRolledRatio: number;
  /**
   * Where the time goes: the same loop around the two steps a warm call cannot skip, a new
   * promise per call (`Promise.resolve(token)`), and that plus a clock read (`Date.now()`).
   */
  stepsNs: { freshPromise: number; clockAndFreshPromise: number };
}

let sink: unknown;

async function baselineLoop(resolved: Promise<string>, calls: number): Promise<number> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) sink = await resolved;
  return Number(process.hrtime.bigint() - started) / calls;
}

async function getterLoop(get: () => Promise<string>, calls: number): Promise<number> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) sink = await get();
  return Number(process.hrtime.bigint() - started) / calls;
}

/** Models of the warm path's unavoidable steps, to show which one costs the time. */
function stepModels(token: string): {
  freshPromise: () => Promise<string>;
  clockAndFreshPromise: () => Promise<string>;
} {
  const expiresAt = Date.now() + 3_600_000;
  return {
    freshPromise: () => Promise.resolve(token),
    clockAndFreshPromise: () =>
      Date.now() < expiresAt ? Promise.resolve(token) : Promise.reject(new Error("expired")),
  };
}

serveSection<WarmTokenInput, WarmTokenResult>(async ({ callsPerRound, rounds }) => {
  const sandbox = await SandboxProcess.start();
  try {
    const ours = OURS.getter!(sandbox.url);
    const handRolled = OAUTH4WEBAPI.getter!(sandbox.url);
    const token = await ours();
    await handRolled();
    const resolved = Promise.resolve(token);
    const steps = stepModels(token);
    // Let the three loops reach their optimised code before anything is recorded.
    for (let i = 0; i < 3; i++) {
      await baselineLoop(resolved, callsPerRound);
      await getterLoop(ours, callsPerRound);
      await getterLoop(handRolled, callsPerRound);
      await getterLoop(steps.freshPromise, callsPerRound);
      await getterLoop(steps.clockAndFreshPromise, callsPerRound);
    }
    const base: number[] = [];
    const mine: number[] = [];
    const rolled: number[] = [];
    const ratios: number[] = [];
    const rolledRatios: number[] = [];
    const fresh: number[] = [];
    const clocked: number[] = [];
    for (let round = 0; round < rounds; round++) {
      // Alternate the order so that neither side always runs right after a GC-heavy loop.
      const b = round % 2 === 0 ? await baselineLoop(resolved, callsPerRound) : 0;
      const o = await getterLoop(ours, callsPerRound);
      const h = await getterLoop(handRolled, callsPerRound);
      fresh.push(await getterLoop(steps.freshPromise, callsPerRound));
      clocked.push(await getterLoop(steps.clockAndFreshPromise, callsPerRound));
      const b2 = round % 2 === 1 ? await baselineLoop(resolved, callsPerRound) : b;
      base.push(b2);
      mine.push(o);
      rolled.push(h);
      ratios.push(o / b2);
      rolledRatios.push(h / b2);
    }
    void sink;
    return {
      callsPerRound,
      rounds,
      baselineNs: median(base),
      oursNs: median(mine),
      handRolledNs: median(rolled),
      ratio: median(ratios),
      ratioSpread: spread(ratios),
      handRolledRatio: median(rolledRatios),
      stepsNs: { freshPromise: median(fresh), clockAndFreshPromise: median(clocked) },
    };
  } finally {
    await sandbox.stop();
  }
});
