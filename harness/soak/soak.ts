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

/**
 * The soak's caller keys, one id and two keys as in a rotation: fixed development values, like
 * sandbox/credentials.ts's (never a real secret). Callers use the first until `key-rotation`, the
 * second after it.
 */
const SOAK_CALLER_ID = "soak";
const SOAK_PROXY_KEYS = ["k2-edge-soak-proxy-key-old-0123456789", "k2-edge-soak-proxy-key-new-0123456789"] as const;

/**
 * `token-slow`: this many 503s, each with `Retry-After: 1`, before K2 grants a token, so that a
 * renewal takes about 2 s: longer than an isolate waits on the token broker (1.5 s by default).
 */
const SLOW_TOKEN_503S = 2;
const SLOW_TOKEN_RETRY_AFTER_S = 1;
const SLOW_TOKEN_MS = SLOW_TOKEN_503S * SLOW_TOKEN_RETRY_AFTER_S * 1000;
/** `key-rotation`: API requests dropped under the old key just before the switch, so that their retries cross it. */
const ROTATION_DROPS = 2;

/** How often the driver retries one request (same body, same Idempotency-Key), and after how long. */
const MAX_RETRIES = 3;
const RETRY_DELAY_MS = 100;

export const FAULT_NAMES = [
  "token-expiry",
  "revocation",
  "token-5xx",
  "token-drop",
  "token-html",
  "token-hang",
  "token-slow",
  "key-rotation",
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
  /** Whether the token broker's Durable Object is bound, as wrangler.toml binds it (default true). */
  tokenBroker?: boolean;
  /** Progress lines (never a secret). */
  progress?: (line: string) => void;
}

/** One of the soak's headline figures, with its target. */
export interface Figure {
  value: number;
  target: number;
  met: boolean;
  detail: string;
}

/**
 * A cold start or renewal: the start of the load (cold isolate), or a fault that makes the proxy
 * need a new token. Its window runs from the fault to the next fault (or the end of the run).
 */
export interface TokenEpisode {
  name: "cold start" | FaultName;
  atSeconds: number;
  /** Exchanges at K2's token endpoint in the window. */
  tokenRequests: number;
  /** ...of which K2 answered with a token (2xx, not HTML): what the figure counts. */
  granted: number;
  /** ...and those K2 answered with the fault (a 5xx, HTML, a dropped connection, no answer). */
  refused: number;
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
  options: Omit<SoakOptions, "progress" | "tokenBroker"> & {
    clientTimeoutMs: number;
    faultGapMs: number;
    tokenBroker: boolean;
  };
  machine: { node: string; workerd: string };
  loadSeconds: number;
  /** The three figures with targets: duplicates at K2, caller-visible 401s, token requests per cold start. */
  figures: {
    /** Payments K2 received more than once for one idempotency key (one order): target 0. */
    duplicatesAtK2: Figure;
    /** Answers with status 401 the callers got, retries included: target 0. */
    callerVisible401s: Figure & {
      byCode: Record<string, number>;
      /** The first few: the request, when, and what K2 answered each copy it received (with which token). */
      samples: Array<{ reference: string; atSeconds: number; k2: string[] }>;
    };
    /** The most tokens K2 granted in one cold start or renewal episode: target 1 (never two at once). */
    tokenRequestsPerColdStart: Figure & { episodes: TokenEpisode[] };
  };
  /** The proxy-key rotation: one id, two keys; callers switch at `key-rotation`. */
  rotation: {
    /** Seconds from the start of the load when callers switched to the new key; null when it did not run. */
    atSeconds: number | null;
    /** Answers with a 2xx to requests sent under the old key, and under the new one. */
    answeredUnderOld: number;
    answeredUnderNew: number;
    /** Retries (same body, same Idempotency-Key) of requests first sent under the old key, sent under the new one. */
    retriesAcrossSwitch: number;
    /** What those retries got, by status and code. */
    acrossSwitchOutcomes: Record<string, number>;
  };
  /** The driver's retries: every request answered 5xx, 409 in_progress, cut off or not at all is sent again with its key. */
  retries: {
    /** Retry attempts sent. */
    sent: number;
    /** Requests retried at least once. */
    requests: number;
    /** What the retries got, by status and code. */
    byOutcome: Record<string, number>;
  };
  /** Requests (each with its own reference and Idempotency-Key), counted once however often retried. */
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
    /** ...of which: every copy but one was refused by K2 with a 4xx (nothing created), other than the replay above. */
    resentAfterRefusal: number;
    /** ...and the rest: two or more copies K2 did not refuse, so may have acted on: duplicates (must be 0). */
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
  "token-slow": "401 from K2, then a renewal slowed by 503s with Retry-After: 201, later",
  "key-rotation":
    "old-key requests dropped: 502 upstream_outcome_unknown; their retries under the new key: 409 outcome_unknown",
  "kv-down": "none: the token is fetched and kept in memory (201)",
  "token-expiry-after-kv-outage": "401 from K2, one replay with a new token: 201",
  "api-5xx": "500 from K2, passed through, for one caller",
  "api-drop": "502 upstream_outcome_unknown for one caller (K2 had the request)",
  "api-truncate": "502 upstream_truncated (hardened Worker) or K2's status with a broken body, for one caller",
  "api-hang": "504 upstream_outcome_unknown for one caller (K2 had the request)",
};

