/**
 * The soak report as Markdown (bench/soak-results.md), from a SoakReport.
 */
import type { SoakReport } from "../../harness/soak/soak.ts";

const n = (value: number) => value.toLocaleString("en-US");
const ms = (value: number) => (Number.isFinite(value) ? `${value.toFixed(value < 10 ? 2 : 1)} ms` : "n/a");
const mib = (value: number) => (Number.isFinite(value) ? `${(value / 2 ** 20).toFixed(1)} MiB` : "n/a");

function table(head: string[], rows: Array<Array<string | number>>): string {
  return [
    `| ${head.join(" | ")} |`,
    `|${head.map(() => "---").join("|")}|`,
    ...rows.map((row) => `| ${row.join(" | ")} |`),
  ].join("\n");
}

function counts(record: Record<string, number>): Array<[string, number]> {
  return Object.entries(record).sort((a, b) => b[1] - a[1]);
}

/** Memory samples thinned to about `rows` rows, first and last kept. */
function thinned(samples: SoakReport["memory"]["samples"], rows: number): SoakReport["memory"]["samples"] {
  if (samples.length <= rows) return samples;
  const step = (samples.length - 1) / (rows - 1);
  return Array.from({ length: rows }, (_, i) => samples[Math.round(i * step)]!);
}

/** One-line verdicts: what must hold in every soak. */
export function soakChecks(r: SoakReport): Array<{ check: string; ok: boolean; detail: string }> {
  const ran = r.faults.filter((fault) => fault.atSeconds !== null);
  return [
    {
      check: "no request K2 received twice, apart from 401 replays",
      ok: r.k2.duplicates === 0,
      detail: `${r.k2.receivedTwice} received twice, ${r.k2.replaysAfter401} of them replays after a 401, ${r.k2.duplicates} duplicates`,
    },
    {
      check: "an answer for every request sent",
      ok: r.unanswered === 0 && r.leftOpen === 0,
      detail: `${n(r.answered)} of ${n(r.sent)} answered, ${r.unanswered} without an answer, ${r.leftOpen} left open`,
    },
    {
      check: "every fault scheduled ran and was seen",
      ok: ran.length === r.faults.length && ran.every((fault) => fault.observed),
      detail: `${ran.length} of ${r.faults.length} ran, ${ran.filter((fault) => fault.observed).length} seen`,
    },
    {
      check: "every request K2 received carried a reference the driver sent",
      ok: r.k2.unknownReferences === 0,
      detail: `${r.k2.unknownReferences} unknown`,
    },
  ];
}

