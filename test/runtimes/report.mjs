// Prints one JSON line: which runtime ran the checks, and their results.
import { runConformance } from "./conformance.mjs";

function runtime() {
  if (globalThis.Deno) return `deno ${globalThis.Deno.version.deno}`;
  if (globalThis.Bun) return `bun ${globalThis.Bun.version}`;
  return `node ${globalThis.process.version}`;
}

export async function report(pkg) {
  const url = globalThis.Deno ? globalThis.Deno.env.get("K2_SANDBOX_URL") : globalThis.process.env.K2_SANDBOX_URL;
  const results = await runConformance(pkg, url);
  console.log(JSON.stringify({ runtime: runtime(), results }));
}
