/**
 * The soak: the proxy Worker in real workerd (harness/workerd.ts, no inspector), bundled by esbuild
 * from worker-entry.ts (worker/index.ts behind a KV on/off switch), with the settings and KV binding
 * of wrangler.toml, driven by N keep-alive connections of STK push POSTs for T seconds (or until a
 * request cap), while a fault schedule runs against the K2 side (k2-process.ts: the sandbox behind
 * a recording tap) and the KV switch. Everything listens on 127.0.0.1, every wait is bounded, and
 * everything started is stopped in a finally; a hard timeout kills it all.
 *
 * What it counts and why (see SoakReport): every request the driver sent and what came back; every
 * request K2 received (from the tap), by the payment reference in the body, to find references K2
 * received twice and to tell a legitimate replay (the first copy answered 401, the proxy's one
 * replay with a new token) from a duplicate; failures whose outcome the caller cannot know (the
 * caller got a 5xx, a broken answer or nothing, but K2 did or may have received the payment);
 * token requests; latency; the workerd process's resident memory and the driver's heap over time.
 */
import { execFileSync } from "node:child_process";
import { Agent, request as httpRequest } from "node:http";
import { fileURLToPath } from "node:url";
import { DEV_CLIENT } from "../../sandbox/credentials.ts";
import type { Fault } from "../../sandbox/server.ts";
import { readProxyLog, type ProxyLogTally } from "../proxy-log.ts";
import { WORKERD, Workerd, bundleWorker, deployedSettings } from "../workerd.ts";
import { K2Side } from "./k2.ts";
import { ABANDONED, API_PATH, DROPPED, PENDING, TOKEN_PATH, TRUNCATED, type K2Summary } from "./k2-protocol.ts";

/** The soak's caller key: a fixed development value, like sandbox/credentials.ts's (never a real secret). */
const SOAK_PROXY_KEY = "k2-edge-soak-proxy-key-0123456789";

export const FAULT_NAMES = [
  "token-expiry",
  "revocation",
  "token-5xx",
  "token-drop",
  "token-html",
  "token-hang",
  "kv-down",
  "token-expiry-after-kv-outage",
  "api-5xx",
  "api-drop",
  "api-truncate",
  "api-hang",
] as const;
export type FaultName = (typeof FAULT_NAMES)[number];

export interface SoakOptions {
  connections: number;
  durationSeconds: number;
  /** The most requests sent, whatever the duration. */
  maxRequests: number;
  /** The proxy's UPSTREAM_TIMEOUT_MS: how long a hang lasts. */
  upstreamTimeoutMs: number;
  /** The faults to run, in this order, spread over the run. */
  faults: readonly FaultName[];
  /** Least time between two faults (default: the upstream timeout + 400 ms, so a hang plays out first). */
  faultGapMs?: number;
  /** Memory sampling period. */
  sampleEveryMs: number;
  /** Everything is killed when this passes. */
  hardTimeoutMs: number;
  /** Progress lines (never a secret). */
  progress?: (line: string) => void;
}

export interface FaultRecord {
  name: FaultName;
  /** Seconds from the start of the load when it was applied; null when there was no time left for it. */
  atSeconds: number | null;
  /** What the proxy is expected to answer callers meeting it. */
  expected: string;
  /** Whether its effect was seen (at the tap, or in the KV switch's counts). */
  observed: boolean;
  evidence: string;
}