export function soakMarkdown(r: SoakReport): string {
  const o = r.options;
  const samples = r.memory.samples;
  const first = samples[0];
  const last = samples.at(-1);
  const workerdMax = Math.max(...samples.map((s) => s.workerdRssBytes));
  const driverMax = Math.max(...samples.map((s) => s.driverHeapBytes));
  return [
    "# Soak",
    "",
    `Written by \`npm run soak\` (bench/soak/run.ts) on ${r.generatedAt.slice(0, 19).replace("T", " ")} UTC: Node ${r.machine.node}, workerd ${r.machine.workerd} (\`workerd serve\`, no inspector). ` +
      `${o.connections} connections, ${o.durationSeconds} s (at most ${n(o.maxRequests)} requests) of \`POST /api/v2/incoming_payments\` STK pushes, each with its own reference; ` +
      `the proxy's upstream deadline (UPSTREAM_TIMEOUT_MS) ${o.upstreamTimeoutMs} ms, the driver's own ${o.clientTimeoutMs} ms. Everything on 127.0.0.1. See docs/benchmarks.md#soak for the method.`,
    "",
    table(
      ["check", "", "detail"],
      soakChecks(r).map((c) => [c.check, c.ok ? "ok" : "**FAILED**", c.detail]),
    ),
    "",
    "## Requests",
    "",
    table(
      ["", ""],
      [
        ["load time", `${r.loadSeconds.toFixed(1)} s`],
        ["sent", n(r.sent)],
        ["answered (a status came back)", n(r.answered)],
        ["of which the body broke off after the status", n(r.brokenBodies)],
        ["no answer (connection error or the driver's deadline)", n(r.unanswered)],
        ["throughput", `${n(Math.round(r.sent / r.loadSeconds))} requests/s`],
        [
          "latency p50 / p99 / max (answered)",
          `${ms(r.latencyMs.p50)} / ${ms(r.latencyMs.p99)} / ${ms(r.latencyMs.max)}`,
        ],
        [
          "token requests (at the tap / recorded by the sandbox)",
          `${r.tokenRequests.atTap} / ${r.tokenRequests.atSandbox}`,
        ],
        ["callbacks received from the sandbox", n(r.callbacksReceived)],
      ],
    ),
    "",
    "Answers by status and error code:",
    "",
    table(
      ["status and code", "requests"],
      counts(r.byOutcome).map(([key, value]) => [key, n(value)]),
    ),
    "",
    "## What K2 received",
    "",
    table(
      ["", ""],
      [
        ["API requests at K2", n(r.k2.apiRequests)],
        ["distinct references", n(r.k2.references)],
        ["references received twice", n(r.k2.receivedTwice)],
        ["... replays after a 401 (first copy answered 401, second sent with a new token)", n(r.k2.replaysAfter401)],
        ["... **duplicates**", n(r.k2.duplicates)],
        ["requests sent that K2 never received", n(r.k2.neverReceived)],
        ["references K2 received that the driver never sent", n(r.k2.unknownReferences)],
      ],
    ),
    ...(r.k2.duplicateSamples.length > 0
      ? ["", `Duplicates (first ${r.k2.duplicateSamples.length}): ${JSON.stringify(r.k2.duplicateSamples)}`]
      : []),
    "",
    "## Failures and ambiguous outcomes",
    "",
    `${n(r.failures.total)} requests ended in a 5xx, a broken answer or no answer; **${n(r.failures.ambiguous)} are ambiguous**: K2 did or may have received the payment, so the caller cannot know whether it exists (it must look it up, not resend blindly).`,
    "",
    table(
      ["what K2 saw of the payment", "requests"],
      counts(r.failures.byK2Side).map(([key, value]) => [key, n(value)]),
    ),
    "",
    "## Faults",
    "",
    table(
      ["fault", "at", "expected for callers", "seen", "evidence"],
      r.faults.map((fault) => [
        fault.name,
        fault.atSeconds === null ? "not run" : `${fault.atSeconds.toFixed(1)} s`,
        fault.expected,
        fault.observed ? "yes" : "**no**",
        fault.evidence,
      ]),
    ),
    "",
    `KV switch: operations ${JSON.stringify(r.kv.calls)}, of which threw while down ${JSON.stringify(r.kv.thrown)}. ` +
      `Revocation: ${r.revokeAvailable ? "the sandbox's `revokeAllTokens()`" : "the sandbox has no `revokeAllTokens()` yet, so it fell back to `expireAllTokens()`"}.`,
    "",
    `The proxy's log: ${n(r.proxyLog.lines)} request lines, ${n(r.proxyLog.replayed)} replayed, token sources ${JSON.stringify(r.proxyLog.tokenSources)}, error events ${JSON.stringify(r.proxyLog.errorEvents)} (logged once per isolate and kind).` +
      (r.proxyLog.other.length > 0 ? ` Other lines: ${JSON.stringify(r.proxyLog.other)}.` : ""),
    "",
    `What the sandbox recorded: ${JSON.stringify(r.sandboxSaw)}.`,
    "",
    "## Memory over time",
    "",
    `workerd's resident memory (/proc/<pid>/status) and the Node driver's used heap (the sandbox and the tap run in another process, whose heap was ${mib(r.memory.k2SideHeapBytes)} at the end). ` +
      `workerd ${mib(first?.workerdRssBytes ?? Number.NaN)} at the start, ${mib(last?.workerdRssBytes ?? Number.NaN)} at the end, at most ${mib(workerdMax)}; ` +
      `driver heap ${mib(first?.driverHeapBytes ?? Number.NaN)} at the start, ${mib(last?.driverHeapBytes ?? Number.NaN)} at the end, at most ${mib(driverMax)}.`,
    "",
    table(
      ["t (s)", "workerd RSS", "driver heap"],
      thinned(samples, 13).map((s) => [s.t.toFixed(1), mib(s.workerdRssBytes), mib(s.driverHeapBytes)]),
    ),
    "",
  ].join("\n");
}
