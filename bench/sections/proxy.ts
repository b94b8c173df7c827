/**
 * Proxy: requests per second and latency through the reference Worker under `wrangler dev`,
 * against the pass-through Worker (bench/passthrough-worker.ts), both forwarding to the same K2
 * sandbox (in its own process). autocannon drives each at several concurrency levels, every run
 * bounded in time and in requests; rounds rotate the order of the Workers and the throughput ratio
 * to the pass-through is taken per round.
 *
 * A third Worker, the same proxy with its log line off (bench/quiet-proxy-worker.ts), runs
 * alongside as a diagnostic: the gap between it and the real one is what the log line costs.
 *
 * The proxy is bundled once at the start into a temporary directory and run from there with a copy
 * of wrangler.toml, so that edits to src/ or worker/ while the benchmark runs cannot reload it
 * mid-run. Each Worker gets fresh local storage, so the run starts with no token in KV.
 *
 * Counted over the whole run of the proxy: token requests (at the sandbox, by client id), KV reads
 * (from the proxy's `tokenSource` log lines, see kvReads below), answers that were not 2xx, and
 * the isolate's heap after GC, after the warm-up and after each round.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon, { type Result } from "autocannon";
import { build } from "esbuild";
import { serveSection } from "../lib/child.js";
import { QUIET_CLIENT } from "../lib/clients.js";
import { readProxyLog } from "../lib/proxy-log.js";
import { DEV_CLIENT, SandboxProcess, upstreamFixture } from "../lib/sandbox.js";
import { median } from "../lib/stats.js";
import { WranglerDev } from "../lib/wrangler.js";

export type WorkerName = "ours" | "quiet" | "passthrough";

export interface ProxyInput {
  levels: number[];
  durationSeconds: number;
  rounds: number;
  warmupSeconds: number;
  /** Upper bound on the requests of one load run, whatever its duration. */
  maxRequestsPerRun: number;
  /** Run the diagnostic Worker without the log line too. */
  quiet: boolean;
}

export interface LoadRun {
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  ok: number;
  failed: number;
}

export interface WorkerAtLevel {
  runs: LoadRun[];
  /** Median requests per second over rounds. */
  rps: number;
  /** Median over rounds of this / pass-through requests per second (same round). */
  ratio: number;
  /** Median latency percentiles over rounds, milliseconds. */
  latency: { p50: number; p90: number; p99: number };
  /** Errors, timeouts and non-2xx answers, all rounds. */
  failed: number;
}

export interface ProxyLevel {
  connections: number;
  workers: Partial<Record<WorkerName, WorkerAtLevel>>;
}

export interface WorkerHeap {
  /** Used heap of the isolate after GC, bytes: after the warm-up, then after each round. */
  afterWarmup: number;
  byRound: number[];
  /** Requests served in each round. */
  requestsByRound: number[];
}

export interface ProxyResult {
  levels: ProxyLevel[];
  durationSeconds: number;
  rounds: number;
  wrangler: string;
  /** Requests the proxy logged over the whole run, by token source. */
  tokenSources: Record<string, number>;
  /** Requests the proxy logged, by status. */
  statuses: Record<string, number>;
  loggedRequests: number;
  replayed: number;
  /** Error lines the proxy logged (configuration, KV, internal). */
  errorLines: string[];
  /** Token requests the sandbox received from the proxy (and from the quiet variant) over the whole run. */
  tokenRequests: number;
  quietTokenRequests: number | null;
  /** Reads of the KV token cache, inferred from the log; min and max when the log leaves room. */
  kvReads: { min: number; max: number };
  heap: Partial<Record<WorkerName, WorkerHeap>>;
}

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const PROXY_KEY = "k2-edge-bench-proxy-key-0123456789";

function load(url: string, connections: number, durationSeconds: number, maxRequests: number): Promise<LoadRun> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections,
        duration: durationSeconds,
        maxOverallRequests: Math.max(maxRequests, connections),
        timeout: 10,
        headers: { authorization: `Bearer ${PROXY_KEY}` },
      },
      (error, result: Result) => {
        clearTimeout(watchdog);
        if (error) return reject(error);
        resolve({
          rps: result.requests.average,
          p50: result.latency.p50,
          p90: result.latency.p90,
          p99: result.latency.p99,
          ok: result["2xx"],
          failed: result.errors + result.timeouts + result.non2xx,
        });
      },
    );
    // Bounded even if autocannon's own timer misbehaves.
    const watchdog = setTimeout(() => instance.stop(), (durationSeconds + 15) * 1000);
  });
}

/** A Worker entry bundled into `dir` as it is now, with a copy of wrangler.toml pointing at it. */
async function snapshotWorker(entry: string, dir: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  await build({
    entryPoints: [entry],
    outfile: join(dir, "worker.js"),
    bundle: true,
    format: "esm",
    platform: "browser",
    conditions: ["workerd", "worker", "browser"],
    target: "es2022",
    logLevel: "silent",
  });
  const toml = readFileSync(join(ROOT, "wrangler.toml"), "utf8");
  const config = join(dir, "wrangler.toml");
  writeFileSync(config, toml.replace(/^main\s*=.*$/m, 'main = "worker.js"'));
  return config;
}

function atLevel(runs: LoadRun[], passthrough: LoadRun[]): WorkerAtLevel {
  return {
    runs,
    rps: median(runs.map((run) => run.rps)),
    ratio: median(runs.map((run, round) => run.rps / passthrough[round]!.rps)),
    latency: {
      p50: median(runs.map((run) => run.p50)),
      p90: median(runs.map((run) => run.p90)),
      p99: median(runs.map((run) => run.p99)),
    },
    failed: runs.reduce((sum, run) => sum + run.failed, 0),
  };
}