export interface SoakReport {
  generatedAt: string;
  options: Omit<SoakOptions, "progress"> & { clientTimeoutMs: number; faultGapMs: number };
  machine: { node: string; workerd: string };
  loadSeconds: number;
  sent: number;
  /** Requests that got an HTTP answer (a status line), including those whose body then broke off. */
  answered: number;
  /** Requests that got no answer: a connection error before any status, or the driver's own deadline. */
  unanswered: number;
  /** Answers whose body broke off after the status. */
  brokenBodies: number;
  /** Requests still open when the driver finished (must be 0). */
  leftOpen: number;
  byStatus: Record<string, number>;
  /** By status and the answer's error code (`error` or K2's `error_code`), or the transport error. */
  byOutcome: Record<string, number>;
  latencyMs: { p50: number; p99: number; max: number };
  tokenRequests: { atTap: number; atSandbox: number };
  k2: {
    /** Exchanges on the API path the tap saw. */
    apiRequests: number;
    references: number;
    /** References K2 received more than once. */
    receivedTwice: number;
    /** ...of which: the first copy was answered 401 and the second sent with another token (the proxy's replay). */
    replaysAfter401: number;
    /** ...and the rest: duplicates (must be 0). */
    duplicates: number;
    duplicateSamples: Array<{ reference: string; outcomes: string[] }>;
    /** API requests whose body had no reference the driver sent (must be 0). */
    unknownReferences: number;
    /** Requests the driver sent that K2 never received. */
    neverReceived: number;
  };
  /** Callers that got a 5xx, a broken answer or no answer, by what K2 saw of their payment. */
  failures: {
    total: number;
    /** K2 did or may have received it: the caller cannot tell whether the payment exists. */
    ambiguous: number;
    byK2Side: Record<string, number>;
  };
  faults: FaultRecord[];
  kv: { calls: Record<string, number>; thrown: Record<string, number> };
  proxyLog: ProxyLogTally;
  callbacksReceived: number;
  revokeAvailable: boolean;
  sandboxSaw: Record<string, number>;
  memory: {
    samples: Array<{ t: number; workerdRssBytes: number; driverHeapBytes: number }>;
    k2SideHeapBytes: number;
  };
}

const STK_PUSH = {
  payment_channel: "M-PESA STK Push",
  till_number: "K000000",
  subscriber: { first_name: "Jane", last_name: "Doe", phone_number: "+254712345678", email: "jane@example.com" },
  amount: { currency: "KES", value: "20" },
};

const EXPECTED: Record<FaultName, string> = {
  "token-expiry": "401 from K2, one replay with a new token: 201",
  revocation: "401 from K2, one replay with a new token: 201",
  "token-5xx": "token request retried: 201",
  "token-drop": "token request retried: 201",
  "token-html": "502 upstream_token_error for the callers waiting on that token",
  "token-hang": "504 upstream_timeout for the callers waiting on that token",
  "kv-down": "none: the token is fetched and kept in memory (201)",
  "token-expiry-after-kv-outage": "401 from K2, one replay with a new token: 201",
  "api-5xx": "500 from K2, passed through, for one caller",
  "api-drop": "502 upstream_outcome_unknown for one caller (K2 had the request)",
  "api-truncate": "502 upstream_truncated (hardened Worker) or K2's status with a broken body, for one caller",
  "api-hang": "504 upstream_outcome_unknown for one caller (K2 had the request)",
};

/** Outcomes of the requests sent, column by column (index = sequence number). */
class Outcomes {
  /** HTTP status; 0 not settled; -1 no answer. */
  readonly status: Int16Array;
  /** Index into `codes`: the answer's error code, or the transport error. */
  readonly code: Uint16Array;
  readonly latencyMs: Float32Array;
  readonly broken: Uint8Array;
  readonly codes: string[] = [""];
  readonly #codeIndex = new Map<string, number>([["", 0]]);

  constructor(capacity: number) {
    this.status = new Int16Array(capacity);
    this.code = new Uint16Array(capacity);
    this.latencyMs = new Float32Array(capacity);
    this.broken = new Uint8Array(capacity);
  }

  codeOf(text: string): number {
    let index = this.#codeIndex.get(text);
    if (index === undefined) {
      index = this.codes.length;
      this.codes.push(text);
      this.#codeIndex.set(text, index);
    }
    return index;
  }
}

function errorCode(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: unknown; error_code?: unknown };
    if (typeof parsed.error === "string") return parsed.error;
    if (parsed.error_code !== undefined) return `error_code ${String(parsed.error_code)}`;
  } catch {
    // not JSON
  }
  return "";
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted || ms <= 0) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done);
  });

