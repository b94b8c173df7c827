/**
 * The package as a user installs it: lint-clean (publint --strict), types resolvable under every
 * module resolution (arethetypeswrong), and a TypeScript consumer of the packed tarball that
 * type-checks from ESM and CommonJS.
 */
import { execFile } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, installPackedPackage, type PackedProject, ROOT } from "./packed-package.ts";

const run = promisify(execFile);
let project: PackedProject;

beforeAll(() => {
  project = installPackedPackage();
}, 120_000);
afterAll(() => {
  if (project) rmSync(project.dir, { recursive: true, force: true });
});

async function output(command: string, args: string[], cwd: string): Promise<string> {
  try {
    const { stdout, stderr } = await run(command, args, {
      cwd,
      timeout: 120_000,
      env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" },
    });
    return stdout + stderr;
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(" ")} failed:\n${failed.stdout ?? ""}${failed.stderr ?? ""}`);
  }
}

describe("the published package", () => {
  it("passes publint --strict", async () => {
    expect(await output(join(BIN, "publint"), ["--strict"], ROOT)).toContain("All good!");
  });

  it("passes arethetypeswrong for every entry and resolution mode", async () => {
    expect(await output(join(BIN, "attw"), [project.tarball, "--format", "ascii"], project.dir)).toContain(
      "No problems found",
    );
  });

  it("type-checks a TypeScript consumer of the tarball from ESM (node16 and bundler) and CommonJS", async () => {
    writeFileSync(
      join(project.dir, "esm.mts"),
      `import { K2Client, K2ApiError, OAuth2Error, verifyWebhookSignature, MemoryTokenCache, type TokenSet } from "k2-connect-edge";
const k2 = new K2Client({ clientId: "id", clientSecret: "secret", environment: "sandbox", cache: new MemoryTokenCache() });
const token: TokenSet = await k2.getToken();
const expiresAt: number = (await k2.getToken()).expiresAt;
const ok: boolean = await verifyWebhookSignature("{}", null, "key");
const isError: boolean = new OAuth2Error({ error: "x", status: 400 }) instanceof Error && K2ApiError.name.length > 0;
// @ts-expect-error: clientSecret is required
new K2Client({ clientId: "id" });
export { token, expiresAt, ok, isError };
`,
    );
    writeFileSync(
      join(project.dir, "cjs.cts"),
      `import k2edge = require("k2-connect-edge");
const k2 = new k2edge.K2Client({ clientId: "id", clientSecret: "secret" });
const pending: Promise<string> = k2.getAccessToken();
export = pending;
`,
    );
    const base = {
      strict: true,
      noEmit: true,
      skipLibCheck: false,
      types: [],
      lib: ["ES2022", "DOM"],
      target: "ES2022",
    };
    for (const [name, options, files] of [
      ["tsconfig.node16.json", { module: "node16", moduleResolution: "node16" }, ["esm.mts", "cjs.cts"]],
      ["tsconfig.bundler.json", { module: "esnext", moduleResolution: "bundler" }, ["esm.mts"]],
    ] as const) {
      writeFileSync(join(project.dir, name), JSON.stringify({ compilerOptions: { ...base, ...options }, files }));
      await output(join(BIN, "tsc"), ["-p", name], project.dir);
    }
  });
});