/** Faults after which the proxy needs a new token: each starts a token episode. */
const RENEWALS: ReadonlySet<FaultName> = new Set<FaultName>([
  "token-expiry",
  "revocation",
  "token-5xx",
  "token-drop",
  "token-html",
  "token-hang",
  "token-slow",
  "kv-down",
  "token-expiry-after-kv-outage",
]);

/** Outcomes of the requests sent, column by column (index = sequence number; the last attempt's). */
class Outcomes {
  /** HTTP status; 0 not settled; -1 no answer. */
  readonly status: Int16Array;
  /** Index into `codes`: the answer's error code, or the transport error. */
  readonly code: Uint16Array;
  readonly latencyMs: Float32Array;
  readonly broken: Uint8Array;
  /** Attempts sent so far (1 + retries). */
  readonly attempts: Uint8Array;
  /** The caller key the first attempt used: 0 the old, 1 the new. */
  readonly firstKey: Uint8Array;
  readonly codes: string[] = [""];
  readonly #codeIndex = new Map<string, number>([["", 0]]);

  constructor(capacity: number) {
    this.status = new Int16Array(capacity);
    this.code = new Uint16Array(capacity);
    this.latencyMs = new Float32Array(capacity);
    this.broken = new Uint8Array(capacity);
    this.attempts = new Uint8Array(capacity);
    this.firstKey = new Uint8Array(capacity);
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

/**
 * Whether a caller following docs/proxy-worker.md sends the request again with the same key: when
 * it cannot know what happened (no answer, a cut-off answer, a 5xx) or was told to come back
 * (`409 in_progress`). `409 outcome_unknown` is final: the key says it was sent.
 */
function retryable(status: number, code: string, broken: boolean): boolean {
  return status === -1 || broken || status >= 500 || (status === 409 && code === "in_progress");
}

const tally = (record: Record<string, number>, key: string) => {
  record[key] = (record[key] ?? 0) + 1;
};

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
  const tokenBroker = options.tokenBroker ?? true;
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
            // Two keys under one id, as during a rotation: idempotency keys belong to the id.
            PROXY_KEYS: SOAK_PROXY_KEYS.map((key) => `${SOAK_CALLER_ID}:${key}`).join(","),
          },
          kv: [settings.kvBinding],
          durableObjects: [
            { binding: "IDEMPOTENCY", className: "IdempotencyKeys" },
            ...(tokenBroker ? [{ binding: "TOKEN_BROKER", className: "TokenBroker" }] : []),
          ],
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
    // The caller key in use (an index into SOAK_PROXY_KEYS); key-rotation moves it to 1.
    let callerKey = 0;
    let rotatedAt: number | null = null;
    const answeredUnder = [0, 0];
    const callers401: Record<string, number> = {};
    const samples401: Array<{ seq: number; atSeconds: number }> = [];
    const retryStats = { sent: 0, requests: 0, byOutcome: {} as Record<string, number> };
    const acrossSwitch: Record<string, number> = {};
    let retriesAcrossSwitch = 0;
    // Retries wait here until due; key-rotation holds them while it makes some fail under the old key.
    const retryQueue: Array<{ seq: number; at: number }> = [];
    let retriesHeld = false;

