/**
 * The built ESM files as a page on localhost loads them: `/dist/<path>.js` names a file of dist/,
 * whose relative imports the browser then fetches the same way.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";

export const DIST = join(import.meta.dirname, "..", "..", "dist");

/** The dist/ file a `/dist/...js` request path names, or `undefined` for anything else. */
export function distAsset(pathname: string): string | undefined {
  const relative = /^\/dist\/((?:[\w-]+\/)*[\w.-]+\.js)$/.exec(pathname)?.[1];
  if (relative === undefined || relative.split("/").includes("..")) return undefined;
  const file = join(DIST, relative);
  return existsSync(file) ? file : undefined;
}
