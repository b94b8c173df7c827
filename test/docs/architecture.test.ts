/**
 * The layering rule of docs/architecture.md, read off the sources' imports: each folder of src/
 * imports only from itself, the layers below it, src/errors.ts and src/version.ts. A K2-specific import in the
 * generic layers, or an upward one anywhere, fails here.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
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

/** The TypeScript files below `dir`, leaving out what tools write there (dependencies, builds, state). */
function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (name === "node_modules" || name === "dist" || name.startsWith(".")) return [];
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

const ROOT = join(import.meta.dirname, "..", "..");
const WORKER = join(ROOT, "worker");

/** The feature a Worker file belongs to: its folder under worker/ (`common`, or `.` for index.ts). */
const featureOf = (file: string): string => {
  const parts = relative(WORKER, file).split(/[\\/]/);
  return parts.length > 1 ? parts[0]! : ".";
};

describe("the Worker's features", () => {
  const sources = files(WORKER);
  const features = [...new Set(sources.map(featureOf))].filter((name) => name !== "." && name !== "common");

  it("has a folder per feature, each listed in docs/architecture.md", () => {
    expect(features.sort()).toEqual([
      "dashboard",
      "edge-oauth",
      "idempotency",
      "inbox",
      "ledger",
      "metrics",
      "ownership",
      "proxy",
      "rate-limits",
      "token-broker",
    ]);
    const page = readFileSync(join(ROOT, "docs", "architecture.md"), "utf8");
    for (const folder of [...features, "common"]) expect(page).toContain(`worker/${folder}/`);
  });

  it("uses another feature only through its client.ts, never its internals", () => {
    const crossings = sources.flatMap((file) =>
      importsOf(file)
        .filter((target) => target.startsWith(WORKER + "/") || target.startsWith(WORKER + "\\"))
        .filter((target) => {
          const from = featureOf(file);
          const to = featureOf(target);
          if (from === "." || to === from || to === "common") return false;
          return from === "common" || !target.endsWith(`${to}/client.ts`);
        })
        .map((target) => `${relative(WORKER, file)} -> ${relative(WORKER, target)}`),
    );
    expect(crossings).toEqual([]);
  });

  it("keeps each Durable Object (object.ts) to its own folder, the shared pieces and the library", () => {
    const objects = sources.filter((file) => file.endsWith("object.ts"));
    expect(objects.map((file) => featureOf(file)).sort()).toEqual([
      "edge-oauth",
      "idempotency",
      "inbox",
      "ledger",
      "metrics",
      "ownership",
      "rate-limits",
      "token-broker",
    ]);
    const reaches = objects.flatMap((file) =>
      importsOf(file)
        .filter((target) => target.startsWith(WORKER) && ![featureOf(file), "common"].includes(featureOf(target)))
        .map((target) => `${relative(WORKER, file)} -> ${relative(WORKER, target)}`),
    );
    expect(reaches).toEqual([]);
  });

  it("reaches the library through its entries, and the origin guard", () => {
    const allowed = ["index.ts", join("api", "index.ts"), join("transport", "origin.ts")];
    const deep = sources.flatMap((file) =>
      importsOf(file)
        .filter((target) => target.startsWith(SRC) && !allowed.includes(relative(SRC, target)))
        .map((target) => `${relative(WORKER, file)} -> ${relative(ROOT, target)}`),
    );
    expect(deep).toEqual([]);
  });

  it("shows every route in worker/index.ts, and docs/architecture.md names each", () => {
    const index = readFileSync(join(WORKER, "index.ts"), "utf8");
    const page = readFileSync(join(ROOT, "docs", "architecture.md"), "utf8");
    for (const route of [
      "/k2/callbacks",
      "/healthz",
      "/k2/events",
      "/dashboard",
      "/dashboard/health",
      "/oauth/token",
      "/oauth/token/info",
      "/api/v1/",
      "/api/v2/",
    ]) {
      expect(index, route).toContain(route);
      expect(page, route).toContain(route);
    }
  });
});

describe("the test folders", () => {
  it("are each listed in docs/architecture.md", () => {
    const page = readFileSync(join(ROOT, "docs", "architecture.md"), "utf8");
    const folders = (dir: string): string[] =>
      readdirSync(dir)
        .filter((name) => statSync(join(dir, name)).isDirectory())
        .flatMap((name) => [join(dir, name), ...folders(join(dir, name))]);
    const missing = folders(join(ROOT, "test"))
      .map((dir) => `${relative(ROOT, dir).split(/[\\/]/).join("/")}/`)
      .filter((folder) => !page.includes(`(../${folder})`));
    expect(missing).toEqual([]);
  });
});

describe("import specifiers", () => {
  it("name a TypeScript file by its .ts extension everywhere, never .js", () => {
    const folders = ["src", "worker", "sandbox", "scripts", "harness", "bench", "examples", "test"];
    const sources = folders.flatMap((folder) => files(join(ROOT, folder)));
    expect(sources.length).toBeGreaterThan(200);
    const wrong = sources.flatMap((file) =>
      // Statements only (a line's start): code held in strings, bundled elsewhere, is not this file's import.
      [...readFileSync(file, "utf8").matchAll(/^\s*(?:import|export)\b[^;]*?\sfrom\s+["'](\.{1,2}\/[^"']+)["']/gm)]
        .map((match) => match[1]!)
        // The build's own output (dist/) is JavaScript, whether or not it was built yet.
        .filter((specifier) => !specifier.endsWith(".ts") && !/(^|\/)dist\//.test(specifier))
        .filter((specifier) => !existsSync(resolve(dirname(file), specifier)))
        .map((specifier) => `${relative(ROOT, file)}: ${specifier}`),
    );
    expect(wrong).toEqual([]);
  });
});
