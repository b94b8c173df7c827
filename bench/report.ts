/**
 * Turns bench/results.json into bench/results.md, bench/size.svg and bench/herd.svg: the verdicts
 * against the targets, and one table per benchmark. What the figures mean, the method and the
 * findings behind a missed target are prose, kept in docs/benchmarks.md, not generated here.
 *
 * Run alone (`tsx bench/report.ts`) to redraw the report from the last results.json.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { barChart } from "./chart.ts";
import type { ColdHerdResult } from "./sections/cold-herd.ts";
import type { IsolatesResult } from "../harness/many-isolates.ts";
import type { LedgerInboxResult } from "../harness/ledger-inbox.ts";
import type { MemoryResult } from "./sections/memory.ts";
import type { ProxyResult } from "./sections/proxy.ts";
import type { RoundTripResult } from "./sections/round-trip.ts";
import type { SizeResult } from "./sections/size.ts";
import type { WarmTokenResult } from "./sections/warm-token.ts";
import { table } from "../harness/markdown-table.ts";
import { bytes, fmt, ratio, spread } from "./lib/stats.ts";

export interface BenchResults {
  generatedAt: string;
  quick: boolean;
  machine: { node: string; cpus: number; cpuModel: string; os: string; memoryGiB: number };
  versions: Record<string, string>;
  size: SizeResult;
  warm: WarmTokenResult;
  memory: MemoryResult;
  roundTrip: RoundTripResult;
  herd: ColdHerdResult[];
  proxy: ProxyResult;
  /** Absent from results written before the section existed. */
  ledgerInbox?: LedgerInboxResult;
  isolates: IsolatesResult;
}

interface Verdict {
  what: string;
  target: string;
  result: string;
  met: boolean;
}

const PEERS = ["k2-connect-node", "simple-oauth2", "oauth4webapi"];
const pct = (value: number) => `${Math.round(value * 100)}%`;
const signed = (value: number, digits: number) => `${value >= 0 ? "+" : ""}${fmt(value, digits)}`;
const n = (value: number) => value.toLocaleString("en-US");
const mib = (value: number) => `${fmt(value / 2 ** 20, 3)} MiB`;

/** The proxy's counts over its whole run: token requests, KV reads (inferred from the log) and errors. */
function proxyCounts(p: ProxyResult): { kvReads: string; kvMax: number; errors: number } {
  // A renewal reads KV once before the token endpoint, a 401 replay once more, and every line saying
  // "kv" was served by a renewal that read it (once at least, at most once per line).
  const kvServed = p.log.tokenSources.kv ?? 0;
  const min = p.tokenRequests + p.log.replayed + (kvServed > 0 ? 1 : 0);
  const max = p.tokenRequests + p.log.replayed + kvServed;
  const failed = p.levels.reduce((sum, level) => sum + level.workers.proxy.failed, 0);
  const non2xx = Object.entries(p.log.statuses)
    .filter(([status]) => !status.startsWith("2"))
    .reduce((sum, [, count]) => sum + count, 0);
  return { kvReads: min === max ? String(min) : `${min}–${max}`, kvMax: max, errors: failed + non2xx };
}