function outcomeName(outcome: number): string {
  if (outcome === DROPPED) return "dropped";
  if (outcome === ABANDONED) return "no answer in time";
  if (outcome === TRUNCATED) return "answer broke off";
  if (outcome === PENDING) return "pending";
  return String(outcome);
}

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const say = options.progress ?? (() => {});
  const faultGapMs = options.faultGapMs ?? options.upstreamTimeoutMs + 400;
  // Worst case for one request: wait on a token request (one deadline), the API request (one), then
  // after a 401 another token request and the replay (two more); plus retries' backoff and slack.
  const clientTimeoutMs = 4 * options.upstreamTimeoutMs + 5000;
  const stop = new AbortController();
  const timers: Array<ReturnType<typeof setInterval>> = [];
  let k2: K2Side | undefined;
  let workerd: Workerd | undefined;
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });

  const killAll = () => {
    stop.abort();
    k2?.kill();
    workerd?.kill();
  };
  let hardTimer: ReturnType<typeof setTimeout> | undefined;
  const hardTimeout = new Promise<never>((_, reject) => {
    hardTimer = setTimeout(() => {
      killAll();
      reject(new Error(`the soak did not finish within ${options.hardTimeoutMs} ms: everything was killed`));
    }, options.hardTimeoutMs);
  });

  const work = async (): Promise<SoakReport> => {
    const settings = deployedSettings();
    const [script, side] = await Promise.all([
      bundleWorker(fileURLToPath(new URL("./worker-entry.ts", import.meta.url))),
      K2Side.start(),
    ]);
    k2 = side;
    workerd = await Workerd.start({
      compatibilityDate: settings.compatibilityDate,
      workers: [
        {
          name: "proxy",
          script,
          vars: { ...settings.vars, K2_BASE_URL: side.tapUrl, UPSTREAM_TIMEOUT_MS: String(options.upstreamTimeoutMs) },
          secrets: {
            K2_CLIENT_ID: DEV_CLIENT.clientId,
            K2_CLIENT_SECRET: DEV_CLIENT.clientSecret,
            PROXY_KEYS: SOAK_PROXY_KEY,
          },
          kv: [settings.kvBinding],
        },
      ],
    });
    const proxy = workerd;
    const origin = proxy.urls.proxy!;
    const port = Number(new URL(origin).port);
    say(`proxy in workerd (pid ${proxy.pid}) on ${origin}, K2 tap on ${side.tapUrl}`);

    const kvSwitch = async (down?: boolean) => {
      const answer = await fetch(`${origin}/__soak/kv`, {
        method: down === undefined ? "GET" : "POST",
        body: down === undefined ? undefined : JSON.stringify({ down }),
        signal: AbortSignal.timeout(5000),
      });
      return (await answer.json()) as {
        down: boolean;
        calls: Record<string, number>;
        thrown: Record<string, number>;
      };
    };

    // --- the driver ---
    const outcomes = new Outcomes(options.maxRequests);
    const prefix = `soak-${Date.now().toString(36)}-`;
    let sent = 0;
    let open = 0;
    const t0 = performance.now();
    const endAt = t0 + options.durationSeconds * 1000;

    const send = (seq: number) =>
      new Promise<void>((resolve) => {
        const reference = `${prefix}${seq}`;
        const body = JSON.stringify({
          ...STK_PUSH,
          metadata: { reference },
          _links: { callback_url: `${side.callbackUrl}/result?reference=${reference}` },
        });
        const started = performance.now();
        let settled = false;
        const finish = (status: number, code: string, broken = false) => {
          if (settled) return;
          settled = true;
          clearTimeout(deadline);
          outcomes.status[seq] = status;
          outcomes.code[seq] = outcomes.codeOf(code);
          outcomes.broken[seq] = broken ? 1 : 0;
          outcomes.latencyMs[seq] = performance.now() - started;
          open--;
          resolve();
        };
        open++;
        const request = httpRequest(
          {
            host: "127.0.0.1",
            port,
            method: "POST",
            path: API_PATH,
            agent,
            headers: {
              authorization: `Bearer ${SOAK_PROXY_KEY}`,
              "content-type": "application/json",
              "content-length": Buffer.byteLength(body),
              "accept-encoding": "identity",
              "x-request-id": reference,
            },
          },
          (response) => {
            const status = response.statusCode ?? 0;
            const chunks: Buffer[] = [];
            response.on("data", (chunk: Buffer) => chunks.push(chunk));
            response.on("end", () => finish(status, status >= 400 ? errorCode(Buffer.concat(chunks).toString()) : ""));
            response.on("close", () => {
              if (!response.complete) finish(status, "body broke off", true);
            });
            response.on("error", () => finish(status, "body broke off", true));
          },
        );
        const deadline = setTimeout(() => {
          finish(-1, "driver deadline");
          request.destroy();
        }, clientTimeoutMs);
        request.on("error", (error: NodeJS.ErrnoException) => finish(-1, error.code ?? error.message));
        request.end(body);
      });

    const connection = async () => {
      while (!stop.signal.aborted && sent < options.maxRequests && performance.now() < endAt) {
        await send(sent++);
      }
    };

    // --- memory over time ---
    const samples: SoakReport["memory"]["samples"] = [];
    const sample = () =>
      samples.push({
        t: Math.round((performance.now() - t0) / 100) / 10,
        workerdRssBytes: proxy.rssBytes(),
        driverHeapBytes: process.memoryUsage().heapUsed,
      });
    sample();
    timers.push(setInterval(sample, options.sampleEveryMs));

    // --- the fault schedule ---
    const faults: FaultRecord[] = options.faults.map((name) => ({
      name,
      atSeconds: null,
      expected: EXPECTED[name],
      observed: false,
      evidence: "not run: no time left",
    }));
    const starts = new Map<FaultName, number>();
    let revokeAvailable = false;
    const schedule = async () => {
      const n = options.faults.length;
      const span = options.durationSeconds * 1000;
      let last = Number.NEGATIVE_INFINITY;
      for (let i = 0; i < n; i++) {
        const name = options.faults[i]!;
        const planned = t0 + span * (0.08 + (0.72 * i) / Math.max(1, n - 1));
        const at = Math.max(planned, last + faultGapMs);
        // Each fault gets time to play out before the load ends.
        if (at + faultGapMs > endAt) break;
        await sleep(at - performance.now(), stop.signal);
        if (stop.signal.aborted) break;
        const atSeconds = Math.round((performance.now() - t0) / 100) / 10;
        faults[i]!.atSeconds = atSeconds;
        const tokenFault = (fault: Fault) => side.inject(TOKEN_PATH, fault).then(() => side.expireAllTokens());
        let mark: { exchanges: number };
        switch (name) {
          case "token-expiry":
          case "token-expiry-after-kv-outage":
            mark = await side.expireAllTokens();
            break;
          case "revocation": {
            const revoked = await side.revokeAllTokens();
            revokeAvailable = revoked.revokeAvailable;
            mark = revoked;
            break;
          }
          case "token-5xx":
            mark = await side.mark();
            await tokenFault({
              status: 503,
              headers: { "content-type": "application/json" },
              body: '{"error":"server_error"}',
            });
            break;
          case "token-drop":
            mark = await side.mark();
            await tokenFault("drop");
            break;
          case "token-html":
            mark = await side.mark();
            await tokenFault({
              status: 200,
              headers: { "content-type": "text/html; charset=utf-8" },
              body: "<!doctype html><html><body><h1>Service temporarily unavailable</h1></body></html>",
            });
            break;
          case "token-hang":
            mark = await side.mark();
            await tokenFault("hang");
            break;
          case "kv-down":
            mark = await side.mark();
            await kvSwitch(true);
            // With KV down, a renewal must read and write KV: expire the token so that one happens.
            await side.expireAllTokens();
            await sleep(faultGapMs, stop.signal);
            await kvSwitch(false);
            break;
          case "api-5xx":
            mark = await side.inject(API_PATH, {
              status: 500,
              headers: { "content-type": "application/json" },
              body: '{"error_code":500,"error_message":"soak: injected"}',
            });
            break;
          case "api-drop":
            mark = await side.inject(API_PATH, "drop");
            break;
          case "api-truncate":
            mark = await side.inject(API_PATH, "truncate");
            break;
          case "api-hang":
            mark = await side.inject(API_PATH, "hang");
            break;
        }
        starts.set(name, mark.exchanges);
        faults[i]!.evidence = "applied";
        say(`${atSeconds.toFixed(1)} s: ${name}`);
        last = performance.now();
      }
    };

    say(
      `load: ${options.connections} connections, ${options.durationSeconds} s, at most ${options.maxRequests} requests`,
    );
    const kvBefore = await kvSwitch();
    await Promise.all([schedule(), ...Array.from({ length: options.connections }, connection)]);
    const loadSeconds = (performance.now() - t0) / 1000;
    sample();
    for (const timer of timers.splice(0)) clearInterval(timer);
    const kv = await kvSwitch(false);
    const summary = await side.summary();
    say(`load done in ${loadSeconds.toFixed(1)} s: ${sent} sent`);
    return analyse({
      options: { ...options, clientTimeoutMs, faultGapMs },
      sent,
      open,
      outcomes,
      prefix,
      summary,
      faults,
      starts,
      kv: {
        calls: diff(kv.calls, kvBefore.calls),
        thrown: diff(kv.thrown, kvBefore.thrown),
      },
      proxyLog: readProxyLog(proxy.output()),
      revokeAvailable: revokeAvailable || summary.revokeAvailable,
      samples,
      loadSeconds,
    });
  };

  try {
    return await Promise.race([work(), hardTimeout]);
  } finally {
    clearTimeout(hardTimer);
    stop.abort();
    for (const timer of timers) clearInterval(timer);
    agent.destroy();
    await workerd?.stop();
    await k2?.stop();
    // Whatever did not stop by itself.
    killAll();
  }
}

