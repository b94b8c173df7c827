import { readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const PUBLIC_API = [
  "K2Client",
  "OAuth2Client",
  "verifyWebhookSignature",
  "MemoryTokenCache",
  "OAuth2Error",
  "K2ApiError",
  "CachedTokenSource",
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === "cli" ? [] : sourceFiles(path);
    return path.endsWith(".ts") ? [path] : [];
  });
}

describe("the package", () => {
  it("has no runtime dependencies", () => {
    expect(pkg.dependencies ?? {}).toEqual({});
    expect(pkg.sideEffects).toBe(false);
  });

  it("lists types first in every exports condition", () => {
    for (const condition of ["import", "require"]) {
      expect(Object.keys(pkg.exports["."][condition])[0]).toBe("types");
    }
  });

  it("keeps src/ runtime-neutral: no node: imports, Buffer, process or CommonJS globals", () => {
    const forbidden =
      /from\s+["']node:|\brequire\(|\bBuffer\b|\bprocess\.|__dirname|__filename|\bsetImmediate\b|\bglobal\./;
    // Comments may name what the code avoids ("rather than Node's Buffer"); only code counts.
    const withoutComments = (source: string) => source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
    const offenders = sourceFiles(join(root, "src")).flatMap((file) =>
      withoutComments(readFileSync(file, "utf8"))
        .split("\n")
        .filter((text) => forbidden.test(text))
        .map((text) => ({ file, text })),
    );
    expect(offenders).toEqual([]);
  });

  it("builds an ESM bundle that exports the public API", async () => {
    const esm = await import(join(root, pkg.exports["."].import.default));
    for (const name of PUBLIC_API) expect(typeof esm[name], name).toBe("function");
  });

  it("builds a CommonJS bundle that exports the same API", () => {
    const cjs = createRequire(import.meta.url)(join(root, pkg.exports["."].require.default));
    for (const name of PUBLIC_API) expect(typeof cjs[name], name).toBe("function");
  });

  it("ships declarations for both formats", () => {
    for (const condition of ["import", "require"]) {
      const types = readFileSync(join(root, pkg.exports["."][condition].types), "utf8");
      for (const name of PUBLIC_API) expect(types).toContain(`${name}`);
    }
  });
});
