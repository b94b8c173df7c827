/**
 * JSR: `deno publish --dry-run` type-checks the sources named in jsr.json and refuses slow types
 * (exports without explicit types), missing licences and unresolvable imports.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect, it } from "vitest";
import { BIN, ROOT } from "./packed-package.ts";

it("jsr.json publishes cleanly (dry run, no slow types)", async () => {
  const outcome = await promisify(execFile)(
    join(BIN, "deno"),
    ["publish", "--dry-run", "--allow-dirty", "--config", "jsr.json"],
    { cwd: ROOT, env: { ...process.env, NO_COLOR: "1" }, timeout: 120_000 },
  ).then(
    ({ stdout, stderr }) => ({ ok: true, text: stdout + stderr }),
    (error: { stdout: string; stderr: string }) => ({ ok: false, text: error.stdout + error.stderr }),
  );
  expect(outcome.text).toContain("Dry run complete");
  expect(outcome.ok).toBe(true);
}, 150_000);
