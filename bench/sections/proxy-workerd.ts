/**
 * Proxy cost in workerd: the reference Worker and the pass-through Worker (bench/passthrough-worker.ts)
 * served by `workerd serve` itself (bench/lib/workerd.ts: no wrangler, no Miniflare, no inspector),
 * both forwarding to the same K2 sandbox (in its own process). The proxy runs with its log line on,
 * written by workerd to a file, as a deployed Worker's `console.log` goes to the runtime and not
 * through a DevTools session.
 *
 * Per concurrency level and round, autocannon drives each Worker in turn (rotating order, bounded in
 * time and in requests), and the workerd process's CPU time (utime + stime from /proc/<pid>/stat,
 * all threads) is read before and after the run: its delta divided by the requests answered is the
 * CPU per request, the unit Workers bill and limit. Only the loaded Worker is busy during a run,
 * so the delta is its own (workerd's idle CPU is measured and reported). The pass-through's CPU per
 * request is what any Worker forwarding a request costs; the proxy's minus it is what the proxy adds.
 *
 * Latency comes from autocannon's per-response times (fractional milliseconds; its own histogram
 * rounds to whole milliseconds, too coarse for the sub-millisecond differences measured here).
 *
 * A third Worker, the proxy with its log line off (bench/quiet-proxy-worker.ts), runs as a
 * diagnostic: the gap between it and the real one is what the log line costs.
 *
 * On a 2-core machine the load generator, the sandbox and workerd compete for the cores. With
 * `pin`, workerd gets CPU 1 to itself and this process (autocannon) and the sandbox share CPU 0.
 */
import { execFileSync } from "node:child_process";
import type { EventEmitter } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { serveSection } from "../lib/child.js";
import { PROBE_CLIENT, QUIET_CLIENT } from "../lib/clients.js";
import { readProxyLog } from "../lib/proxy-log.js";
import { DEV_CLIENT, SandboxProcess, upstreamFixture } from "../lib/sandbox.js";
import { median } from "../lib/stats.js";
import { Workerd, bundleWorker } from "../lib/workerd.js";

export type CostWorkerName = "proxy" | "quiet" | "passthrough";

export interface ProxyWorkerdInput {
  levels: number[];
  durationSeconds: number;
  rounds: number;
  warmupSeconds: number;
  /** Upper bound on the requests of one load run, whatever its duration. */
  maxRequestsPerRun: number;
  /** Pin workerd to CPU 1, the load generator and the sandbox to CPU 0. */
  pin: boolean;
  /** Also run the proxy with its log line off. */
  quiet: boolean;
  /** Attribute the added CPU to its parts with bench/cost-probe-worker.ts, at this concurrency (0: skip). */
  probeLevel: number;
}

export const PROBE_STEPS = ["auth", "headers", "log", "client", "answer"] as const;
export type ProbeStep = (typeof PROBE_STEPS)[number];

export interface CostRun {
  rps: number;
  p50: number;
  p99: number;
  /** Requests answered (any status) in the run. */
  requests: number;
  /** Errors, timeouts and non-2xx answers. */
  failed: number;
  /** workerd CPU time over the run, milliseconds. */
  cpuMs: number;
  cpuMsPerRequest: number;
}

export interface CostAtLevel {
  runs: CostRun[];
  /** Medians over rounds. */
  rps: number;
  p50: number;
  p99: number;
  cpuMsPerRequest: number;
  /** Median over rounds of this / pass-through requests per second (same round). */
  ratio: number;
  /** Median over rounds of this minus the pass-through (same round): latency ms, CPU ms per request. */
  addedP50: number;
  addedP99: number;
  addedCpuMsPerRequest: number;
  failed: number;
}

export interface ProxyWorkerdResult {
  workerd: string;
  pinned: boolean;
  levels: Array<{ connections: number; workers: Partial<Record<CostWorkerName, CostAtLevel>> }>;
  durationSeconds: number;
  rounds: number;
  /** workerd's CPU while idle, milliseconds per second (background the runs' deltas include). */
  idleCpuMsPerSecond: number;
  /** Resident memory of the workerd process (all Workers), bytes: after the warm-up and at the end. */
  rss: { afterWarmup: number; end: number };
  /** The proxy's log lines over the whole run: count, statuses, token sources, replays, error lines. */
  loggedRequests: number;
  statuses: Record<string, number>;
  tokenSources: Record<string, number>;
  replayed: number;
  errorLines: string[];
  /** Token requests the sandbox received from the proxy over the whole run. */
  tokenRequests: number;
  /** What the source tree was when bundled: the commit, and whether worker/ or src/ had uncommitted changes. */
  tree: string;
  /** The pass-through plus one part of the proxy's path, at `probeLevel` connections. */
  probe: {
    connections: number;
    passthroughCpuMsPerRequest: number;
    steps: Array<{ step: ProbeStep; cpuMsPerRequest: number; addedCpuMsPerRequest: number; rps: number }>;
  } | null;
}

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const PROXY_KEY = "k2-edge-bench-proxy-key-0123456789";

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