function diff(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(after).map(([key, value]) => [key, value - (before[key] ?? 0)]));
}

function percentileOf(sorted: Float32Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

interface AnalysisInput {
  options: SoakReport["options"];
  sent: number;
  open: number;
  outcomes: Outcomes;
  prefix: string;
  summary: K2Summary;
  faults: FaultRecord[];
  starts: Map<FaultName, number>;
  kv: SoakReport["kv"];
  proxyLog: SoakReport["proxyLog"];
  revokeAvailable: boolean;
  samples: SoakReport["memory"]["samples"];
  loadSeconds: number;
}

function analyse(input: AnalysisInput): SoakReport {
  const { outcomes, sent, summary } = input;
  const records = summary.records;

  // What the callers got.
  const byStatus: Record<string, number> = {};
  const byOutcome: Record<string, number> = {};
  let answered = 0;
  let unanswered = 0;
  let brokenBodies = 0;
  const latencies: number[] = [];
  for (let seq = 0; seq < sent; seq++) {
    const status = outcomes.status[seq]!;
    const code = outcomes.codes[outcomes.code[seq]!]!;
    const statusKey = status === -1 ? "no answer" : status === 0 ? "open" : String(status);
    byStatus[statusKey] = (byStatus[statusKey] ?? 0) + 1;
    const outcomeKey = [statusKey, code].filter(Boolean).join(" ");
    byOutcome[outcomeKey] = (byOutcome[outcomeKey] ?? 0) + 1;
    if (status > 0) {
      answered++;
      latencies.push(outcomes.latencyMs[seq]!);
    } else if (status === -1) unanswered++;
    if (outcomes.broken[seq]) brokenBodies++;
  }
  const sorted = Float32Array.from(latencies).sort();

  // What K2 received, by reference.
  const byReference = new Map<number, number[]>();
  let unknownReferences = 0;
  let apiRequests = 0;
  let tokenAtTap = 0;
  for (let i = 0; i < records.kind.length; i++) {
    if (records.kind[i] === 0) tokenAtTap++;
    if (records.kind[i] !== 1) continue;
    apiRequests++;
    const reference = records.reference[i]!;
    const seq = reference.startsWith(input.prefix) ? Number(reference.slice(input.prefix.length)) : Number.NaN;
    if (!Number.isInteger(seq) || seq < 0 || seq >= sent) {
      unknownReferences++;
      continue;
    }
    const list = byReference.get(seq);
    if (list) list.push(i);
    else byReference.set(seq, [i]);
  }
  let receivedTwice = 0;
  let replaysAfter401 = 0;
  const duplicateSamples: SoakReport["k2"]["duplicateSamples"] = [];
  for (const [seq, list] of byReference) {
    if (list.length < 2) continue;
    receivedTwice++;
    const [first, second] = list as [number, number];
    const replay =
      list.length === 2 && records.outcome[first] === 401 && records.token[second] !== records.token[first];
    if (replay) replaysAfter401++;
    else if (duplicateSamples.length < 10)
      duplicateSamples.push({
        reference: `${input.prefix}${seq}`,
        outcomes: list.map((i) => outcomeName(records.outcome[i]!)),
      });
  }

  // Failures, by what K2 saw of the payment.
  const byK2Side: Record<string, number> = {};
  let failures = 0;
  let ambiguous = 0;
  for (let seq = 0; seq < sent; seq++) {
    const status = outcomes.status[seq]!;
    const failed = status === -1 || status >= 500 || outcomes.broken[seq] === 1;
    if (!failed) continue;
    failures++;
    const seen = (byReference.get(seq) ?? []).map((i) => records.outcome[i]!);
    let side: string;
    if (seen.length === 0) side = "K2 never received it (safe to retry)";
    else if (seen.every((outcome) => outcome >= 400 && outcome < 500))
      side = "K2 refused it with a 4xx (safe to retry)";
    else if (seen.some((outcome) => outcome >= 200 && outcome < 300)) side = "K2 answered 2xx: accepted, answer lost";
    else if (seen.includes(TRUNCATED)) side = "K2's answer broke off: may exist";
    else if (seen.includes(DROPPED)) side = "K2 dropped the connection: may exist";
    else if (seen.includes(ABANDONED)) side = "K2 did not answer in time: may exist";
    else side = "K2 answered 5xx: may exist";
    if (!side.endsWith("(safe to retry)")) ambiguous++;
    byK2Side[side] = (byK2Side[side] ?? 0) + 1;
  }

  // Did each fault happen?
  const after = (name: FaultName, kind: number, test: (i: number) => boolean): number => {
    const start = input.starts.get(name);
    if (start === undefined) return -1;
    for (let i = start; i < records.kind.length; i++) if (records.kind[i] === kind && test(i)) return i;
    return -1;
  };
  for (const fault of input.faults) {
    if (fault.atSeconds === null) continue;
    let found = -1;
    let what = "";
    switch (fault.name) {
      case "token-expiry":
      case "revocation":
      case "token-expiry-after-kv-outage":
        found = after(fault.name, 1, (i) => records.outcome[i] === 401);
        what = "an API request answered 401 by K2";
        break;
      case "token-5xx":
        found = after(fault.name, 0, (i) => records.outcome[i] === 503);
        what = "a token request answered 503";
        break;
      case "token-drop":
        found = after(fault.name, 0, (i) => records.outcome[i] === DROPPED);
        what = "a token request whose connection K2 dropped";
        break;
      case "token-html":
        found = after(fault.name, 0, (i) => records.html[i] === 1);
        what = "a token request answered with HTML";
        break;
      case "token-hang":
        found = after(fault.name, 0, (i) => records.outcome[i] === ABANDONED);
        what = "a token request K2 left unanswered until the proxy gave up";
        break;
      case "api-5xx":
        found = after(fault.name, 1, (i) => records.outcome[i] === 500);
        what = "an API request answered 500";
        break;
      case "api-drop":
        found = after(fault.name, 1, (i) => records.outcome[i] === DROPPED);
        what = "an API request whose connection K2 dropped";
        break;
      case "api-truncate":
        found = after(fault.name, 1, (i) => records.outcome[i] === TRUNCATED);
        what = "an API answer that broke off";
        break;
      case "api-hang":
        found = after(fault.name, 1, (i) => records.outcome[i] === ABANDONED);
        what = "an API request K2 left unanswered until the proxy gave up";
        break;
      case "kv-down": {
        const thrown = Object.values(input.kv.thrown).reduce((sum, n) => sum + n, 0);
        fault.observed = thrown > 0;
        fault.evidence = `KV operations that threw: ${JSON.stringify(input.kv.thrown)}`;
        continue;
      }
    }
    fault.observed = found >= 0;
    fault.evidence = found >= 0 ? `${what}: K2 exchange #${found}` : `no ${what} after it`;
  }

  const atSandbox = input.summary.sandbox[`POST ${TOKEN_PATH}`] ?? 0;
  return {
    generatedAt: new Date().toISOString(),
    options: input.options,
    machine: { node: process.version, workerd: execFileSync(WORKERD, ["--version"], { encoding: "utf8" }).trim() },
    loadSeconds: input.loadSeconds,
    sent,
    answered,
    unanswered,
    brokenBodies,
    leftOpen: input.open,
    byStatus,
    byOutcome,
    latencyMs: { p50: percentileOf(sorted, 0.5), p99: percentileOf(sorted, 0.99), max: sorted.at(-1) ?? Number.NaN },
    tokenRequests: { atTap: tokenAtTap, atSandbox },
    k2: {
      apiRequests,
      references: byReference.size,
      receivedTwice,
      replaysAfter401,
      duplicates: receivedTwice - replaysAfter401,
      duplicateSamples,
      unknownReferences,
      neverReceived: sent - byReference.size,
    },
    failures: { total: failures, ambiguous, byK2Side },
    faults: input.faults,
    kv: input.kv,
    proxyLog: input.proxyLog,
    callbacksReceived: summary.callbacks,
    revokeAvailable: input.revokeAvailable,
    sandboxSaw: summary.sandbox,
    memory: { samples: input.samples, k2SideHeapBytes: summary.heapUsed },
  };
}