function verdicts(r: BenchResults): Verdict[] {
  const w = r.warm;
  const ours = r.herd.find((row) => row.id === "ours")!;
  const oursOneEach = ours.rounds.every(
    (round) => round.tokenRequests === 1 && round.errors === 0 && round.distinctTokens === 1,
  );
  const rt = (id: string) => r.roundTrip.rows.find((row) => row.id === id)!;
  const peers = r.roundTrip.rows.filter((row) => PEERS.includes(row.id));
  const sizeOf = (id: string) => r.size.rows.find((row) => row.id === id)!;
  const libraries = r.size.rows.filter((row) => row.id !== "ours" && row.id !== "fetch");
  const levels = r.proxy.levels.map((level) => ({ connections: level.connections, ...level.workers }));
  const passCpu = levels.map((level) => level.passthrough.cpuMsPerRequest);
  const counts = proxyCounts(r.proxy);
  const broker100 = r.isolates.runs.filter((run) => run.path === "broker" && run.isolates === 100);
  return [
    {
      what: "Warm token",
      target: "≤ 2× awaiting a resolved string",
      result: `${fmt(w.oursNs)} ns vs ${fmt(w.baselineNs)} ns: ${ratio(w.ratio)}`,
      met: w.ratio <= 2,
    },
    {
      what: "Cold herd",
      target: `exactly 1 token request for ${n(ours.callers)} concurrent first calls`,
      result:
        `${ours.rounds.map((round) => round.tokenRequests).join(", ")} (each round), all callers served in ${ours.medianMs === null ? "—" : `${fmt(ours.medianMs)} ms`}; ` +
        r.herd
          .filter((row) => row.id !== "ours")
          .map((row) => `${row.id} ${fmt(row.medianTokenRequests)}`)
          .join(", "),
      met: oursOneEach,
    },
    {
      what: "Token round trip",
      target: "≤ 1.10× hand-written fetch, faster than every peer",
      result:
        `${fmt(rt("ours").us)} µs, ${ratio(rt("ours").ratio)} hand-written; ours ÷ peer: ` +
        peers.map((peer) => `${peer.id} ${ratio(peer.oursRatio)}`).join(", "),
      met: rt("ours").ratio <= 1.1 && peers.every((peer) => peer.oursRatio < 1),
    },
    {
      what: "First token of a new client",
      target: "≤ 1.10× hand-written fetch (construction included)",
      result: `${fmt(rt("ours-new-client").us)} µs, ${ratio(rt("ours-new-client").ratio)} hand-written`,
      met: rt("ours-new-client").ratio <= 1.1,
    },
    {
      what: "Size",
      target: "smallest min+gzip bundle of the libraries",
      result: `${bytes(sizeOf("ours").gzipped)} vs ${libraries.map((row) => `${row.id} ${bytes(row.gzipped)}`).join(", ")}`,
      met: libraries.every((row) => sizeOf("ours").gzipped < row.gzipped),
    },
    {
      what: "Proxy throughput (workerd)",
      target: "≥ 95% of the pass-through Worker at every concurrency, both in workerd",
      result: levels.map((level) => `${level.connections}: ${pct(level.proxy.ratio)}`).join(", "),
      met: levels.every((level) => level.proxy.ratio >= 0.95),
    },
    {
      what: "Proxy CPU (workerd)",
      target: "≤ 0.1 ms CPU per request above the pass-through",
      result:
        levels.map((level) => `${level.connections}: +${fmt(level.proxy.addedCpuMsPerRequest, 3)} ms`).join(", ") +
        ` (pass-through ${fmt(Math.min(...passCpu), 2)}–${fmt(Math.max(...passCpu), 2)} ms)`,
      met: levels.every((level) => level.proxy.addedCpuMsPerRequest <= 0.1),
    },
    {
      what: "Proxy token and KV",
      target: "1 token request, ≤ 1 KV read, 0 errors for the whole run",
      result: `${r.proxy.tokenRequests} token request, ${counts.kvReads} KV read, ${counts.errors} errors in ${n(r.proxy.log.lines)} requests`,
      met: r.proxy.tokenRequests === 1 && counts.kvMax <= 1 && counts.errors === 0,
    },
    ...(r.ledgerInbox ? [ledgerInboxVerdict(r.ledgerInbox)] : []),
    {
      what: "Memory",
      target: "flat heap over 100,000 warm calls",
      result: `${fmt(r.memory.bytesPerCall, 2)} B/call over ${n(r.memory.calls)} calls`,
      met: r.memory.flat,
    },
    {
      what: "Cold isolates with the token broker",
      target: "100 cold isolates: 1 token request, 0 caller-visible 401s (with and without revoke-previous)",
      result: broker100
        .map(
          (run) =>
            `${run.revokePrevious ? "revoke-previous" : "plain"}: ${run.tokenRequests} / ${run.callerVisible401}`,
        )
        .join("; "),
      met: broker100.length === 2 && broker100.every((run) => run.tokenRequests === 1 && run.callerVisible401 === 0),
    },
  ];
}

