/**
 * Cold herd: 10,000 concurrent first calls for a token with one library, against the K2 sandbox in
 * its own process. Counts the token requests the server received and times until every caller has
 * a token. Each round restarts the server (new port, every kept-alive connection closed) and makes
 * a fresh client, so every round starts cold. One library per process.
 */
import { contender } from "../contenders.ts";
import { serveSection } from "../lib/child.ts";
import { SandboxProcess } from "../../harness/sandbox.ts";
import { median, spread } from "../lib/stats.ts";

export interface ColdHerdInput {
  contender: string;
  callers: number;
  rounds: number;
  /** A round still running after this long is recorded as unfinished. */
  roundTimeoutMs: number;
}

export interface ColdHerdRound {
  tokenRequests: number;
  /** Until the last caller had its answer (token or error), in milliseconds; null: unfinished. */
  ms: number | null;
  errors: number;
  /** Different tokens handed to the callers. */
  distinctTokens: number;
  firstError?: string;
}

export interface ColdHerdResult {
  id: string;
  label: string;
  callers: number;
  rounds: ColdHerdRound[];
  medianTokenRequests: number;
  medianMs: number | null;
  msSpread: { min: number; max: number } | null;
  medianErrors: number;
}

async function herd(
  get: () => Promise<string>,
  callers: number,
  timeoutMs: number,
): Promise<Omit<ColdHerdRound, "tokenRequests">> {
  let errors = 0;
  let firstError: string | undefined;
  const tokens = new Set<string>();
  const started = process.hrtime.bigint();
  const calls = Array.from({ length: callers }, () =>
    get().then(
      (token) => void tokens.add(token),
      (error: unknown) => {
        errors++;
        firstError ??= error instanceof Error ? `${error.name}: ${error.message}` : String(error).slice(0, 200);
      },
    ),
  );
  let timer: NodeJS.Timeout | undefined;
  const finished = await Promise.race([
    Promise.all(calls).then(() => true),
    new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
  ]);
  clearTimeout(timer);
  const ms = finished ? Number(process.hrtime.bigint() - started) / 1e6 : null;
  return { ms, errors, distinctTokens: tokens.size, ...(firstError ? { firstError } : {}) };
}

serveSection<ColdHerdInput, ColdHerdResult>(async (input) => {
  const chosen = contender(input.contender);
  const sandbox = await SandboxProcess.start();
  try {
    // A small herd first, so that module loading and first compilation are not timed.
    await herd(chosen.getter!(sandbox.url), 50, input.roundTimeoutMs);
    const rounds: ColdHerdRound[] = [];
    for (let round = 0; round < input.rounds; round++) {
      const url = await sandbox.restart();
      const get = chosen.getter!(url);
      globalThis.gc?.();
      const outcome = await herd(get, input.callers, input.roundTimeoutMs);
      // Unfinished requests may still land: give them a moment before counting.
      if (outcome.ms === null) await new Promise((resolve) => setTimeout(resolve, 1000));
      rounds.push({ tokenRequests: (await sandbox.counts()).token, ...outcome });
    }
    const times = rounds.map((round) => round.ms).filter((ms): ms is number => ms !== null);
    return {
      id: chosen.id,
      label: chosen.label,
      callers: input.callers,
      rounds,
      medianTokenRequests: median(rounds.map((round) => round.tokenRequests)),
      medianMs: times.length === rounds.length ? median(times) : null,
      msSpread: times.length > 0 ? spread(times) : null,
      medianErrors: median(rounds.map((round) => round.errors)),
    };
  } finally {
    await sandbox.stop();
  }
});
