/**
 * The README's TypeScript examples, extracted and type-checked against the package's own types, so
 * that they cannot rot. Each ```ts block is its own module; the few names the prose assumes (a
 * Workers `env`, an `oauth` client built in an earlier block) are declared in a shared prelude.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");
const dir = mkdtempSync(join(tmpdir(), "k2-readme-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PRELUDE = `
declare const env: Record<string, any>;
declare const Deno: { env: { get(name: string): string | undefined } };
type KVNamespace = import("k2-connect-edge").KvNamespaceLike;
declare const oauth: import("k2-connect-edge").OAuth2Client;
declare const k2: import("k2-connect-edge").K2Client;
`;

export function typescriptBlocks(markdown: string): { line: number; code: string }[] {
  const blocks: { line: number; code: string }[] = [];
  const pattern = /^```ts\n([\s\S]*?)^```/gm;
  for (let match = pattern.exec(markdown); match; match = pattern.exec(markdown)) {
    blocks.push({ line: markdown.slice(0, match.index).split("\n").length, code: match[1]! });
  }
  return blocks;
}

it("every TypeScript example in the README type-checks", async () => {
  const blocks = typescriptBlocks(readFileSync(join(ROOT, "README.md"), "utf8"));
  expect(blocks.length).toBeGreaterThanOrEqual(5);
  const files = blocks.map(({ line, code }) => {
    const name = `readme-line-${line}.ts`;
    // `export {}` keeps each block a module of its own, as in a user's file.
    writeFileSync(join(dir, name), `${code}\nexport {};\n`);
    return name;
  });
  writeFileSync(join(dir, "prelude.d.ts"), PRELUDE);
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        noEmit: true,
        target: "ES2022",
        module: "ESNext",
        moduleResolution: "Bundler",
        allowImportingTsExtensions: true,
        lib: ["ES2022", "DOM", "DOM.Iterable"],
        types: ["node"],
        typeRoots: [join(ROOT, "node_modules", "@types")],
        skipLibCheck: true,
        paths: {
          "k2-connect-edge": [join(ROOT, "src", "index.ts")],
          "k2-connect-edge/api": [join(ROOT, "src", "api", "index.ts")],
          "npm:k2-connect-edge": [join(ROOT, "src", "index.ts")],
        },
      },
      files: ["prelude.d.ts", ...files],
    }),
  );
  const tsc = join(ROOT, "node_modules", ".bin", "tsc");
  const result = await promisify(execFile)(tsc, ["-p", "tsconfig.json"], { cwd: dir }).then(
    () => "",
    (error: { stdout: string }) => error.stdout,
  );
  // Errors name the README line their block starts at (readme-line-N.ts).
  expect(result).toBe("");
}, 60_000);