function proxySection(p: ProxyResult): string[] {
  const rows = p.levels.flatMap((level) =>
    (["proxy", "passthrough"] as const).map((name) => {
      const w = level.workers[name];
      const base = name === "passthrough";
      return [
        level.connections,
        base ? "pass-through" : "**proxy (ours)**",
        fmt(w.rps),
        base ? "" : pct(w.ratio),
        fmt(w.p50, 3),
        fmt(w.p99, 3),
        base ? "" : signed(w.addedP50, 2),
        base ? "" : signed(w.addedP99, 2),
        fmt(w.cpuMsPerRequest, 3),
        base ? "" : signed(w.addedCpuMsPerRequest, 3),
        w.failed,
      ];
    }),
  );
  const counts = proxyCounts(p);
  return [
    `## Proxy cost in workerd (${p.workerd}; ${p.rounds} rounds × ${p.durationSeconds} s per level; tree ${p.tree})`,
    "",
    table(
      "connections|Worker|requests/s|× pass-through|p50 ms|p99 ms|added p50 ms|added p99 ms|CPU ms/request|added CPU ms/request|errors + non-2xx",
      rows,
    ),
    "",
    table("whole run of the proxy|", [
      ["requests logged", n(p.log.lines)],
      ["statuses; token sources", `${JSON.stringify(p.log.statuses)}; ${JSON.stringify(p.log.tokenSources)}`],
      ["replayed after a 401", p.log.replayed],
      ["token requests at the sandbox", p.tokenRequests],
      ["KV reads (inferred from the log)", counts.kvReads],
      ["error events", JSON.stringify(p.log.errorEvents)],
      ["workerd idle CPU, ms per second", fmt(p.idleCpuMsPerSecond, 2)],
      ["workerd resident memory: after warm-up, at the end", `${mib(p.rss.afterWarmup)}, ${mib(p.rss.end)}`],
    ]),
    "",
  ];
}

// No throughput target: the figures are bounded by the sandbox and this machine's 2 cores, not by
// anything a deployment shares. What must hold at any rate is that load loses no write.
function ledgerInboxVerdict(l: LedgerInboxResult): Verdict {
  return {
    what: "Ledger and inbox under load (workerd)",
    target: "every payment the sandbox created in the ledger, every webhook stored, 0 failures",
    result: `${n(l.ledger.recorded)} ledger rows for ${n(l.ledger.created)} payments; ${l.ledger.failed + l.inbox.failed} failures`,
    met: l.ledger.recorded === l.ledger.created && l.ledger.failed + l.inbox.failed === 0,
  };
}

function ledgerInboxSection(l: LedgerInboxResult): string[] {
  const row = (what: string, w: LedgerInboxResult["ledger"] | LedgerInboxResult["inbox"]) => {
    const range = spread(w.runs.map((run) => run.perSecond));
    return [what, fmt(w.perSecond), `${fmt(range.min)}–${fmt(range.max)}`, fmt(w.cpuMsPerWrite, 3), w.failed];
  };
  return [
    `## Ledger and inbox writes in workerd (${l.connections} connections; ${l.rounds} rounds × ${l.durationSeconds} s)`,
    "",
    table("writes|per second (median)|rounds' range|workerd CPU ms per write|failed", [
      row("ledger: STK pushes answered 201 (proxy + sandbox + owner + ledger)", l.ledger),
      row("inbox: signed webhooks answered `stored`", l.inbox),
    ]),
    "",
  ];
}