function load(
  url: string,
  connections: number,
  durationSeconds: number,
  maxRequests: number,
  workerd: Workerd,
): Promise<CostRun> {
  return new Promise((resolve, reject) => {
    const times: number[] = [];
    const cpuBefore = workerd.cpuMs();
    const instance = autocannon(
      {
        url,
        connections,
        duration: durationSeconds,
        maxOverallRequests: Math.max(maxRequests, connections),
        timeout: 10,
        headers: { authorization: `Bearer ${PROXY_KEY}` },
      },
      (error, result) => {
        const cpuMs = workerd.cpuMs() - cpuBefore;
        clearTimeout(watchdog);
        if (error) return reject(error);
        const sorted = Float64Array.from(times).sort();
        const requests = result["2xx"] + result.non2xx;
        resolve({
          rps: result.requests.average,
          p50: percentile(sorted, 0.5),
          p99: percentile(sorted, 0.99),
          requests,
          failed: result.errors + result.timeouts + result.non2xx,
          cpuMs,
          cpuMsPerRequest: requests > 0 ? cpuMs / requests : Number.NaN,
        });
      },
    );
    // autocannon's types leave out that the instance is an EventEmitter.
    (instance as unknown as EventEmitter).on("response", (_client, _status, _bytes, responseTime: number) => {
      times.push(responseTime);
    });
    // Bounded even if autocannon's own timer misbehaves.
    const watchdog = setTimeout(() => instance.stop(), (durationSeconds + 15) * 1000);
  });
}

function atLevel(runs: CostRun[], passthrough: CostRun[]): CostAtLevel {
  const perRound = (pick: (run: CostRun, base: CostRun) => number) =>
    median(runs.map((run, round) => pick(run, passthrough[round]!)));
  return {
    runs,
    rps: median(runs.map((run) => run.rps)),
    p50: median(runs.map((run) => run.p50)),
    p99: median(runs.map((run) => run.p99)),
    cpuMsPerRequest: median(runs.map((run) => run.cpuMsPerRequest)),
    ratio: perRound((run, base) => run.rps / base.rps),
    addedP50: perRound((run, base) => run.p50 - base.p50),
    addedP99: perRound((run, base) => run.p99 - base.p99),
    addedCpuMsPerRequest: perRound((run, base) => run.cpuMsPerRequest - base.cpuMsPerRequest),
    failed: runs.reduce((sum, run) => sum + run.failed, 0),
  };
}

/** The diagnostic Workers: the pass-through plus one part of the proxy each (bench/cost-probe-worker.ts). */
async function probeWorkers(origin: string, authorization: string) {
  const script = await bundleWorker(join(ROOT, "bench/cost-probe-worker.ts"));
  return PROBE_STEPS.map((step) => ({
    name: `probe-${step}`,
    script,
    vars: { UPSTREAM_ORIGIN: origin, STEP: step },
    secrets: {
      UPSTREAM_AUTHORIZATION: authorization,
      PROXY_KEYS: PROXY_KEY,
      K2_CLIENT_ID: PROBE_CLIENT.clientId,
      K2_CLIENT_SECRET: PROBE_CLIENT.clientSecret,
    },
  }));
}

function sourceTree(): string {
  try {
    const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--", "worker", "src"], {
      cwd: ROOT,
      encoding: "utf8",
    });
    return dirty.trim() ? `${commit} with uncommitted changes in worker/ or src/` : commit;
  } catch {
    return "unknown";
  }
}

function pinTo(pid: number | undefined, cpus: string): void {
  if (pid !== undefined) execFileSync("taskset", ["-a", "-p", "-c", cpus, String(pid)], { stdio: "ignore" });
}

