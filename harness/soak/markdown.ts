/**
 * The soak report as Markdown (bench/soak-results.md): the checks and the figures, as tables. What
 * they mean is in docs/benchmarks.md#soak.
 */
import { table } from "../markdown-table.ts";
import type { Figure, SoakReport } from "./soak.ts";

const n = (value: number) => value.toLocaleString("en-US");
const ms = (value: number) => (Number.isFinite(value) ? `${value.toFixed(value < 10 ? 2 : 1)} ms` : "n/a");
const mib = (value: number) => (Number.isFinite(value) ? `${(value / 2 ** 20).toFixed(1)} MiB` : "n/a");
const json = (value: unknown) => `\`${JSON.stringify(value)}\``;
const byCount = (record: Record<string, number>) =>
  Object.entries(record)
    .sort((a, b) => b[1] - a[1])
    .map(([key, value]) => [key, n(value)]);

function figureRow(name: string, figure: Figure, targetSuffix = ""): string[] {
  return [name, `${figure.target}${targetSuffix}`, n(figure.value), figure.met ? "met" : "**missed**", figure.detail];
}

/** One-line verdicts: what must hold in every soak. */
export function soakChecks(r: SoakReport): Array<{ check: string; ok: boolean; detail: string }> {
  const ran = r.faults.filter((fault) => fault.atSeconds !== null);
  return [
    {
      check: "no payment K2 received twice for one order and Idempotency-Key (401 replays and refused copies apart)",
      ok: r.k2.duplicates === 0,
      detail: r.figures.duplicatesAtK2.detail,
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
      check: "the rotation ran: 2xx under both keys, and keyed retries crossed the switch",
      ok:
        !r.faults.some((fault) => fault.name === "key-rotation") ||
        (r.rotation.answeredUnderOld > 0 && r.rotation.answeredUnderNew > 0 && r.rotation.retriesAcrossSwitch > 0),
      detail:
        r.rotation.atSeconds === null
          ? "not run"
          : `at ${r.rotation.atSeconds.toFixed(1)} s; 2xx under the old key ${n(r.rotation.answeredUnderOld)}, under the new ${n(r.rotation.answeredUnderNew)}; ${r.rotation.retriesAcrossSwitch} retries across the switch`,
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
  const workerd = r.memory.samples.map((s) => s.workerdRssBytes);
  const driver = r.memory.samples.map((s) => s.driverHeapBytes);
  const memory = (values: number[]) =>
    `${mib(values[0] ?? Number.NaN)} → ${mib(values.at(-1) ?? Number.NaN)} (at most ${mib(Math.max(...values))})`;
  return [
    "# Soak",
    "",
    `Written by \`npm run soak\` on ${r.generatedAt.slice(0, 19).replace("T", " ")} UTC: Node ${r.machine.node}, workerd ${r.machine.workerd}; ` +
      `${o.connections} connections, ${o.durationSeconds} s (at most ${n(o.maxRequests)} requests), upstream deadline ${o.upstreamTimeoutMs} ms, the driver's ${o.clientTimeoutMs} ms. ` +
      "Method and meaning: [docs/benchmarks.md](../docs/benchmarks.md#soak).",
    "",
    table(
      "check||detail",
      soakChecks(r).map((c) => [c.check, c.ok ? "ok" : "**FAILED**", c.detail]),
    ),
    "",
    table("figure|target|result|verdict|detail", [
      figureRow("duplicates at K2", r.figures.duplicatesAtK2),
      figureRow("caller-visible 401s", r.figures.callerVisible401s),
      figureRow(
        "token requests per cold start (most in one episode)",
        r.figures.tokenRequestsPerColdStart,
        " in every episode",
      ),
    ]),
    "",
    table("figure|", [
      ["load time; throughput", `${r.loadSeconds.toFixed(1)} s; ${n(Math.round(r.sent / r.loadSeconds))} requests/s`],
      [
        "sent / answered / no answer / body broke off",
        `${n(r.sent)} / ${n(r.answered)} / ${n(r.unanswered)} / ${n(r.brokenBodies)}`,
      ],
      ["latency p50 / p99 / max", `${ms(r.latencyMs.p50)} / ${ms(r.latencyMs.p99)} / ${ms(r.latencyMs.max)}`],
      ["token requests (tap / sandbox)", `${r.tokenRequests.atTap} / ${r.tokenRequests.atSandbox}`],
      ["token broker bound", r.options.tokenBroker ? "yes" : "no (KV alone)"],
      [
        "retries with the same Idempotency-Key: sent; requests retried; what they got",
        `${n(r.retries.sent)}; ${n(r.retries.requests)}; ${json(r.retries.byOutcome)}`,
      ],
      ["retries across the key switch: what they got", json(r.rotation.acrossSwitchOutcomes)],
      ["API requests at K2; distinct references", `${n(r.k2.apiRequests)}; ${n(r.k2.references)}`],
      [
        "received twice: replays after a 401 / sent again after a refusal / **duplicates**",
        `${n(r.k2.replaysAfter401)} / ${n(r.k2.resentAfterRefusal)} / ${n(r.k2.duplicates)}`,
      ],
      ["sent but never received; received but never sent", `${n(r.k2.neverReceived)}; ${n(r.k2.unknownReferences)}`],
      ["failures (5xx, broken or none); **ambiguous**", `${n(r.failures.total)}; ${n(r.failures.ambiguous)}`],
      ["callbacks received", n(r.callbacksReceived)],
      ["KV operations; thrown while down", `${json(r.kv.calls)}; ${json(r.kv.thrown)}`],
      ["revocation", r.revokeAvailable ? "`revokeAllTokens()`" : "`expireAllTokens()` (no `revokeAllTokens()`)"],
      [
        "proxy log: lines, replayed, token sources",
        `${n(r.proxyLog.lines)}, ${n(r.proxyLog.replayed)}, ${json(r.proxyLog.tokenSources)}`,
      ],
      ["proxy log: error events; other lines", `${json(r.proxyLog.errorEvents)}; ${json(r.proxyLog.other)}`],
      ["the sandbox recorded", json(r.sandboxSaw)],
      ["workerd RSS: start → end", memory(workerd)],
      ["driver heap: start → end; K2 side's at the end", `${memory(driver)}; ${mib(r.memory.k2SideHeapBytes)}`],
      ...(r.k2.duplicateSamples.length > 0 ? [["duplicates (first few)", json(r.k2.duplicateSamples)]] : []),
      ...(r.figures.callerVisible401s.samples.length > 0
        ? [["caller-visible 401s (first few)", json(r.figures.callerVisible401s.samples)]]
        : []),
    ]),
    "",
    table(
      "token episode|at|token requests|granted|refused",
      r.figures.tokenRequestsPerColdStart.episodes.map((episode) => [
        episode.name,
        `${episode.atSeconds.toFixed(1)} s`,
        n(episode.tokenRequests),
        episode.granted === 1 ? "1" : `**${n(episode.granted)}**`,
        n(episode.refused),
      ]),
    ),
    "",
    table("answer (last attempt): status and code|requests", byCount(r.byOutcome)),
    "",
    table("failure: what K2 saw of the payment|requests", byCount(r.failures.byK2Side)),
    "",
    table(
      "fault|at|expected for callers|seen|evidence",
      r.faults.map((fault) => [
        fault.name,
        fault.atSeconds === null ? "not run" : `${fault.atSeconds.toFixed(1)} s`,
        fault.expected,
        fault.observed ? "yes" : "**no**",
        fault.evidence,
      ]),
    ),
    "",
  ].join("\n");
}
