/**
 * `npm run soak`: the proxy Worker in workerd under load while faults run (soak.ts), then
 * bench/soak-results.md and bench/soak-results.json, published beside the benchmarks' results. Loopback only, bounded in time and in
 * requests, and it stops by itself.
 *
 * Options (flags win over environment variables):
 *   --connections N        SOAK_CONNECTIONS         default 16
 *   --duration S           SOAK_DURATION            default 60 (seconds)
 *   --max-requests N       SOAK_MAX_REQUESTS        default 300000
 *   --upstream-timeout MS  SOAK_UPSTREAM_TIMEOUT_MS default 2000 (the proxy's UPSTREAM_TIMEOUT_MS)
 *   --faults LIST          SOAK_FAULTS              default all; comma-separated names, or "none"
 *   --token-broker on|off  SOAK_TOKEN_BROKER        default on (bound as wrangler.toml binds it)
 *   --out PATH             SOAK_OUT                 default bench/soak-results (.md and .json added)
 *
 * Exits 1 when a check fails (a duplicate, a request without an answer, a fault not seen, a rotation
 * without retries across it). A figure that misses its target is reported, not a failure: the
 * token figures depend on the token broker (docs/benchmarks.md#soak).
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { soakChecks, soakMarkdown } from "./markdown.ts";
import { FAULT_NAMES, runSoak, type FaultName } from "./soak.ts";

const { values } = parseArgs({
  options: {
    connections: { type: "string" },
    duration: { type: "string" },
    "max-requests": { type: "string" },
    "upstream-timeout": { type: "string" },
    faults: { type: "string" },
    "token-broker": { type: "string" },
    out: { type: "string" },
  },
});

function positive(flag: string | undefined, variable: string, fallback: number): number {
  const raw = flag ?? process.env[variable];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${variable} must be a positive whole number`);
  return value;
}

const connections = positive(values.connections, "SOAK_CONNECTIONS", 16);
const durationSeconds = positive(values.duration, "SOAK_DURATION", 60);
const maxRequests = positive(values["max-requests"], "SOAK_MAX_REQUESTS", 300_000);
const upstreamTimeoutMs = positive(values["upstream-timeout"], "SOAK_UPSTREAM_TIMEOUT_MS", 2000);
const faultList = values.faults ?? process.env.SOAK_FAULTS ?? "all";
const faults: FaultName[] =
  faultList === "all"
    ? [...FAULT_NAMES]
    : faultList === "none"
      ? []
      : faultList.split(",").map((name) => {
          if (!(FAULT_NAMES as readonly string[]).includes(name.trim()))
            throw new Error(`unknown fault ${JSON.stringify(name)}; known: ${FAULT_NAMES.join(", ")}`);
          return name.trim() as FaultName;
        });
const brokerSetting = values["token-broker"] ?? process.env.SOAK_TOKEN_BROKER ?? "on";
if (brokerSetting !== "on" && brokerSetting !== "off") throw new Error("SOAK_TOKEN_BROKER must be on or off");
const out = values.out ?? process.env.SOAK_OUT ?? fileURLToPath(new URL("../../bench/soak-results", import.meta.url));
if (connections > 1024 || maxRequests > 5_000_000 || durationSeconds > 3600)
  throw new Error("at most 1024 connections, 5,000,000 requests and 3600 s");

// Load, then the in-flight requests' own deadlines, then start-up and tear-down.
const hardTimeoutMs = durationSeconds * 1000 + 4 * upstreamTimeoutMs + 60_000;
// The last resort, should the soak's own hard timeout fail to end the process.
setTimeout(() => {
  console.error("soak: hard timeout, exiting");
  process.exit(2);
}, hardTimeoutMs + 20_000).unref();

const report = await runSoak({
  connections,
  durationSeconds,
  maxRequests,
  upstreamTimeoutMs,
  faults,
  tokenBroker: brokerSetting === "on",
  sampleEveryMs: 1000,
  hardTimeoutMs,
  progress: (line) => console.log(`soak: ${line}`),
});
const markdown = soakMarkdown(report);
// One line: the JSON is for machines comparing runs; the Markdown is for people.
writeFileSync(`${out}.json`, `${JSON.stringify(report)}\n`);
writeFileSync(`${out}.md`, markdown);
console.log(`\n${markdown}\nWrote ${out}.md and ${out}.json.`);
const failed = soakChecks(report).filter((check) => !check.ok);
if (failed.length > 0) {
  console.error(`soak: ${failed.length} check(s) failed: ${failed.map((check) => check.check).join("; ")}`);
  process.exitCode = 1;
}
