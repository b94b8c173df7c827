/**
 * The layering rule of docs/architecture.md, read off the sources' imports: each folder of src/
 * imports only from itself, the layers below it, src/errors.ts and src/version.ts. A K2-specific import in the
 * generic layers, or an upward one anywhere, fails here.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = join(import.meta.dirname, "..", "..", "src");

/** What each layer may import, besides itself. */
const ALLOWED: Record<string, readonly string[]> = {
  transport: ["errors.ts", "version.ts"],
  oauth: ["errors.ts", "version.ts", "transport"],
  tokens: ["errors.ts", "version.ts", "transport", "oauth"],
  k2: ["errors.ts", "version.ts", "transport", "oauth", "tokens"],
  providers: ["errors.ts", "version.ts", "transport", "oauth"],
  api: ["errors.ts", "version.ts", "transport", "k2"],
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith(".ts") ? [path] : [];
  });
}

/** The layer a source file belongs to: its first folder under src/, or the file itself at the top. */
const layerOf = (file: string): string => relative(SRC, file).split(/[\\/]/)[0]!;

function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/^\s*(?:import|export)\b[^;]*?\sfrom\s+["'](\.{1,2}\/[^"']+)["']/gm)].map((match) =>
    resolve(dirname(file), match[1]!),
  );
}

describe("the layers of src/", () => {
  for (const [layer, allowed] of Object.entries(ALLOWED)) {
    it(`${layer}/ imports only from ${[layer, ...allowed].join(", ")}`, () => {
      const sources = files(join(SRC, layer));
      expect(sources.length).toBeGreaterThan(0);
      const upward = sources.flatMap((file) =>
        importsOf(file)
          .filter((target) => layerOf(target) !== layer && !allowed.includes(layerOf(target)))
          .map((target) => `${relative(SRC, file)} -> ${relative(SRC, target)}`),
      );
      expect(upward).toEqual([]);
    });
  }

  it("reads every import, so the rule above is not vacuous", () => {
    expect(importsOf(join(SRC, "k2", "client.ts")).map((target) => relative(SRC, target))).toContain(
      join("tokens", "cached-token-source.ts"),
    );
  });
});