serveSection<ProxyWorkerdInput, ProxyWorkerdResult>(async (input) => {
  const dir = mkdtempSync(join(tmpdir(), "k2-edge-bench-workerd-"));
  const sandbox = await SandboxProcess.start();
  let workerd: Workerd | undefined;
  try {
    if (input.pin) {
      pinTo(process.pid, "0");
      pinTo(sandbox.pid, "0");
    }
    const fixture = await upstreamFixture(sandbox.url);
    const compatibilityDate = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(
      readFileSync(join(ROOT, "wrangler.toml"), "utf8"),
    )?.[1];
    if (!compatibilityDate) throw new Error("no compatibility_date in wrangler.toml");
    const proxySecrets = (client: { clientId: string; clientSecret: string }) => ({
      K2_CLIENT_ID: client.clientId,
      K2_CLIENT_SECRET: client.clientSecret,
      PROXY_KEYS: PROXY_KEY,
    });
    const before = await sandbox.counts();
    const tree = sourceTree();
    // Bundled once, as they are now: edits to src/ or worker/ during the run cannot change what is measured.
    workerd = await Workerd.start({
      dir,
      logFile: join(dir, "workerd.log"),
      compatibilityDate,
      cpus: input.pin ? [1] : undefined,
      workers: [
        {
          name: "proxy",
          script: await bundleWorker(join(ROOT, "worker/index.ts")),
          vars: { K2_BASE_URL: sandbox.url },
          secrets: proxySecrets(DEV_CLIENT),
          kv: ["TOKEN_CACHE"],
        },
        ...(input.quiet
          ? [
              {
                name: "quiet",
                script: await bundleWorker(join(ROOT, "bench/quiet-proxy-worker.ts")),
                vars: { K2_BASE_URL: sandbox.url },
                secrets: proxySecrets(QUIET_CLIENT),
                kv: ["TOKEN_CACHE"],
              },
            ]
          : []),
        {
          name: "passthrough",
          script: await bundleWorker(join(ROOT, "bench/passthrough-worker.ts")),
          vars: { UPSTREAM_ORIGIN: sandbox.url },
          secrets: { UPSTREAM_AUTHORIZATION: fixture.authorization },
        },
        ...(input.probeLevel > 0 ? await probeWorkers(sandbox.url, fixture.authorization) : []),
      ],
    });
    const names: CostWorkerName[] = input.quiet ? ["proxy", "quiet", "passthrough"] : ["proxy", "passthrough"];
    const target = (name: CostWorkerName) => `${workerd!.urls[name]}${fixture.path}`;
    for (const name of names) {
      const answer = await fetch(target(name), { headers: { authorization: `Bearer ${PROXY_KEY}` } });
      if (answer.status !== 200) throw new Error(`${name}: ${answer.status} ${await answer.text()}`);
    }

    const top = Math.max(...input.levels);
    for (const name of names) await load(target(name), top, input.warmupSeconds, input.maxRequestsPerRun, workerd);
    const rssAfterWarmup = workerd.rssBytes();
    const idleBefore = workerd.cpuMs();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const idleCpuMsPerSecond = (workerd.cpuMs() - idleBefore) / 2;

    const runs = new Map(input.levels.map((level) => [level, new Map(names.map((name) => [name, [] as CostRun[]]))]));
    for (let round = 0; round < input.rounds; round++) {
      for (const level of input.levels) {
        // Rotate which Worker goes first, so that none always meets a cooler machine.
        const order = names.map((_, k) => names[(round + k) % names.length]!);
        for (const name of order) {
          runs
            .get(level)!
            .get(name)!
            .push(await load(target(name), level, input.durationSeconds, input.maxRequestsPerRun, workerd));
        }
      }
    }
    let probe: ProxyWorkerdResult["probe"] = null;
    if (input.probeLevel > 0) {
      const probeNames = ["passthrough", ...PROBE_STEPS.map((step) => `probe-${step}`)];
      const probeRuns = new Map(probeNames.map((name) => [name, [] as CostRun[]]));
      const probeTarget = (name: string) => `${workerd!.urls[name]}${fixture.path}`;
      for (const name of probeNames) {
        const answer = await fetch(probeTarget(name), { headers: { authorization: `Bearer ${PROXY_KEY}` } });
        if (answer.status !== 200) throw new Error(`${name}: ${answer.status} ${await answer.text()}`);
        await load(probeTarget(name), input.probeLevel, 1, input.maxRequestsPerRun, workerd);
      }
      for (let round = 0; round < input.rounds; round++) {
        const order = probeNames.map((_, k) => probeNames[(round + k) % probeNames.length]!);
        for (const name of order) {
          probeRuns
            .get(name)!
            .push(
              await load(probeTarget(name), input.probeLevel, input.durationSeconds, input.maxRequestsPerRun, workerd),
            );
        }
      }
      const base = probeRuns.get("passthrough")!;
      probe = {
        connections: input.probeLevel,
        passthroughCpuMsPerRequest: median(base.map((run) => run.cpuMsPerRequest)),
        steps: PROBE_STEPS.map((step) => {
          const stepRuns = probeRuns.get(`probe-${step}`)!;
          return {
            step,
            cpuMsPerRequest: median(stepRuns.map((run) => run.cpuMsPerRequest)),
            addedCpuMsPerRequest: median(stepRuns.map((run, i) => run.cpuMsPerRequest - base[i]!.cpuMsPerRequest)),
            rps: median(stepRuns.map((run) => run.rps)),
          };
        }),
      };
    }
    const after = await sandbox.counts();
    const rssEnd = workerd.rssBytes();
    await workerd.stop();
    const log = readProxyLog(readFileSync(join(dir, "workerd.log"), "utf8"));
    return {
      workerd: execFileSync(join(ROOT, "node_modules/workerd/bin/workerd"), ["--version"], { encoding: "utf8" }).trim(),
      pinned: input.pin,
      levels: input.levels.map((level) => {
        const byName = runs.get(level)!;
        const passthrough = byName.get("passthrough")!;
        return {
          connections: level,
          workers: Object.fromEntries(names.map((name) => [name, atLevel(byName.get(name)!, passthrough)])),
        };
      }),
      durationSeconds: input.durationSeconds,
      rounds: input.rounds,
      idleCpuMsPerSecond,
      rss: { afterWarmup: rssAfterWarmup, end: rssEnd },
      ...log,
      tokenRequests: (after.tokenByClient[DEV_CLIENT.clientId] ?? 0) - (before.tokenByClient[DEV_CLIENT.clientId] ?? 0),
      tree,
      probe,
    };
  } finally {
    await workerd?.stop();
    await sandbox.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