function resultsMarkdown(r: BenchResults): string {
  const w = r.warm;
  const isolates = [...r.isolates.runs].sort(
    (a, b) =>
      Number(a.revokePrevious) - Number(b.revokePrevious) || a.isolates - b.isolates || a.path.localeCompare(b.path),
  );
  return [
    "# Benchmarks",
    "",
    `Generated by \`npm run bench\` at ${r.generatedAt}. Do not edit: run it again. What the figures mean, the method and the findings: [docs/benchmarks.md](../docs/benchmarks.md).` +
      (r.quick ? " **BENCH_QUICK run: fewer rounds, not for publishing.**" : ""),
    "",
    `Machine: Node ${r.machine.node}, ${r.machine.cpus} CPUs (${r.machine.cpuModel}), ${r.machine.os}, ${r.machine.memoryGiB} GiB. Versions: ${Object.entries(
      r.versions,
    )
      .map(([pkg, v]) => `${pkg} ${v}`)
      .join(", ")}.`,
    "",
    "## Verdicts",
    "",
    table(
      "|target|result|",
      verdicts(r).map((v) => [v.what, v.target, v.result, v.met ? "met" : "**missed**"]),
    ),
    "",
    `## Warm token (${n(w.callsPerRound)} calls × ${w.rounds} rounds)`,
    "",
    table("loop body|ns per call (median)|× baseline", [
      ["`await resolved` (baseline)", fmt(w.baselineNs), ratio(1)],
      [
        "**`await k2.getAccessToken()`**",
        fmt(w.oursNs),
        `${ratio(w.ratio)} (rounds: ${ratio(w.ratioSpread.min)}–${ratio(w.ratioSpread.max)})`,
      ],
      ["oauth4webapi + hand-rolled cache (`Date.now()` check)", fmt(w.handRolledNs), ratio(w.handRolledRatio)],
      [
        "model: `await Promise.resolve(token)`",
        fmt(w.stepsNs.freshPromise),
        ratio(w.stepsNs.freshPromise / w.baselineNs),
      ],
      [
        "model: `Date.now()` check + `await Promise.resolve(token)`",
        fmt(w.stepsNs.clockAndFreshPromise),
        ratio(w.stepsNs.clockAndFreshPromise / w.baselineNs),
      ],
    ]),
    "",
    `## Cold herd (${n(r.herd[0]!.callers)} concurrent first calls, ${r.herd[0]!.rounds.length} rounds)`,
    "",
    table(
      "client|token requests (per round)|ms until every caller has an answer (median, range)|errors|distinct tokens",
      r.herd.map((row) => [
        row.id === "ours" ? `**${row.label}**` : row.label,
        row.rounds.map((round) => n(round.tokenRequests)).join(", "),
        row.medianMs === null
          ? "unfinished"
          : `${fmt(row.medianMs)} (${fmt(row.msSpread!.min)}–${fmt(row.msSpread!.max)})`,
        row.rounds.map((round) => round.errors).join(", "),
        row.rounds.map((round) => n(round.distinctTokens)).join(", "),
      ]),
    ),
    "",
    "![Cold herd](herd.svg)",
    "",
    `## Token round trip (${r.roundTrip.requestsPerRound} requests × ${r.roundTrip.rounds} rounds per client)`,
    "",
    table(
      "client|µs per token (median)|rounds' range, µs|× hand-written|ours ÷ this",
      r.roundTrip.rows.map((row) => [
        row.id === "ours" ? `**${row.label}**: renewal (\`tokens.invalidate()\` + \`getAccessToken()\`)` : row.label,
        fmt(row.us),
        `${fmt(row.spreadUs.min)}–${fmt(row.spreadUs.max)}`,
        ratio(row.ratio),
        row.id === "ours" ? "" : ratio(row.oursRatio),
      ]),
    ),
    "",
    `## Size ("get a K2 token", esbuild ${r.size.esbuild}, min+gzip -9)`,
    "",
    table(
      "program|minified|min+gzip|files bundled",
      r.size.rows.map((row) => [
        row.id === "ours" ? `**${row.label}**` : row.label,
        bytes(row.minified),
        bytes(row.gzipped),
        row.inputs,
      ]),
    ),
    "",
    "![Size](size.svg)",
    "",
    ...proxySection(r.proxy),
    ...(r.ledgerInbox ? ledgerInboxSection(r.ledgerInbox) : []),
    "## Many isolates: KV alone against the token broker",
    "",
    table(
      "revoke-previous|isolates|path|token requests|caller-visible 401s|replays|isolate KV writes",
      isolates.map((run) => [
        run.revokePrevious ? "on" : "off",
        run.isolates,
        run.path === "kv" ? "KV alone" : "broker",
        run.tokenRequests,
        run.callerVisible401,
        run.replays,
        run.isolateKvWrites,
      ]),
    ),
    "",
    ...(r.isolates.failed.length > 0 ? [`Failed checks: ${r.isolates.failed.join("; ")}.`, ""] : []),
    `## Memory (Node, ${n(r.memory.calls)} warm calls per round)`,
    "",
    table("heap growth per round|median per call|flat (< 1 B per call)", [
      [
        r.memory.growth.map((b) => bytes(b)).join(", "),
        `${fmt(r.memory.bytesPerCall, 2)} B`,
        r.memory.flat ? "yes" : "**no**",
      ],
    ]),
    "",
  ].join("\n");
}

