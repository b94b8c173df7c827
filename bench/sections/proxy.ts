/**
 * Proxy cost in workerd: the reference Worker (worker/index.ts) and the pass-through Worker
 * (bench/passthrough-worker.ts, the least a proxy can do) served by one `workerd serve`
 * (harness/workerd.ts), both forwarding to the same K2 sandbox in its own process. The proxy runs
 * with its log line on, as a deployed Worker's `console.log` goes to the runtime.
 *
 * Per concurrency level and round, autocannon drives each Worker in turn (rotating order, bounded in
 * time and in requests), and the workerd process's CPU time is read before and after the run: its
 * delta divided by the requests answered is the CPU per request, the unit Workers bill and limit.
 * Only the loaded Worker is busy during a run, so the delta is its own. The pass-through's CPU per
 * request is what any Worker forwarding a request costs; the proxy's minus it is what the proxy adds.
 *
 * Latency comes from autocannon's per-response times: its own histogram rounds to whole
 * milliseconds, too coarse for the sub-millisecond differences measured here.
 */
import { execFileSync } from "node:child_process";
import type { EventEmitter } from "node:events";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { readProxyLog, type ProxyLogTally } from "../../harness/proxy-log.ts";
import { WORKERD, Workerd, bundleWorker, deployedSettings } from "../../harness/workerd.ts";
import { serveSection } from "../lib/child.ts";
import { SandboxProcess } from "../../harness/sandbox.ts";
import { DEV_CLIENT } from "../../sandbox/credentials.ts";
import { SAMPLE_STK_PUSH } from "../../sandbox/samples.ts";
import { median } from "../lib/stats.ts";

export type CostWorkerName = "proxy" | "passthrough";

export interface ProxyInput {
  levels: number[];
  durationSeconds: number;
  rounds: number;
  warmupSeconds: number;
  /** Upper bound on the requests of one load run, whatever its duration. */
  maxRequestsPerRun: number;
}

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

export interface ProxyResult {
  workerd: string;
  levels: Array<{ connections: number; workers: Record<CostWorkerName, CostAtLevel> }>;
  durationSeconds: number;
  rounds: number;
  /** workerd's CPU while idle, milliseconds per second (background the runs' deltas include). */
  idleCpuMsPerSecond: number;
  /** Resident memory of the workerd process (both Workers), bytes: after the warm-up and at the end. */
  rss: { afterWarmup: number; end: number };
  /** The proxy's log lines over the whole run. */
  log: ProxyLogTally;
  /** Token requests the sandbox received from the proxy over the whole run. */
  tokenRequests: number;
  /** What the source tree was when bundled: the commit, and whether worker/ or src/ had uncommitted changes. */
  tree: string;
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

/**
 * Sets up the upstream for the proxy benchmarks: a resource to read through the Workers, and the
 * pass-through's fixed bearer token. Its callback goes to a closed loopback port, so nothing leaves
 * the machine.
 */
async function upstreamFixture(origin: string): Promise<{ path: string; authorization: string }> {
  const form = new URLSearchParams({
    client_id: DEV_CLIENT.clientId,
    client_secret: DEV_CLIENT.clientSecret,
    grant_type: "client_credentials",
  });
  const token = (
    (await (await fetch(`${origin}/oauth/token`, { method: "POST", body: form })).json()) as { access_token: string }
  ).access_token;
  const authorization = `Bearer ${token}`;
  const created = await fetch(`${origin}/api/v2/incoming_payments`, {
    method: "POST",
    headers: { authorization, "content-type": "application/json" },
    body: JSON.stringify({ ...SAMPLE_STK_PUSH, _links: { callback_url: "http://127.0.0.1:9/result" } }),
  });
  if (created.status !== 201) throw new Error(`the sandbox did not create the fixture: ${created.status}`);
  return { path: new URL(created.headers.get("location")!).pathname, authorization };
}

serveSection<ProxyInput, ProxyResult>(async (input) => {
  const sandbox = await SandboxProcess.start();
  let workerd: Workerd | undefined;
  try {
    const fixture = await upstreamFixture(sandbox.url);
    const settings = deployedSettings();
    const tree = sourceTree();
    // Bundled once, as they are now: edits to src/ or worker/ during the run cannot change what is measured.
    workerd = await Workerd.start({
      compatibilityDate: settings.compatibilityDate,
      workers: [
        {
          name: "proxy",
          script: await bundleWorker(`${ROOT}worker/index.ts`),
          vars: { ...settings.vars, K2_BASE_URL: sandbox.url },
          secrets: {
            K2_CLIENT_ID: DEV_CLIENT.clientId,
            K2_CLIENT_SECRET: DEV_CLIENT.clientSecret,
            PROXY_KEYS: PROXY_KEY,
          },
          kv: [settings.kvBinding],
        },
        {
          name: "passthrough",
          script: await bundleWorker(`${ROOT}bench/passthrough-worker.ts`),
          vars: { UPSTREAM_ORIGIN: sandbox.url },
          secrets: { UPSTREAM_AUTHORIZATION: fixture.authorization },
        },
      ],
    });
    const names: CostWorkerName[] = ["proxy", "passthrough"];
    const target = (name: CostWorkerName) => `${workerd!.urls[name]}${fixture.path}`;
    const before = await sandbox.counts();
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
          const run = await load(target(name), level, input.durationSeconds, input.maxRequestsPerRun, workerd);
          runs.get(level)!.get(name)!.push(run);
        }
      }
    }
    const after = await sandbox.counts();
    const rssEnd = workerd.rssBytes();
    const log = readProxyLog(workerd.output());
    return {
      workerd: execFileSync(WORKERD, ["--version"], { encoding: "utf8" }).trim(),
      levels: input.levels.map((level) => {
        const byName = runs.get(level)!;
        const passthrough = byName.get("passthrough")!;
        return {
          connections: level,
          workers: {
            proxy: atLevel(byName.get("proxy")!, passthrough),
            passthrough: atLevel(passthrough, passthrough),
          },
        };
      }),
      durationSeconds: input.durationSeconds,
      rounds: input.rounds,
      idleCpuMsPerSecond,
      rss: { afterWarmup: rssAfterWarmup, end: rssEnd },
      log,
      // The pass-through never asks for a token: every one counted between the marks is the proxy's.
      tokenRequests: after.token - before.token,
      tree,
    };
  } finally {
    await workerd?.stop();
    await sandbox.stop();
  }
});
