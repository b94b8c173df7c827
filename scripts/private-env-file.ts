/**
 * Settings handed to wrangler in a private file (`--env-file`) instead of on its command line,
 * where any local user reads them through `ps`. The directory is made 0700 by mkdtemp and the file
 * 0600 from its creation; `remove()` deletes both, and runs by itself when the process exits.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Thrown for a value no env-file quoting can carry; names the setting, never its value. */
export class EnvFileValueError extends Error {
  constructor(readonly setting: string) {
    super(`${setting} holds characters that cannot be passed to wrangler`);
  }
}

export function writePrivateEnvFile(values: Record<string, string>): { path: string; remove: () => void } {
  const text = envFileText(values);
  const dir = mkdtempSync(join(tmpdir(), "k2-edge-env-"));
  const path = join(dir, "worker.env");
  writeFileSync(path, text, { mode: 0o600, flag: "wx" });
  let removed = false;
  const remove = () => {
    if (removed) return;
    removed = true;
    rmSync(dir, { recursive: true, force: true });
  };
  process.on("exit", remove);
  return { path, remove };
}

/**
 * KEY=VALUE lines as wrangler's env-file reader takes them: each value single-quoted (kept as it
 * is, `#` included), else double- or back-quoted, with `$` escaped so that wrangler does not expand
 * `$NAME` in it.
 */
function envFileText(values: Record<string, string>): string {
  const lines = Object.entries(values).map(([name, value]) => {
    const quote = ["'", '"', "`"].find((q) => !value.includes(q) && (q !== '"' || !/\\[nr]/.test(value)));
    if (!quote || /[\r\n]/.test(value)) throw new EnvFileValueError(name);
    return `${name}=${quote}${value.replaceAll("$", "\\$")}${quote}`;
  });
  return `${lines.join("\n")}\n`;
}
