/**
 * `npm run deploy` (scripts/deploy.ts) against a stub wrangler that answers as Cloudflare would and
 * records every call: nothing reaches the network. An unready configuration is refused with the
 * list of what is missing and no deploy; a ready one is deployed.
 */
import { execFile } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");
const dir = mkdtempSync(join(tmpdir(), "k2-deploy-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const REAL_ID = "0123456789abcdef0123456789abcdef";
const ALL_SECRETS = ["K2_CLIENT_ID", "K2_CLIENT_SECRET", "PROXY_KEYS", "K2_API_KEY"];
const ALL_QUEUES = ["k2-connect-edge-inbox", "k2-connect-edge-inbox-dead"];

interface Cloudflare {
  secrets?: string[];
  queues?: string[];
  /** `secret list` fails this way (a new Worker, or not logged in). */
  secretListError?: string;
}

/** A wrangler that answers from `cloudflare`, records its arguments, and deploys nothing. */
function stubWrangler(name: string, cloudflare: Cloudflare): { path: string; calls: () => string[] } {
  const path = join(dir, `${name}-wrangler.mjs`);
  const log = join(dir, `${name}-calls.log`);
  const secrets = JSON.stringify((cloudflare.secrets ?? []).map((secret) => ({ name: secret, type: "secret_text" })));
  // As wrangler prints it: a table of queues, with columns and borders.
  const table = [
    "┌──────┬──────────────────────────────┐",
    ...(cloudflare.queues ?? []).map((queue) => `│ id-1 │ ${queue} │ 2026-01-01T00:00:00Z │ 1 │ 1 │`),
    "└──────┴──────────────────────────────┘",
  ].join("\n");
  writeFileSync(
    path,
    `#!/usr/bin/env node
import { appendFileSync } from "node:fs";
const args = process.argv.slice(2);
appendFileSync(${JSON.stringify(log)}, args.join(" ") + "\\n");
if (args[0] === "secret" && args[1] === "list") {
  ${cloudflare.secretListError ? `console.error(${JSON.stringify(cloudflare.secretListError)}); process.exit(1);` : `console.log(${JSON.stringify(secrets)});`}
} else if (args[0] === "queues" && args[1] === "list") {
  console.log(${JSON.stringify(table)});
} else if (args[0] === "deploy") {
  console.log("Deployed (stub)");
}
`,
  );
  chmodSync(path, 0o755);
  return {
    path,
    calls: () => {
      try {
        return readFileSync(log, "utf8").trim().split("\n");
      } catch {
        return [];
      }
    },
  };
}

function config(name: string, { id = REAL_ID, vars = "" }: { id?: string; vars?: string } = {}): string {
  const text = readFileSync(join(ROOT, "wrangler.toml"), "utf8")
    .replace(/^id = "[^"]*"/m, `id = "${id}"`)
    .replace(/^\[vars\]\n/m, `[vars]\n${vars}`);
  const path = join(dir, `${name}.toml`);
  writeFileSync(path, text);
  return path;
}

function deploy(args: string[], wrangler: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      join(ROOT, "node_modules", ".bin", "tsx"),
      [join(ROOT, "scripts", "deploy.ts"), ...args],
      { cwd: ROOT, env: { ...process.env, WRANGLER: wrangler }, timeout: 30_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
}

it("refuses the repository's wrangler.toml as it is, listing every missing piece, and deploys nothing", async () => {
  const wrangler = stubWrangler("fresh", { secretListError: 'Worker "k2-connect-edge-proxy" not found.' });
  const { code, stderr } = await deploy([], wrangler.path);
  expect(code).toBe(1);
  const items = stderr.split("\n").filter((line) => line.startsWith("  - "));
  expect(stderr).toContain(`Not deploying: ${items.length} thing(s) to do first`);
  expect(items[0]).toContain("KV namespace TOKEN_CACHE: wrangler.toml still has the placeholder id");
  for (const secret of ALL_SECRETS)
    expect(items).toContain(`  - Secret ${secret} is not set: \`npx wrangler secret put ${secret}\`.`);
  for (const queue of ALL_QUEUES)
    expect(items.some((item) => item.includes(`Queue ${queue} does not exist`))).toBe(true);
  expect(items).toHaveLength(1 + ALL_SECRETS.length + ALL_QUEUES.length);
  expect(wrangler.calls().some((call) => call.startsWith("deploy"))).toBe(false);
  // docs/deploy.md shows this list: each line it shows (up to its ellipsis) is one printed here.
  const shown = readFileSync(join(ROOT, "docs", "deploy.md"), "utf8")
    .split("\n")
    .filter((line) => line.startsWith("  - "))
    .map((line) => line.replace(/…$/, ""));
  expect(shown.length).toBeGreaterThanOrEqual(3);
  for (const line of shown)
    expect(
      items.some((item) => item.startsWith(line)),
      line,
    ).toBe(true);
});

it("names only what is still missing, and a secret put in [vars] by mistake", async () => {
  const path = config("partial", { vars: 'FORWARD_URL = "https://backend.example/events"\nPROXY_KEYS = "oops"\n' });
  const wrangler = stubWrangler("partial", {
    secrets: ["K2_CLIENT_ID", "K2_CLIENT_SECRET", "K2_API_KEY"],
    queues: [ALL_QUEUES[0]!],
  });
  const { code, stderr } = await deploy(["--config", path], wrangler.path);
  expect(code).toBe(1);
  const items = stderr.split("\n").filter((line) => line.startsWith("  - "));
  expect(items).toEqual([
    `  - PROXY_KEYS is in [vars] of ${path}, in plain text: remove it and use \`npx wrangler secret put PROXY_KEYS\`.`,
    "  - Secret FORWARD_SECRET is not set: `npx wrangler secret put FORWARD_SECRET`.",
    `  - Queue ${ALL_QUEUES[1]} does not exist (${path} binds it, even with forwarding off): \`npx wrangler queues create ${ALL_QUEUES[1]}\`.`,
  ]);
});

it("says to log in when wrangler cannot list the secrets", async () => {
  const path = config("logged-out");
  const wrangler = stubWrangler("logged-out", {
    secretListError: "✘ [ERROR] You are not authenticated. Please run `wrangler login`.",
    queues: ALL_QUEUES,
  });
  const { code, stderr } = await deploy(["--config", path], wrangler.path);
  expect(code).toBe(1);
  expect(stderr).toContain(
    "Could not list the Worker's secrets (✘ [ERROR] You are not authenticated. Please run `wrangler login`.). Log in with `npx wrangler login`",
  );
});

it("deploys a ready configuration, passing wrangler's own options on", async () => {
  const path = config("ready");
  const wrangler = stubWrangler("ready", { secrets: ALL_SECRETS, queues: ALL_QUEUES });
  const { code, stdout } = await deploy(["--config", path, "--dry-run"], wrangler.path);
  expect(code).toBe(0);
  expect(stdout).toContain("Preflight passed");
  expect(stdout).toContain("note: PUBLIC_ORIGIN is not set");
  expect(stdout).toContain("Deployed (stub)");
  expect(wrangler.calls().at(-1)).toBe(`deploy --config ${path} --dry-run`);
});
