/**
 * What `npm test` prints from workerd. Every failed subrequest (a refused or dropped connection,
 * which the K2 failure tests cause on purpose) made workerd's verbose mode print three
 * "uncaught exception ... Network connection lost" lines, even when the code caught the rejection:
 * dozens per run, among which a real problem would hide. vitest.config.ts runs workerd quietly; a
 * rejection really left unhandled is still reported by vitest and fails the run.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..", "..", "..");

it("workerd prints nothing for a caught network failure, and vitest still fails on an unhandled rejection", async () => {
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
    const child = execFile(
      join(ROOT, "node_modules", ".bin", "vitest"),
      ["run", "--config", join(import.meta.dirname, "vitest.config.ts"), "--reporter", "default"],
      { cwd: ROOT, env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" }, timeout: 90_000 },
      (_error, stdout, stderr) => resolve({ code: child.exitCode, output: stdout + stderr }),
    );
  });
  expect(output).toMatch(/Tests\s+2 passed/);
  expect(output).not.toContain("uncaught exception");
  expect(output).not.toContain("Network connection lost.\n");
  expect(output).toContain("Unhandled Rejection");
  expect(output).toContain("left unhandled on purpose");
  expect(code).toBe(1);
}, 100_000);
