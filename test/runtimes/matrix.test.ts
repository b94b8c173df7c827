/**
 * The runtime matrix: the same conformance script, against the built and packed package, on every
 * runtime the package claims (Node twice, ESM and CommonJS, Deno, Bun here; workerd and Chromium in
 * their own files). A runtime that cannot start fails with its error, never a silent skip.
 */
import { execFile } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { K2Sandbox } from "../../sandbox/server.ts";
import { BIN, installPackedPackage, nodeBinaries, type PackedProject } from "./packed-package.ts";

const run = promisify(execFile);
let sandbox: K2Sandbox;
let project: PackedProject;

beforeAll(async () => {
  sandbox = await new K2Sandbox().listen();
  project = installPackedPackage();
}, 120_000);

afterAll(async () => {
  await sandbox?.close();
  if (project) rmSync(project.dir, { recursive: true, force: true });
});

async function conformance(
  command: string,
  args: string[],
): Promise<{ runtime: string; results: { name: string; ok: boolean; detail?: string }[] }> {
  const { stdout } = await run(command, args, {
    cwd: project.dir,
    env: { ...process.env, K2_SANDBOX_URL: sandbox.url, NO_COLOR: "1" },
    timeout: 60_000,
  }).catch((error: { stderr?: string; message: string }) => {
    throw new Error(`${command} ${args.join(" ")} could not run: ${error.stderr || error.message}`);
  });
  const line = stdout.trim().split("\n").at(-1)!;
  return JSON.parse(line);
}

function expectAllPassed(report: Awaited<ReturnType<typeof conformance>>): void {
  console.log(
    `runtime matrix: ${report.runtime}: ${report.results.filter((r) => r.ok).length}/${report.results.length} checks`,
  );
  expect(report.results.filter((result) => !result.ok)).toEqual([]);
  expect(report.results.map((result) => result.name)).toEqual([
    "token",
    "cached token",
    "concurrent callers share one request",
    "introspect",
    "token info",
    "k2.fetch replays once after a 401",
    "revoke",
    "webhook signature true and false",
    "typed errors",
  ]);
}

describe("runtime matrix (packed package)", () => {
  for (const node of nodeBinaries()) {
    it(`Node (${node.label}) via import`, async () => {
      expectAllPassed(await conformance(node.path, ["run.mjs"]));
    });
    it(`Node (${node.label}) via require`, async () => {
      expectAllPassed(await conformance(node.path, ["run.cjs"]));
    });
  }

  it("Deno via npm: specifier", async () => {
    const report = await conformance(join(BIN, "deno"), [
      "run",
      "--allow-net",
      "--allow-env",
      "--allow-read",
      "run-deno.mjs",
    ]);
    expect(report.runtime).toMatch(/^deno \d/);
    expectAllPassed(report);
  });

  it("Bun", async () => {
    const report = await conformance(join(BIN, "bun"), ["run.mjs"]);
    expect(report.runtime).toMatch(/^bun \d/);
    expectAllPassed(report);
  });

  it("tests two different Node versions", async () => {
    const versions = await Promise.all(
      nodeBinaries().map(async (node) => (await run(node.path, ["--version"])).stdout.trim()),
    );
    expect(new Set(versions).size).toBe(versions.length);
  });
});
