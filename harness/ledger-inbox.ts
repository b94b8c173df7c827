/**
 * The Worker's two Durable Object write paths under load, in `workerd serve` (workerd.ts) as the
 * proxy-cost benchmark runs the proxy: the reference Worker (worker/index.ts) with the ledger, the
 * inbox, the resource owners, the token broker and the idempotency keys bound as wrangler.toml
 * binds them (SQLite-backed, in memory), forwarding off, in front of the K2 sandbox in its own
 * process. Here rather than in bench/ so that the section stays a few lines.
 *
 * - Ledger writes: STK pushes through the proxy. Each 201 is one payment K2 (the sandbox) created
 *   and the ledger recorded, so the figure is the whole create path: key check, sandbox, owner
 *   record, ledger write. At the end the ledger is read back (`GET /payments`) and must hold one
 *   row per payment the sandbox created: a payment the ledger missed is still answered 201, so the
 *   answers alone prove nothing.
 * - Inbox stored events: signed webhooks posted to `/k2/callbacks`, each with an id never sent
 *   before, so each is a new event, stored (a `duplicate` answer would not count).
 *
 * Each workload runs for a bounded time and request count per round, the two alternating; the
 * figure is the median over rounds. Everything listens on 127.0.0.1.
 */
import { createHmac, randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import autocannon, { type RequestSpec } from "autocannon";
import { DEV_CLIENT } from "../sandbox/credentials.ts";
import { SAMPLE_STK_PUSH, buygoods } from "../sandbox/samples.ts";
import { SandboxProcess } from "./sandbox.ts";
import { Workerd, bundleWorker, deployedSettings } from "./workerd.ts";

export interface LedgerInboxInput {
  connections: number;
  durationSeconds: number;
  rounds: number;
  warmupSeconds: number;
  /** Upper bound on the requests of one load run, whatever its duration. */
  maxRequestsPerRun: number;
}

export interface WriteRun {
  /** Writes (201s, or `stored` answers) per second of the run. */
  perSecond: number;
  writes: number;
  /** Every other answer, error and timeout. */
  failed: number;
  /** workerd CPU time over the run per write, milliseconds. */
  cpuMsPerWrite: number;
  /** The first answer that was not a write, if any: what to look at when `failed` is not 0. */
  firstFailure?: string;
}

export interface WriteFigures {
  runs: WriteRun[];
  /** Medians over rounds. */
  perSecond: number;
  cpuMsPerWrite: number;
  failed: number;
}

export interface LedgerInboxResult {
  connections: number;
  durationSeconds: number;
  rounds: number;
  /**
   * `created`: STK pushes the sandbox received over the whole run (warm-up included), each one a
   * payment; `recorded`: rows in the ledger at the end. A request still in flight when a run stops
   * is created and recorded without its 201 being counted, so these two are compared, not the 201s.
   */
  ledger: WriteFigures & { created: number; recorded: number };
  inbox: WriteFigures;
}

type Workload = "ledger" | "inbox";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const PROXY_KEY = "k2-edge-bench-ledger-key-0123456789";
// A development value for the sandbox run only: the key the inbox checks K2's signature with.
const API_KEY = "k2-edge-bench-webhook-api-key-0123456789";
// 254700000007 succeeds and never sends its callback: the sandbox posts nothing to the inbox
// meanwhile, so the inbox figure is only the webhooks sent here.
const STK_BODY = JSON.stringify({
  ...SAMPLE_STK_PUSH,
  subscriber: { ...SAMPLE_STK_PUSH.subscriber, phone_number: "+254700000007" },
});

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** A buygoods webhook never sent before, signed as K2 signs (`signWebhook`: hex HMAC-SHA256 of the body). */
let sent = 0;
const runId = randomBytes(4).toString("hex");
function webhook(): { body: string; signature: string } {
  const id = `bench-${runId}-${++sent}`;
  const body = JSON.stringify({
    topic: "buygoods_transaction_received",
    id,
    created_at: new Date().toISOString(),
    event: { type: "Buygoods Transaction", resource: { ...buygoods, id } },
    _links: { self: `https://sandbox.kopokopo.com/api/v2/webhook_events/${id}` },
  });
  // Synchronous, so that autocannon can build each request as it sends it; were it not what
  // signWebhook computes, the inbox would answer 401 and the warm-up would fail.
  return { body, signature: createHmac("sha256", API_KEY).update(body).digest("hex") };
}

function load(workload: Workload, origin: string, input: LedgerInboxInput, seconds: number, workerd: Workerd) {
  return new Promise<WriteRun>((resolve, reject) => {
    let writes = 0;
    let firstFailure: string | undefined;
    const answered = (written: boolean, status: number, body: string) => {
      if (written) writes++;
      else firstFailure ??= `${status} ${body.slice(0, 300)}`;
    };
    const cpuBefore = workerd.cpuMs();
    const request: RequestSpec =
      workload === "ledger"
        ? {
            method: "POST",
            path: "/api/v2/incoming_payments",
            headers: { authorization: `Bearer ${PROXY_KEY}`, "content-type": "application/json" },
            body: STK_BODY,
            onResponse: (status, body) => answered(status === 201, status, body),
          }
        : {
            method: "POST",
            path: "/k2/callbacks",
            setupRequest: (req) => {
              const { body, signature } = webhook();
              const headers = { "content-type": "application/json", "x-kopokopo-signature": signature };
              return { ...req, body, headers };
            },
            onResponse: (status, body) => answered(status === 200 && body.includes('"status":"stored"'), status, body),
          };
    const instance = autocannon(
      {
        url: origin,
        connections: input.connections,
        duration: seconds,
        maxOverallRequests: input.maxRequestsPerRun,
        timeout: 10,
        requests: [request],
      },
      (error, result) => {
        clearTimeout(watchdog);
        if (error) return reject(error);
        const cpuMs = workerd.cpuMs() - cpuBefore;
        const answered = result["2xx"] + result.non2xx;
        resolve({
          perSecond: writes / result.duration,
          writes,
          failed: answered - writes + result.errors + result.timeouts,
          cpuMsPerWrite: writes > 0 ? cpuMs / writes : Number.NaN,
          firstFailure,
        });
      },
    );
    // Bounded even if autocannon's own timer misbehaves.
    const watchdog = setTimeout(() => instance.stop(), (seconds + 15) * 1000);
  });
}

/** Rows in the ledger, paged as a backend would read them. */
async function ledgerRows(origin: string): Promise<number> {
  let rows = 0;
  for (let after = ""; ;) {
    const answer = await fetch(`${origin}/payments?limit=500${after}`, {
      headers: { authorization: `Bearer ${PROXY_KEY}` },
    });
    if (answer.status !== 200) throw new Error(`GET /payments: ${answer.status} ${await answer.text()}`);
    const page = (await answer.json()) as { payments: unknown[]; next: string | null };
    rows += page.payments.length;
    if (page.next === null) return rows;
    after = `&after=${encodeURIComponent(page.next)}`;
  }
}

function figures(runs: WriteRun[]): WriteFigures {
  return {
    runs,
    perSecond: median(runs.map((run) => run.perSecond)),
    cpuMsPerWrite: median(runs.map((run) => run.cpuMsPerWrite)),
    failed: runs.reduce((sum, run) => sum + run.failed, 0),
  };
}

export async function runLedgerInbox(input: LedgerInboxInput): Promise<LedgerInboxResult> {
  const sandbox = await SandboxProcess.start();
  let workerd: Workerd | undefined;
  try {
    const settings = deployedSettings();
    workerd = await Workerd.start({
      compatibilityDate: settings.compatibilityDate,
      workers: [
        {
          name: "proxy",
          script: await bundleWorker(`${ROOT}worker/index.ts`),
          // No FORWARD_URL: forwarding is off, so no queue is needed and stored means kept.
          vars: { ...settings.vars, K2_BASE_URL: sandbox.url },
          secrets: {
            K2_CLIENT_ID: DEV_CLIENT.clientId,
            K2_CLIENT_SECRET: DEV_CLIENT.clientSecret,
            K2_API_KEY: API_KEY,
            // A key id, so that the owner of each payment is recorded as it is for named keys.
            PROXY_KEYS: `bench:${PROXY_KEY}`,
          },
          kv: [settings.kvBinding],
          durableObjects: [
            { binding: "LEDGER", className: "PaymentLedger" },
            { binding: "INBOX", className: "K2Inbox" },
            { binding: "OWNERS", className: "ResourceOwners" },
            { binding: "TOKEN_BROKER", className: "TokenBroker" },
            { binding: "IDEMPOTENCY", className: "IdempotencyKeys" },
          ],
        },
      ],
    });
    const origin = workerd.urls.proxy!;
    const workloads: Workload[] = ["ledger", "inbox"];
    for (const workload of workloads) {
      const run = await load(workload, origin, input, input.warmupSeconds, workerd);
      if (run.writes === 0) throw new Error(`${workload}: nothing written in the warm-up: ${run.firstFailure}`);
    }
    const runs: Record<Workload, WriteRun[]> = { ledger: [], inbox: [] };
    for (let round = 0; round < input.rounds; round++) {
      // Rotate which goes first, so that neither always meets a cooler machine.
      for (const workload of round % 2 === 0 ? workloads : [...workloads].reverse()) {
        const run = await load(workload, origin, input, input.durationSeconds, workerd);
        runs[workload].push(run);
      }
    }
    return {
      connections: input.connections,
      durationSeconds: input.durationSeconds,
      rounds: input.rounds,
      // Nothing but the STK pushes reaches the sandbox's API: the token request is not counted there.
      ledger: { ...figures(runs.ledger), created: (await sandbox.counts()).api, recorded: await ledgerRows(origin) },
      inbox: figures(runs.inbox),
    };
  } finally {
    await workerd?.stop();
    await sandbox.stop();
  }
}
