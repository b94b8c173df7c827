/**
 * `npm run bench`: every benchmark in one run on this machine, each in a fresh Node
 * process, then bench/results.json, bench/results.md and the SVG charts (see report.ts). What the
 * figures mean is in docs/benchmarks.md.
 * `npm run build` runs first (the package script), so "ours" is the dist/ a user would install.
 *
 * BENCH_QUICK=1 runs fewer rounds, to check the machinery quickly; its numbers are not for
 * publishing. BENCH_ONLY=<section>[,<section>...] (size, warm, memory, roundTrip, herd, proxy,
 * isolates) runs only those and takes the others from the last bench/results.json.
 */
import { readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { runSection } from "./lib/child.ts";
import { writeReport, type BenchResults } from "./report.ts";
import type { ColdHerdInput, ColdHerdResult } from "./sections/cold-herd.ts";
import type { IsolatesInput, IsolatesResult } from "./sections/isolates.ts";
import type { MemoryInput, MemoryResult } from "./sections/memory.ts";
import type { ProxyInput, ProxyResult } from "./sections/proxy.ts";
import type { RoundTripInput, RoundTripResult } from "./sections/round-trip.ts";
import type { SizeResult } from "./sections/size.ts";
import type { WarmTokenInput, WarmTokenResult } from "./sections/warm-token.ts";

const quick = process.env.BENCH_QUICK === "1";
const only = process.env.BENCH_ONLY?.split(",").map((name) => name.trim());
const previous = only
  ? (JSON.parse(readFileSync(new URL("./results.json", import.meta.url), "utf8")) as BenchResults)
  : undefined;
/** Runs a section, or with BENCH_ONLY naming others, takes its last result. */
async function sectionResult<K extends keyof BenchResults>(
  key: K,
  work: () => Promise<BenchResults[K]>,
): Promise<BenchResults[K]> {
  if (only && !only.includes(key)) return previous![key];
  return work();
}
const section = (name: string) => new URL(`./sections/${name}.ts`, import.meta.url);

function version(pkg: string): string {
  const path = new URL(
    pkg === "k2-connect-edge" ? "../package.json" : `../node_modules/${pkg}/package.json`,
    import.meta.url,
  );
  return (JSON.parse(readFileSync(path, "utf8")) as { version: string }).version;
}

async function timed<T>(label: string, work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  process.stdout.write(`${label}… `);
  const result = await work();
  console.log(`${((Date.now() - started) / 1000).toFixed(1)} s`);
  return result;
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

const size = await sectionResult("size", () =>
  timed("size", () => runSection<Record<string, never>, SizeResult>(section("size"), {}, 120_000)),
);
const warm = await sectionResult("warm", () =>
  timed("warm token", () =>
    runSection<WarmTokenInput, WarmTokenResult>(
      section("warm-token"),
      { callsPerRound: quick ? 50_000 : 200_000, rounds: quick ? 5 : 15 },
      180_000,
    ),
  ),
);
const memory = await sectionResult("memory", () =>
  timed("memory (Node)", () =>
    runSection<MemoryInput, MemoryResult>(section("memory"), { calls: 100_000, rounds: quick ? 2 : 5 }, 180_000),
  ),
);
const roundTrip = await sectionResult("roundTrip", () =>
  timed("token round trip", () =>
    runSection<RoundTripInput, RoundTripResult>(
      section("round-trip"),
      {
        contenders: [
          "fetch",
          "ours",
          "ours-new-client",
          "ours-oauth2",
          "k2-connect-node",
          "simple-oauth2",
          "oauth4webapi",
        ],
        baseline: "fetch",
        ours: "ours",
        requestsPerRound: 25,
        rounds: quick ? 6 : 30,
        warmup: 200,
      },
      240_000,
    ),
  ),
);
const herd = await sectionResult("herd", async () => {
  const rows: ColdHerdResult[] = [];
  for (const id of ["ours", "k2-connect-node", "simple-oauth2", "oauth4webapi", "oauth4webapi-shared"]) {
    rows.push(
      await timed(`cold herd: ${id}`, () =>
        runSection<ColdHerdInput, ColdHerdResult>(
          section("cold-herd"),
          { contender: id, callers: 10_000, rounds: quick ? 1 : 3, roundTimeoutMs: 60_000 },
          240_000,
        ),
      ),
    );
  }
  return rows;
});
const proxy = await sectionResult("proxy", () =>
  timed("proxy cost in workerd", () =>
    runSection<ProxyInput, ProxyResult>(
      section("proxy"),
      {
        levels: [1, 8, 32, 64],
        durationSeconds: quick ? 2 : 5,
        rounds: quick ? 1 : 4,
        warmupSeconds: 2,
        maxRequestsPerRun: 200_000,
      },
      600_000,
    ),
  ),
);
const isolates = await sectionResult("isolates", () =>
  timed("many isolates in workerd", () => runSection<IsolatesInput, IsolatesResult>(section("isolates"), {}, 300_000)),
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
  isolates,
};
// One line: the file is for machines (BENCH_ONLY, the report); results.md is for people.
writeFileSync(new URL("./results.json", import.meta.url), `${JSON.stringify(results)}\n`);
console.log(`\n${writeReport(results)}\n\nWrote bench/results.json, bench/results.md, bench/size.svg, bench/herd.svg.`);
