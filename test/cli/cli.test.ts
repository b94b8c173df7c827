/**
 * The command line, run as users run it: the built dist/cli.js under Node, and through
 * `deno run npm:k2-connect-edge` against the packed package, with the K2 sandbox as K2.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEV_CLIENT } from "../../sandbox/credentials.ts";
import { K2Sandbox } from "../../sandbox/server.ts";
import { BIN, installPackedPackage, type PackedProject, ROOT } from "../runtimes/packed-package.ts";

const execute = promisify(execFile);
const CLI = join(ROOT, "dist", "cli.js");
let sandbox: K2Sandbox;
let emptyDir: string;

beforeAll(async () => {
  sandbox = await new K2Sandbox().listen();
  emptyDir = mkdtempSync(join(tmpdir(), "k2-cli-"));
});
afterAll(async () => {
  await sandbox.close();
  rmSync(emptyDir, { recursive: true, force: true });
});

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(
  args: string[],
  env: Record<string, string | undefined> = {},
  cwd = emptyDir,
  command = process.execPath,
  prefix: string[] = [CLI],
): Promise<Outcome> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("K2_")));
  try {
    const { stdout, stderr } = await execute(command, [...prefix, ...args], {
      cwd,
      env: { ...clean, ...env, NO_COLOR: "1" },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

const sandboxEnv = () => ({
  K2_CLIENT_ID: DEV_CLIENT.clientId,
  K2_CLIENT_SECRET: DEV_CLIENT.clientSecret,
  K2_BASE_URL: sandbox.url,
});

describe("k2-connect-edge CLI", () => {
  it("token, introspect, info and revoke print JSON on stdout", async () => {
    const token = await cli(["token"], sandboxEnv());
    expect(token.code).toBe(0);
    const set = JSON.parse(token.stdout);
    expect(set).toMatchObject({ tokenType: "Bearer", expiresIn: 3600 });
    expect(set.expiresAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(set.raw).toBeUndefined();

    const introspection = await cli(["introspect", set.accessToken], sandboxEnv());
    expect(JSON.parse(introspection.stdout)).toMatchObject({ active: true, clientId: DEV_CLIENT.clientId });

    const info = await cli(["info", set.accessToken], sandboxEnv());
    expect(JSON.parse(info.stdout)).toMatchObject({ applicationUid: DEV_CLIENT.clientId, scope: [] });

    const revoked = await cli(["revoke", set.accessToken], sandboxEnv());
    expect(JSON.parse(revoked.stdout)).toEqual({ revoked: true });
    expect(JSON.parse((await cli(["introspect", set.accessToken], sandboxEnv())).stdout).active).toBe(false);
    for (const outcome of [token, introspection, info, revoked])
      expect(outcome.stdout + outcome.stderr).not.toContain(DEV_CLIENT.clientSecret);
  });

  it("reads a .env file, with the real environment taking precedence", async () => {
    const dir = mkdtempSync(join(tmpdir(), "k2-cli-env-"));
    try {
      writeFileSync(
        join(dir, ".env"),
        `# K2 sandbox\nexport K2_CLIENT_ID="${DEV_CLIENT.clientId}"\nK2_CLIENT_SECRET='${DEV_CLIENT.clientSecret}'\nK2_BASE_URL=http://127.0.0.1:1\n`,
      );
      const outcome = await cli(["token"], { K2_BASE_URL: sandbox.url }, dir);
      expect(outcome.code).toBe(0);
      expect(JSON.parse(outcome.stdout).accessToken).toMatch(/.+/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reports a refused secret on stderr with exit code 1, without printing it", async () => {
    const secret = "a-wrong-secret-that-must-stay-hidden";
    const outcome = await cli(["token"], { ...sandboxEnv(), K2_CLIENT_SECRET: secret });
    expect(outcome.code).toBe(1);
    expect(outcome.stdout).toBe("");
    expect(outcome.stderr).toContain("OAuth2Error");
    expect(outcome.stderr).toContain("invalid_client");
    expect(outcome.stdout + outcome.stderr).not.toContain(secret);
  });

  it("reports an unreachable K2 with exit code 1", async () => {
    const outcome = await cli(["token"], { ...sandboxEnv(), K2_BASE_URL: "http://127.0.0.1:1" });
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toContain("NetworkError");
  });

  it("explains usage mistakes with exit code 2", async () => {
    const cases: [string[], Record<string, string>, string][] = [
      [["token"], {}, "K2_CLIENT_ID is not set"],
      [["token"], { K2_CLIENT_ID: "id" }, "K2_CLIENT_SECRET is not set"],
      [["token"], { ...sandboxEnv(), K2_BASE_URL: "", K2_ENVIRONMENT: "staging" }, "K2_ENVIRONMENT must be"],
      [["token"], { ...sandboxEnv(), K2_BASE_URL: "http://k2.internal.example" }, "K2_BASE_URL must be an https URL"],
      [
        ["token"],
        { ...sandboxEnv(), K2_BASE_URL: "https://sandbox.kopokopo.com/api" },
        "K2_BASE_URL must be an origin only",
      ],
      [["refresh"], sandboxEnv(), 'Unknown command "refresh"'],
      [["revoke"], sandboxEnv(), '"revoke" needs a token'],
      [["info", "a", "b"], sandboxEnv(), "Too many arguments"],
      [[], sandboxEnv(), "Usage: k2-connect-edge"],
    ];
    for (const [args, env, message] of cases) {
      const outcome = await cli(args, env);
      expect(outcome.code, args.join(" ")).toBe(2);
      expect(outcome.stderr).toContain(message);
    }
  });

  it("--help explains every command and setting", async () => {
    const outcome = await cli(["--help"]);
    expect(outcome.code).toBe(0);
    for (const word of [
      "token",
      "revoke <token>",
      "introspect <token>",
      "info <token>",
      "K2_CLIENT_ID",
      "K2_CLIENT_SECRET",
      "K2_ENVIRONMENT",
      "K2_BASE_URL",
      ".env",
    ]) {
      expect(outcome.stdout).toContain(word);
    }
  });
});

describe("k2-connect-edge CLI under Deno", () => {
  let project: PackedProject;
  beforeAll(() => {
    project = installPackedPackage();
  }, 120_000);
  afterAll(() => rmSync(project.dir, { recursive: true, force: true }));

  it("runs as deno run npm:k2-connect-edge", async () => {
    const outcome = await cli(["token"], sandboxEnv(), project.dir, join(BIN, "deno"), [
      "run",
      "--allow-net",
      "--allow-env",
      "--allow-read",
      "npm:k2-connect-edge",
    ]);
    expect(outcome.stderr).not.toContain("error:");
    expect(outcome.code).toBe(0);
    expect(JSON.parse(outcome.stdout)).toMatchObject({ tokenType: "Bearer", expiresIn: 3600 });
  });
});