serveSection<ProxyInput, ProxyResult>(async (input) => {
  const dir = mkdtempSync(join(tmpdir(), "k2-edge-bench-"));
  const sandbox = await SandboxProcess.start();
  const started: Partial<Record<WorkerName, WranglerDev>> = {};
  const stopAll = () => Promise.all(Object.values(started).map((worker) => worker.stop()));
  try {
    const fixture = await upstreamFixture(sandbox.url);
    const compatibilityDate = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(
      readFileSync(join(ROOT, "wrangler.toml"), "utf8"),
    )?.[1];
    if (!compatibilityDate) throw new Error("no compatibility_date in wrangler.toml");
    const before = await sandbox.counts();
    const proxyVars = (client: { clientId: string; clientSecret: string }) => ({
      K2_BASE_URL: sandbox.url,
      K2_CLIENT_ID: client.clientId,
      K2_CLIENT_SECRET: client.clientSecret,
      PROXY_KEYS: PROXY_KEY,
    });
    // One at a time: three wrangler start-ups at once would starve a 2-core machine.
    started.ours = await WranglerDev.start({
      config: await snapshotWorker(join(ROOT, "worker/index.ts"), join(dir, "ours")),
      logFile: join(dir, "ours.log"),
      persistTo: join(dir, "ours-state"),
      cwd: ROOT,
      vars: proxyVars(DEV_CLIENT),
    });
    if (input.quiet) {
      started.quiet = await WranglerDev.start({
        config: await snapshotWorker(join(ROOT, "bench/quiet-proxy-worker.ts"), join(dir, "quiet")),
        logFile: join(dir, "quiet.log"),
        persistTo: join(dir, "quiet-state"),
        cwd: ROOT,
        vars: proxyVars(QUIET_CLIENT),
      });
    }
    started.passthrough = await WranglerDev.start({
      config: join(ROOT, "bench/passthrough.wrangler.toml"),
      logFile: join(dir, "passthrough.log"),
      persistTo: join(dir, "passthrough-state"),
      compatibilityDate,
      cwd: ROOT,
      vars: { UPSTREAM_ORIGIN: sandbox.url, UPSTREAM_AUTHORIZATION: fixture.authorization },
    });
    const names = Object.keys(started) as WorkerName[];
    const target = (name: WorkerName) => `${started[name]!.url}${fixture.path}`;
    for (const name of names) {
      const answer = await fetch(target(name), { headers: { authorization: `Bearer ${PROXY_KEY}` } });
      if (answer.status !== 200) throw new Error(`${name}: ${answer.status} ${await answer.text()}`);
    }

    const top = Math.max(...input.levels);
    for (const name of names) await load(target(name), top, input.warmupSeconds, input.maxRequestsPerRun);
    const heap: Partial<Record<WorkerName, WorkerHeap>> = {};
    for (const name of names)
      heap[name] = { afterWarmup: await started[name]!.heapAfterGc(), byRound: [], requestsByRound: [] };

    const runs = new Map(input.levels.map((level) => [level, new Map(names.map((name) => [name, [] as LoadRun[]]))]));
    for (let round = 0; round < input.rounds; round++) {
      for (const name of names) heap[name]!.requestsByRound.push(0);
      for (const level of input.levels) {
        // Rotate which Worker goes first, so that none always meets a cooler machine.
        const order = names.map((_, k) => names[(round + k) % names.length]!);
        for (const name of order) {
          const run = await load(target(name), level, input.durationSeconds, input.maxRequestsPerRun);
          runs.get(level)!.get(name)!.push(run);
          heap[name]!.requestsByRound[round]! += run.ok + run.failed;
        }
      }
      for (const name of names) heap[name]!.byRound.push(await started[name]!.heapAfterGc());
    }
    const after = await sandbox.counts();
    await stopAll();

    const log = readProxyLog(started.ours.output());
    const byClient = (id: string) => (after.tokenByClient[id] ?? 0) - (before.tokenByClient[id] ?? 0);
    const tokenRequests = byClient(DEV_CLIENT.clientId);
    // Each renewal reads KV once (CachedTokenSource: memory, then KV, then the token endpoint), and
    // every caller waiting on that renewal logs its origin. So: one read per token request, one per
    // 401 replay (it checks KV before dropping the token), and at least one, at most one per line,
    // when lines say "kv".
    const kvServed = log.tokenSources.kv ?? 0;
    const levels: ProxyLevel[] = input.levels.map((level) => {
      const byName = runs.get(level)!;
      const passthrough = byName.get("passthrough")!;
      return {
        connections: level,
        workers: Object.fromEntries(names.map((name) => [name, atLevel(byName.get(name)!, passthrough)])),
      };
    });
    return {
      levels,
      durationSeconds: input.durationSeconds,
      rounds: input.rounds,
      wrangler: /wrangler\s+(\d+\.\d+\.\d+)/.exec(started.ours.output())?.[1] ?? "unknown",
      ...log,
      tokenRequests,
      quietTokenRequests: input.quiet ? byClient(QUIET_CLIENT.clientId) : null,
      kvReads: {
        min: tokenRequests + log.replayed + (kvServed > 0 ? 1 : 0),
        max: tokenRequests + log.replayed + kvServed,
      },
      heap,
    };
  } finally {
    await stopAll();
    await sandbox.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
