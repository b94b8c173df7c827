/**
 * Token round trip: one client-credentials request against the local K2 sandbox (in its own
 * process), for each library and for a hand-written `fetch` + `URLSearchParams` call. Requests
 * are sequential and interleaved between contenders; each round's value per contender is the
 * median of its requests in that round; the ratio to the hand-written call is taken per round and
 * its median reported.
 */
import { type Contender, contender, type TokenGetter } from "../contenders.ts";
import { serveSection } from "../lib/child.ts";
import { SandboxProcess } from "../../harness/sandbox.ts";
import { median, spread } from "../lib/stats.ts";

export interface RoundTripInput {
  contenders: string[];
  /** The contender the ratios are taken against. */
  baseline: string;
  /** Our contender, compared with each of the others. */
  ours: string;
  requestsPerRound: number;
  rounds: number;
  warmup: number;
}

export interface RoundTripRow {
  id: string;
  label: string;
  /** Median over rounds of each round's median request, in microseconds. */
  us: number;
  spreadUs: { min: number; max: number };
  /** Median over rounds of this / baseline (same round). */
  ratio: number;
  /** Median over rounds of ours / this (same round): below 1, ours was faster. */
  oursRatio: number;
}

export interface RoundTripResult {
  requestsPerRound: number;
  rounds: number;
  baseline: string;
  rows: RoundTripRow[];
}

/** One request, timed in microseconds. */
async function once(get: TokenGetter): Promise<number> {
  const started = process.hrtime.bigint();
  const token = await get();
  const us = Number(process.hrtime.bigint() - started) / 1000;
  if (typeof token !== "string" || token.length === 0) throw new Error("no token");
  return us;
}

serveSection<RoundTripInput, RoundTripResult>(async (input) => {
  const sandbox = await SandboxProcess.start();
  try {
    const entries: Array<{ contender: Contender; get: TokenGetter; samples: number[] }> = input.contenders.map((id) => {
      const chosen = contender(id);
      return { contender: chosen, get: chosen.request!(sandbox.url), samples: [] };
    });
    for (const entry of entries) for (let i = 0; i < input.warmup; i++) await once(entry.get);
    for (let round = 0; round < input.rounds; round++) {
      // Interleaved request by request, in a rotating order, so that whatever else the machine is
      // doing at a given moment weighs on every contender alike.
      const times = entries.map(() => [] as number[]);
      for (let i = 0; i < input.requestsPerRound; i++) {
        for (let k = 0; k < entries.length; k++) {
          const index = (round + i + k) % entries.length;
          times[index]!.push(await once(entries[index]!.get));
        }
      }
      entries.forEach((entry, index) => entry.samples.push(median(times[index]!)));
    }
    const base = entries.find((entry) => entry.contender.id === input.baseline)!;
    const ours = entries.find((entry) => entry.contender.id === input.ours)!;
    return {
      requestsPerRound: input.requestsPerRound,
      rounds: input.rounds,
      baseline: input.baseline,
      rows: entries.map((entry) => ({
        id: entry.contender.id,
        label: entry.contender.label,
        us: median(entry.samples),
        spreadUs: spread(entry.samples),
        ratio: median(entry.samples.map((sample, round) => sample / base.samples[round]!)),
        oursRatio: median(entry.samples.map((sample, round) => ours.samples[round]! / sample)),
      })),
    };
  } finally {
    await sandbox.stop();
  }
});