function charts(r: BenchResults): { size: string; herd: string } {
  const label = (id: string) =>
    ({
      ours: "k2-connect-edge (ours)",
      fetch: "hand-written fetch (no cache)",
      "k2-connect-node": "k2-connect-node (official)",
      oauth4webapi: "oauth4webapi + hand-rolled cache",
      "oauth4webapi-shared": "oauth4webapi + cache + shared in-flight",
    })[id] ?? id;
  const footer = `npm run bench, ${r.generatedAt.slice(0, 10)}: Node ${r.machine.node}, ${r.machine.cpus} CPUs`;
  const size = barChart(
    [
      {
        title: `"Get a K2 token": min+gzip bytes (esbuild ${r.size.esbuild}, smaller is better)`,
        bars: r.size.rows.map((row) => ({
          label: label(row.id),
          value: row.gzipped,
          text: bytes(row.gzipped),
          ours: row.id === "ours",
        })),
      },
    ],
    footer,
  );
  const herd = barChart(
    [
      {
        title: `Token requests for ${n(r.herd[0]!.callers)} concurrent first calls (log scale, fewer is better)`,
        log: true,
        bars: r.herd.map((row) => ({
          label: label(row.id),
          value: row.medianTokenRequests,
          text: fmt(row.medianTokenRequests),
          ours: row.id === "ours",
        })),
      },
      {
        title: "Time until every caller has a token, ms (median, log scale)",
        log: true,
        bars: r.herd.map((row) => ({
          label: label(row.id),
          value: row.medianMs ?? 0,
          text: row.medianMs === null ? "unfinished" : `${fmt(row.medianMs)} ms`,
          ours: row.id === "ours",
        })),
      },
    ],
    `${footer}, local K2 sandbox`,
  );
  return { size, herd };
}

/** Writes results.md and the charts next to this file; returns the verdict table for the console. */
export function writeReport(r: BenchResults): string {
  const here = (name: string) => new URL(`./${name}`, import.meta.url);
  const drawn = charts(r);
  writeFileSync(here("size.svg"), drawn.size);
  writeFileSync(here("herd.svg"), drawn.herd);
  writeFileSync(here("results.md"), resultsMarkdown(r));
  return table(
    "|result|",
    verdicts(r).map((v) => [v.what, v.result, v.met ? "met" : "MISSED"]),
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const results = JSON.parse(readFileSync(new URL("./results.json", import.meta.url), "utf8")) as BenchResults;
  console.log(writeReport(results));
}
