/**
 * `npm run deploy`: checks that Cloudflare has what wrangler.toml binds before `wrangler deploy`,
 * because a deploy does not: a placeholder KV id passes `--dry-run`, a missing secret only shows as
 * `500 configuration_error` on the first request, and a missing queue fails the upload. It lists
 * everything missing at once, each with the command that fixes it, and deploys only when nothing is.
 * docs/deploy.md walks a first deploy.
 *
 * Options: --check (the checks only), --config PATH (default wrangler.toml); anything else goes on
 * to `wrangler deploy` (e.g. --dry-run). WRANGLER names the wrangler to run (tests give a stub).
 */
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

/** The secrets the Worker refuses to run without; FORWARD_SECRET only with FORWARD_URL. */
const REQUIRED_SECRETS = ["K2_CLIENT_ID", "K2_CLIENT_SECRET", "PROXY_KEYS", "K2_API_KEY"];

const args = process.argv.slice(2);
const checkOnly = takeFlag("--check");
const configPath = takeOption("--config") ?? "wrangler.toml";
const wranglerBin = process.env.WRANGLER || "wrangler";
const configArgs = configPath === "wrangler.toml" ? [] : ["--config", configPath];

const config = readConfig(readFileSync(configPath, "utf8"));
const vars = config.find((table) => table.name === "vars")?.values ?? {};
const problems: string[] = [];
const notes: string[] = [];

for (const { values } of config.filter((table) => table.name === "kv_namespaces")) {
  if (!/^[0-9a-f]{32}$/.test(values.id ?? "") || /^0+$/.test(values.id!)) {
    problems.push(
      `KV namespace ${values.binding}: ${configPath} still has the placeholder id. ` +
        `Run \`npx wrangler kv namespace create ${values.binding}\` and put the id it prints in ${configPath}.`,
    );
  }
}

const secretsNeeded = [...REQUIRED_SECRETS, ...(vars.FORWARD_URL ? ["FORWARD_SECRET"] : [])];
for (const name of secretsNeeded.filter((name) => name in vars)) {
  problems.push(
    `${name} is in [vars] of ${configPath}, in plain text: remove it and use \`npx wrangler secret put ${name}\`.`,
  );
}
const secrets = listSecrets();
if (typeof secrets === "string") problems.push(secrets);
else {
  for (const name of secretsNeeded.filter((name) => !secrets.has(name) && !(name in vars))) {
    problems.push(`Secret ${name} is not set: \`npx wrangler secret put ${name}\`.`);
  }
}

const queuesNeeded = new Set(
  config
    .filter((table) => table.name === "queues.producers" || table.name === "queues.consumers")
    .flatMap(({ values }) => [values.queue, values.dead_letter_queue])
    .filter((name): name is string => Boolean(name)),
);
if (queuesNeeded.size > 0) {
  const queues = listQueues();
  if (typeof queues === "string") problems.push(queues);
  else {
    for (const name of [...queuesNeeded].filter((name) => !queues.has(name))) {
      problems.push(
        `Queue ${name} does not exist (${configPath} binds it, even with forwarding off): \`npx wrangler queues create ${name}\`.`,
      );
    }
  }
}

if (!vars.PUBLIC_ORIGIN) {
  notes.push(
    "PUBLIC_ORIGIN is not set: rewritten Location and _links follow each request's Host. Set it in [vars] " +
      "to the proxy's public origin once you know it (the workers.dev URL the deploy prints, or your domain).",
  );
}
notes.push(`K2_ENVIRONMENT is "${vars.K2_ENVIRONMENT ?? "(unset)"}"; the secrets must be that environment's.`);

if (problems.length > 0) {
  console.error(`Not deploying: ${problems.length} thing(s) to do first (docs/deploy.md):`);
  for (const problem of problems) console.error(`  - ${problem}`);
  process.exit(1);
}
console.log("Preflight passed: KV ids, secrets and queues are in place.");
for (const note of notes) console.log(`  note: ${note}`);
if (checkOnly) process.exit(0);

const deploy = spawn(wranglerBin, ["deploy", ...configArgs, ...args], { stdio: "inherit", env: wranglerEnv() });
deploy.on("exit", (code) => process.exit(code ?? 1));

/** The secrets' names, or why they could not be read. A Worker never deployed has none yet. */
function listSecrets(): Set<string> | string {
  const result = wrangler(["secret", "list", "--format", "json"]);
  if (result.status !== 0) {
    if (/not found/i.test(result.output)) return new Set();
    return `Could not list the Worker's secrets (${lastLine(result.output)}). Log in with \`npx wrangler login\` (or set CLOUDFLARE_API_TOKEN).`;
  }
  try {
    const list = JSON.parse(result.stdout.slice(result.stdout.indexOf("["))) as { name: string }[];
    return new Set(list.map((secret) => secret.name));
  } catch {
    return `wrangler secret list answered something unreadable: ${lastLine(result.output)}`;
  }
}

/** The account's queue names, read off `wrangler queues list`'s table, or why they could not be. */
function listQueues(): Set<string> | string {
  const result = wrangler(["queues", "list"]);
  if (result.status !== 0) {
    return `Could not list queues (${lastLine(result.output)}). Log in with \`npx wrangler login\`; Queues need the Workers Paid plan.`;
  }
  return new Set(result.stdout.split(/[^A-Za-z0-9_-]+/).filter(Boolean));
}

function wrangler(command: string[]): { status: number | null; stdout: string; output: string } {
  const result = spawnSync(wranglerBin, [...command, ...configArgs], { encoding: "utf8", env: wranglerEnv() });
  const stdout = result.stdout ?? "";
  return {
    status: result.error ? 1 : result.status,
    stdout,
    output: `${stdout}\n${result.stderr ?? ""}${result.error?.message ?? ""}`,
  };
}

function wranglerEnv(): NodeJS.ProcessEnv {
  return { ...process.env, WRANGLER_SEND_METRICS: "false" };
}

function lastLine(text: string): string {
  const lines = text
    .split("\n")
    .map((line) => line.replace(/\x1b\[[0-9;]*m/g, "").trim())
    .filter(Boolean);
  return (
    [...lines].reverse().find((line) => /error|not|fail|auth|login/i.test(line)) ??
    lines.at(-1) ??
    "no output"
  ).slice(0, 200);
}

/**
 * The tables of a wrangler.toml as far as these checks read it: `[name]` and `[[name]]` headers and
 * `key = "string"` (or bare) values; comments and everything else are skipped.
 */
function readConfig(text: string): { name: string; values: Record<string, string> }[] {
  const tables: { name: string; values: Record<string, string> }[] = [{ name: "", values: {} }];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    const header = /^\[\[?\s*([\w.-]+)\s*\]\]?/.exec(line);
    if (header) tables.push({ name: header[1]!, values: {} });
    const pair = /^([\w-]+)\s*=\s*(?:"([^"]*)"|([^#\s]+))/.exec(line);
    if (pair) tables.at(-1)!.values[pair[1]!] = pair[2] ?? pair[3]!;
  }
  return tables;
}

function takeFlag(name: string): boolean {
  const index = args.indexOf(name);
  if (index !== -1) args.splice(index, 1);
  return index !== -1;
}

function takeOption(name: string): string | undefined {
  const index = args.indexOf(name);
  if (index === -1) return undefined;
  return args.splice(index, 2)[1];
}