    const send = (seq: number) =>
      new Promise<void>((resolve) => {
        const reference = `${prefix}${seq}`;
        const attempt = outcomes.attempts[seq]!;
        outcomes.attempts[seq] = attempt + 1;
        const key = callerKey;
        if (attempt === 0) outcomes.firstKey[seq] = key;
        const crossed = attempt > 0 && outcomes.firstKey[seq] === 0 && key === 1;
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
          // Every 401 a caller saw, whichever attempt it was.
          if (status === 401) {
            tally(callers401, code || "(no code)");
            if (samples401.length < 10) samples401.push({ seq, atSeconds: Math.round((started - t0) / 100) / 10 });
          }
          if (status >= 200 && status < 300) answeredUnder[key]!++;
          const outcomeKey = [status === -1 ? "no answer" : String(status), code].filter(Boolean).join(" ");
          if (attempt > 0) {
            retryStats.sent++;
            if (attempt === 1) retryStats.requests++;
            tally(retryStats.byOutcome, outcomeKey);
          }
          if (crossed) {
            retriesAcrossSwitch++;
            tally(acrossSwitch, outcomeKey);
          }
          if (attempt < MAX_RETRIES && retryable(status, code, broken))
            retryQueue.push({ seq, at: performance.now() + RETRY_DELAY_MS });
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
              authorization: `Bearer ${SOAK_PROXY_KEYS[key]}`,
              "content-type": "application/json",
              "content-length": Buffer.byteLength(body),
              "accept-encoding": "identity",
              // The order's own key: the same on every retry, whichever caller key sends it.
              "idempotency-key": reference,
              "x-request-id": attempt === 0 ? reference : `${reference}.${attempt}`,
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

    const dueRetry = (): number | undefined => {
      if (retriesHeld) return undefined;
      const now = performance.now();
      const index = retryQueue.findIndex((retry) => retry.at <= now);
      return index === -1 ? undefined : retryQueue.splice(index, 1)[0]!.seq;
    };
    // Retries first; new requests until the duration or the cap; then the retries still to come,
    // which end by themselves (each request is retried at most MAX_RETRIES times, each under a deadline).
    const connection = async () => {
      while (!stop.signal.aborted) {
        const retry = dueRetry();
        if (retry !== undefined) await send(retry);
        else if (sent < options.maxRequests && performance.now() < endAt) await send(sent++);
        else if (retryQueue.length === 0 && open === 0) break;
        else await sleep(20, stop.signal);
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
        // Each fault gets time to play out before the load ends (a slow renewal, its own time too).
        if (at + faultGapMs + (name === "token-slow" ? SLOW_TOKEN_MS : 0) > endAt) break;
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
          case "token-slow": {
            // K2 asks to come back later, then grants: the renewal takes SLOW_TOKEN_MS while every
            // connection's request needs the new token (revocation: K2 refuses the one they hold).
            const busy: Fault = {
              status: 503,
              headers: { "content-type": "application/json", "retry-after": String(SLOW_TOKEN_RETRY_AFTER_S) },
              body: '{"error":"temporarily_unavailable"}',
            };
            mark = await side.inject(TOKEN_PATH, ...Array.from({ length: SLOW_TOKEN_503S }, () => busy));
            revokeAvailable = (await side.revokeAllTokens()).revokeAvailable || revokeAvailable;
            // The next fault waits until this renewal is over, so the two never share K2's fault queue.
            await sleep(SLOW_TOKEN_MS, stop.signal);
            break;
          }
          case "key-rotation": {
            // Some requests under the old key must fail without a known outcome, so that their
            // retries go out under the new key: hold retries, drop a few, wait for their answers
            // (bounded), then switch and let the retries go.
            retriesHeld = true;
            const waiting = () => retryQueue.filter((retry) => outcomes.firstKey[retry.seq] === 0).length;
            const before = waiting();
            mark = await side.inject(API_PATH, ...Array.from({ length: ROTATION_DROPS }, (): Fault => "drop"));
            const until = performance.now() + clientTimeoutMs;
            while (waiting() - before < ROTATION_DROPS && performance.now() < until && !stop.signal.aborted)
              await sleep(20, stop.signal);
            callerKey = 1;
            rotatedAt = Math.round((performance.now() - t0) / 100) / 10;
            retriesHeld = false;
            break;
          }
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
    const { progress: _progress, ...reported } = options;
    return analyse({
      options: { ...reported, clientTimeoutMs, faultGapMs, tokenBroker },
      driver: {
        answeredUnder,
        callers401,
        samples401,
        retries: retryStats,
        rotatedAt,
        retriesAcrossSwitch,
        acrossSwitch,
      },
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
  driver: {
    answeredUnder: number[];
    callers401: Record<string, number>;
    samples401: Array<{ seq: number; atSeconds: number }>;
    retries: SoakReport["retries"];
    rotatedAt: number | null;
    retriesAcrossSwitch: number;
    acrossSwitch: Record<string, number>;
  };
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
  let resentAfterRefusal = 0;
  let duplicates = 0;
  const duplicateSamples: SoakReport["k2"]["duplicateSamples"] = [];
  // A copy K2 refused with a 4xx created nothing; any other (2xx, 5xx, dropped, cut off, unanswered)
  // may have created a payment. One reference is one order and one Idempotency-Key.
  const refused = (i: number) => records.outcome[i]! >= 400 && records.outcome[i]! < 500;
  for (const [seq, list] of byReference) {
    if (list.length < 2) continue;
    receivedTwice++;
    const [first, second] = list as [number, number];
    const replay =
      list.length === 2 && records.outcome[first] === 401 && records.token[second] !== records.token[first];
    if (replay) replaysAfter401++;
    else if (list.filter((i) => !refused(i)).length <= 1) resentAfterRefusal++;
    else {
      duplicates++;
      if (duplicateSamples.length < 10)
        duplicateSamples.push({
          reference: `${input.prefix}${seq}`,
          outcomes: list.map((i) => outcomeName(records.outcome[i]!)),
        });
    }
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
  const granted = (i: number) => records.outcome[i]! >= 200 && records.outcome[i]! < 300 && records.html[i] === 0;
  const after = (name: FaultName, kind: number, test: (i: number) => boolean): number => {
    const start = input.starts.get(name);
    if (start === undefined) return -1;
    for (let i = start; i < records.kind.length; i++) if (records.kind[i] === kind && test(i)) return i;
    return -1;
  };
  // What shows that a fault happened: the first exchange after it (0 a token request, 1 an API call) that passes.
  const outcome = (value: number) => (i: number) => records.outcome[i] === value;
  const SEEN: Partial<Record<FaultName, [kind: 0 | 1, test: (i: number) => boolean, what: string]>> = {
    "token-expiry": [1, outcome(401), "an API request answered 401 by K2"],
    revocation: [1, outcome(401), "an API request answered 401 by K2"],
    "token-expiry-after-kv-outage": [1, outcome(401), "an API request answered 401 by K2"],
    "token-5xx": [0, outcome(503), "a token request answered 503"],
    "token-drop": [0, outcome(DROPPED), "a token request whose connection K2 dropped"],
    "token-html": [0, (i) => records.html[i] === 1, "a token request answered with HTML"],
    "token-hang": [0, outcome(ABANDONED), "a token request K2 left unanswered until the proxy gave up"],
    "api-5xx": [1, outcome(500), "an API request answered 500"],
    "api-drop": [1, outcome(DROPPED), "an API request whose connection K2 dropped"],
    "api-truncate": [1, outcome(TRUNCATED), "an API answer that broke off"],
    "api-hang": [1, outcome(ABANDONED), "an API request K2 left unanswered until the proxy gave up"],
  };
  for (const fault of input.faults) {
    if (fault.atSeconds === null) continue;
    const seen = SEEN[fault.name];
    if (seen) {
      const [kind, test, what] = seen;
      const found = after(fault.name, kind, test);
      fault.observed = found >= 0;
      fault.evidence = found >= 0 ? `${what}: K2 exchange #${found}` : `no ${what} after it`;
      continue;
    }
    switch (fault.name) {
      case "token-slow": {
        // Seen: K2 answered the token endpoint 503 (with Retry-After) as often as injected, then granted one.
        const start = input.starts.get(fault.name)!;
        const busy: number[] = [];
        let grantedAt = -1;
        for (let i = start; i < records.kind.length && grantedAt === -1; i++) {
          if (records.kind[i] !== 0) continue;
          if (records.outcome[i] === 503) busy.push(i);
          else if (busy.length >= SLOW_TOKEN_503S && granted(i)) grantedAt = i;
        }
        const refused401 = records.kind
          .slice(start, grantedAt === -1 ? start : grantedAt)
          .filter((kind, offset) => kind === 1 && records.outcome[start + offset] === 401).length;
        fault.observed = grantedAt >= 0;
        fault.evidence =
          grantedAt >= 0
            ? `${busy.length} token requests answered 503 with Retry-After (K2 exchanges #${busy.join(", #")}), ` +
              `then a token granted ${records.at[grantedAt]! - records.at[busy[0]!]!} ms after the first (#${grantedAt}); ` +
              `${refused401} API requests answered 401 meanwhile, needing it`
            : `no token granted after ${SLOW_TOKEN_503S} token requests answered 503 (saw ${busy.length})`;
        continue;
      }
      case "key-rotation": {
        const dropped = after(fault.name, 1, (i) => records.outcome[i] === DROPPED);
        const d = input.driver;
        fault.observed =
          dropped >= 0 && d.retriesAcrossSwitch > 0 && d.answeredUnder[0]! > 0 && d.answeredUnder[1]! > 0;
        fault.evidence =
          `API requests dropped under the old key from K2 exchange #${dropped}; ` +
          `${d.retriesAcrossSwitch} retries crossed the switch (${JSON.stringify(d.acrossSwitch)}); ` +
          `2xx under the old key ${d.answeredUnder[0]}, under the new ${d.answeredUnder[1]}`;
        continue;
      }
      case "kv-down": {
        const thrown = Object.values(input.kv.thrown).reduce((sum, n) => sum + n, 0);
        fault.observed = thrown > 0;
        fault.evidence = `KV operations that threw: ${JSON.stringify(input.kv.thrown)}`;
        continue;
      }
    }
  }

  // Token requests per cold start: each episode's window runs from its fault's mark (the oldest
  // exchange open when it was applied) to the next renewal's mark, or to the end: a renewal slowed
  // past a fault that needs no token (a key rotation, an API fault) is still its own episode's.
  const ran = input.faults
    .filter((fault) => fault.atSeconds !== null && input.starts.has(fault.name) && RENEWALS.has(fault.name))
    .map((fault) => ({ name: fault.name, atSeconds: fault.atSeconds!, start: input.starts.get(fault.name)! }));
  const windows = [{ name: "cold start" as const, atSeconds: 0, start: 0 }, ...ran];
  const episodes: TokenEpisode[] = [];
  windows.forEach((window, index) => {
    const end = windows[index + 1]?.start ?? records.kind.length;
    const episode: TokenEpisode = {
      name: window.name,
      atSeconds: window.atSeconds,
      tokenRequests: 0,
      granted: 0,
      refused: 0,
    };
    for (let i = window.start; i < end; i++) {
      if (records.kind[i] !== 0) continue;
      episode.tokenRequests++;
      if (granted(i)) episode.granted++;
      else if (records.outcome[i] !== PENDING) episode.refused++;
    }
    episodes.push(episode);
  });
  const mostGranted = episodes.reduce((most, episode) => Math.max(most, episode.granted), 0);
  const callers401 = Object.values(input.driver.callers401).reduce((sum, count) => sum + count, 0);

  const atSandbox = input.summary.sandbox[`POST ${TOKEN_PATH}`] ?? 0;
  return {
    generatedAt: new Date().toISOString(),
    options: input.options,
    machine: { node: process.version, workerd: execFileSync(WORKERD, ["--version"], { encoding: "utf8" }).trim() },
    loadSeconds: input.loadSeconds,
    figures: {
      duplicatesAtK2: {
        value: duplicates,
        target: 0,
        met: duplicates === 0,
        detail: `${receivedTwice} references received more than once: ${replaysAfter401} replays after a 401, ${resentAfterRefusal} sent again after K2 refused them, ${duplicates} duplicates`,
      },
      callerVisible401s: {
        value: callers401,
        target: 0,
        met: callers401 === 0,
        detail: `by code: ${JSON.stringify(input.driver.callers401)}`,
        byCode: input.driver.callers401,
        samples: input.driver.samples401.map(({ seq, atSeconds }) => ({
          reference: `${input.prefix}${seq}`,
          atSeconds,
          k2: (byReference.get(seq) ?? []).map(
            (i) => `${outcomeName(records.outcome[i]!)} (token ${records.token[i]})`,
          ),
        })),
      },
      tokenRequestsPerColdStart: {
        value: mostGranted,
        target: 1,
        // No episode granted two tokens (no stampede), and the cold start granted its one. An episode
        // may grant none: a renewal K2 failed (an HTML answer) is granted in a later one.
        met: episodes[0]?.granted === 1 && mostGranted <= 1,
        detail: episodes.map((episode) => `${episode.name} ${episode.granted}`).join(", "),
        episodes,
      },
    },
    rotation: {
      atSeconds: input.driver.rotatedAt,
      answeredUnderOld: input.driver.answeredUnder[0]!,
      answeredUnderNew: input.driver.answeredUnder[1]!,
      retriesAcrossSwitch: input.driver.retriesAcrossSwitch,
      acrossSwitchOutcomes: input.driver.acrossSwitch,
    },
    retries: input.driver.retries,
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
      resentAfterRefusal,
      duplicates,
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
