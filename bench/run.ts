/**
 * `npm run bench`: every benchmark in one run on this machine, each in a fresh Node process, then
 * bench/results.json, bench/results.md and the SVG charts (report.ts). `npm run build` runs first
 * (the package script), so "ours" is the dist/ a user would install. What the figures mean is in
 * docs/benchmarks.md.
 *
 * BENCH_QUICK=1 runs fewer rounds, to check the machinery quickly; its numbers are not for
 * publishing. BENCH_ONLY=<section>[,<section>...] (size, warm, memory, roundTrip, herd, proxy,
 * ledgerInbox, isolates) runs only those and takes the others from the last bench/results.json.
 */
import { readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { runSection } from "./lib/child.ts";
import { writeReport, type BenchResults } from "./report.ts";
import type { LedgerInboxInput } from "../harness/ledger-inbox.ts";
import type { ColdHerdInput, ColdHerdResult } from "./sections/cold-herd.ts";
import type { MemoryInput } from "./sections/memory.ts";
import type { ProxyInput } from "./sections/proxy.ts";
import type { RoundTripInput } from "./sections/round-trip.ts";
import type { WarmTokenInput } from "./sections/warm-token.ts";

type Key = Exclude<keyof BenchResults, "generatedAt" | "quick" | "machine" | "versions">;

const quick = process.env.BENCH_QUICK === "1";
const only = process.env.BENCH_ONLY?.split(",").map((name) => name.trim());
const previous = only
  ? (JSON.parse(readFileSync(new URL("./results.json", import.meta.url), "utf8")) as BenchResults)
  : undefined;

const runs = (key: Key) => !only || only.includes(key);

/** Runs one section module in a child, timed and bounded; with BENCH_ONLY naming others, its last result. */
async function section<Result>(key: Key, label: string, name: string, input: object, timeoutMs: number) {
  if (!runs(key)) return previous![key] as Result;
  const started = Date.now();
  process.stdout.write(`${label}… `);
  const result = await runSection<object, Result>(new URL(`./sections/${name}.ts`, import.meta.url), input, timeoutMs);
  console.log(`${((Date.now() - started) / 1000).toFixed(1)} s`);
  return result;
}

function version(pkg: string): string {
  const path = pkg === "k2-connect-edge" ? "../package.json" : `../node_modules/${pkg}/package.json`;
  return (JSON.parse(readFileSync(new URL(path, import.meta.url), "utf8")) as { version: string }).version;
}

const cpus = os.cpus();
const machine = {
  node: process.version,
  cpus: cpus.length,
  cpuModel: cpus[0]?.model.trim() ?? "unknown",
  os: `${os.type()} ${os.release()} ${os.arch()}`,
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
};
console.log(
  `Node ${machine.node}, ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.os}${quick ? " [BENCH_QUICK: not for publishing]" : ""}`,
);

const size = await section<BenchResults["size"]>("size", "size", "size", {}, 120_000);
const warm = await section<BenchResults["warm"]>(
  "warm",
  "warm token",
  "warm-token",
  { callsPerRound: quick ? 50_000 : 200_000, rounds: quick ? 5 : 15 } satisfies WarmTokenInput,
  180_000,
);
const memory = await section<BenchResults["memory"]>(
  "memory",
  "memory (Node)",
  "memory",
  { calls: 100_000, rounds: quick ? 2 : 5 } satisfies MemoryInput,
  180_000,
);
const roundTrip = await section<BenchResults["roundTrip"]>(
  "roundTrip",
  "token round trip",
  "round-trip",
  {
    contenders: ["fetch", "ours", "ours-new-client", "ours-oauth2", "k2-connect-node", "simple-oauth2", "oauth4webapi"],
    baseline: "fetch",
    ours: "ours",
    requestsPerRound: 25,
    rounds: quick ? 6 : 30,
    warmup: 200,
  } satisfies RoundTripInput,
  240_000,
);
// One library per process, so that none inherits another's warm sockets or JIT state.
const herd: ColdHerdResult[] = runs("herd") ? [] : previous!.herd;
for (const id of runs("herd")
  ? ["ours", "k2-connect-node", "simple-oauth2", "oauth4webapi", "oauth4webapi-shared"]
  : []) {
  const input: ColdHerdInput = { contender: id, callers: 10_000, rounds: quick ? 1 : 3, roundTimeoutMs: 60_000 };
  herd.push(await section<ColdHerdResult>("herd", `cold herd: ${id}`, "cold-herd", input, 240_000));
}
const proxy = await section<BenchResults["proxy"]>(
  "proxy",
  "proxy cost in workerd",
  "proxy",
  {
    levels: [1, 8, 32, 64],
    durationSeconds: quick ? 2 : 5,
    rounds: quick ? 1 : 4,
    warmupSeconds: 2,
    maxRequestsPerRun: 200_000,
  } satisfies ProxyInput,
  600_000,
);
// 16 connections: the soak's load, a busy checkout rather than a flood.
const ledgerInbox = await section<BenchResults["ledgerInbox"]>(
  "ledgerInbox",
  "ledger and inbox writes in workerd",
  "ledger-inbox",
  {
    connections: 16,
    durationSeconds: quick ? 2 : 5,
    rounds: quick ? 1 : 5,
    warmupSeconds: 2,
    maxRequestsPerRun: 100_000,
  } satisfies LedgerInboxInput,
  300_000,
);
const isolates = await section<BenchResults["isolates"]>(
  "isolates",
  "many isolates in workerd",
  "isolates",
  {},
  300_000,
);

const results: BenchResults = {
  generatedAt: new Date().toISOString(),
  quick,
  machine,
  versions: Object.fromEntries(
    ["k2-connect-edge", "k2-connect-node", "simple-oauth2", "oauth4webapi", "autocannon", "esbuild", "workerd"].map(
      (pkg) => [pkg, version(pkg)],
    ),
  ),
  size,
  warm,
  memory,
  roundTrip,
  herd,
  proxy,
  ledgerInbox,
  isolates,
};
// One line: the file is for machines (BENCH_ONLY, the report); results.md is for people.
writeFileSync(new URL("./results.json", import.meta.url), `${JSON.stringify(results)}\n`);
console.log(`\n${writeReport(results)}\n\nWrote bench/results.json, bench/results.md, bench/size.svg, bench/herd.svg.`);
