/**
 * `.env` files: the one reader, for the command line and for `npm start` (which reads `.dev.vars`,
 * the same format as wrangler takes it).
 */
import { existsSync, readFileSync } from "node:fs";

/**
 * KEY=VALUE lines of `path` (none when it does not exist); `export `, quotes and # comments allowed.
 */
export function readDotEnv(path: string): Record<string, string> {
  if (!existsSync(path)) return {};
  const values: Record<string, string> = {};
  for (const line of readFileSync(path, "utf8").split(/\r?\n/)) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!match || line.trimStart().startsWith("#")) continue;
    values[match[1]!] = match[2]!.replace(/^(['"])(.*)\1$/, "$2");
  }
  return values;
}
