/**
 * The reference pages in docs/ and the generated API reference, checked so that they cannot rot:
 * TypeDoc builds the reference without a warning, every relative link in the pages and the README
 * leads to a file of this repository, every ```ts block in docs/ type-checks against the package,
 * and no page speaks of anything outside the repository.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");
const BIN = join(ROOT, "node_modules", ".bin");
const run = promisify(execFile);
const scratch = mkdtempSync(join(tmpdir(), "k2-docs-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** docs/*.md, then the README: every page a reader reaches from the front page. */
const docsPages = readdirSync(join(ROOT, "docs"))
  .filter((name) => name.endsWith(".md"))
  .sort()
  .map((name) => join(ROOT, "docs", name));
const pages = [...docsPages, join(ROOT, "README.md")];

const read = (file: string) => readFileSync(file, "utf8");
const label = (file: string) => relative(ROOT, file);

/** The Markdown without code: links shown inside code blocks or `code spans` are not links. */
function prose(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[ \t]*$/gm, "").replace(/`[^`\n]*`/g, "");
}

/** Every link and image target: `[text](target "title")` and `[label]: target` definitions. */
function linkTargets(markdown: string): string[] {
  const text = prose(markdown);
  const inline = [...text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((match) => match[1]!);
  const definitions = [...text.matchAll(/^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)].map((match) => match[1]!);
  return [...inline, ...definitions];
}

/** A link to a file of this repository (no scheme such as https: or mailto:, not a bare #anchor). */
const isRelative = (target: string) => !/^[a-z][a-z\d+.-]*:/i.test(target) && !target.startsWith("#");

/** The anchors GitHub gives a page's headings: lowercased, punctuation dropped, spaces as dashes. */
function headingAnchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  const withoutCode = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[ \t]*$/gm, "");
  for (const [, heading] of withoutCode.matchAll(/^#{1,6}[ \t]+(.+?)[ \t#]*$/gm)) {
    const slug = heading!
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** Each ```ts block of a page, with the line it starts at. */
function typescriptBlocks(markdown: string): { line: number; code: string }[] {
  return [...markdown.matchAll(/^```ts\n([\s\S]*?)^```/gm)].map((match) => ({
    line: markdown.slice(0, match.index).split("\n").length,
    code: match[1]!,
  }));
}

describe("the API reference", () => {
  it("builds with TypeDoc from typedoc.json, warnings as errors, with pages for K2Client and createStkPush", async () => {
    const out = join(scratch, "reference");
    const outcome = await run(join(BIN, "typedoc"), ["--out", out], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" },
      timeout: 110_000,
    }).then(
      ({ stdout, stderr }) => ({ ok: true, text: stdout + stderr }),
      (error: { stdout?: string; stderr?: string; message: string }) => ({
        ok: false,
        text: `${error.stdout ?? ""}${error.stderr ?? ""}${error.message}`,
      }),
    );
    expect(outcome.text).not.toMatch(/\[warning\]|\[error\]/);
    expect(outcome.ok, outcome.text).toBe(true);
    expect(existsSync(join(out, "index.html"))).toBe(true);
    const files = readdirSync(out, { recursive: true }).map(String);
    expect(files.filter((file) => /(^|[./\\])K2Client\.html$/.test(file))).toHaveLength(1);
    expect(files.filter((file) => /(^|[./\\])createStkPush\.html$/.test(file))).toHaveLength(1);
  }, 120_000);
});

describe("the documentation pages", () => {
  it("are there: an index and one page per part", () => {
    const names = docsPages.map((file) => label(file));
    for (const name of [
      "docs/README.md",
      "docs/architecture.md",
      "docs/benchmarks.md",
      "docs/errors-and-security.md",
      "docs/k2-api.md",
      "docs/oauth.md",
      "docs/proxy-worker.md",
      "docs/runtimes-and-size.md",
    ]) {
      expect(names).toContain(name);
    }
  });

  it("link only to files that exist, in docs/ and in the README", () => {
    const broken = pages.flatMap((page) =>
      linkTargets(read(page))
        .filter(isRelative)
        .filter((target) => {
          const path = decodeURIComponent(target.replace(/[?#].*$/, ""));
          return path !== "" && !existsSync(join(dirname(page), path));
        })
        .map((target) => `${label(page)} -> ${target}`),
    );
    expect(broken).toEqual([]);
  });

  it("link from one docs page to a heading of another only when that heading exists", () => {
    const broken = docsPages.flatMap((page) =>
      linkTargets(read(page))
        .filter(isRelative)
        .filter((target) => /\.md#/.test(target))
        .filter((target) => {
          const [path, anchor] = target.split("#") as [string, string];
          const file = join(dirname(page), decodeURIComponent(path));
          return existsSync(file) && !headingAnchors(read(file)).has(anchor);
        })
        .map((target) => `${label(page)} -> ${target}`),
    );
    expect(broken).toEqual([]);
  });

  it("name nothing outside this repository", () => {
    const mentions = pages.flatMap((page) => {
      const text = read(page);
      // `worker/shared/` is this repository's; a bare `shared/` is a folder beside it.
      const found = ["BRIEF.md", "K2-API.md"].filter((word) => text.includes(word));
      if (/(?<!worker\/)\bshared\//.test(text)) found.push("shared/");
      if (/\bissues?\b/i.test(text)) found.push("issue");
      return found.map((word) => `${label(page)}: ${word}`);
    });
    expect(mentions).toEqual([]);
  });

  it("show only TypeScript that type-checks against the package in their ts blocks", async () => {
    const dir = join(scratch, "examples");
    rmSync(dir, { recursive: true, force: true });
    const files = docsPages.flatMap((page) =>
      typescriptBlocks(read(page)).map(({ line, code }) => {
        // One module per block, as in a user's file; the name says where the block starts.
        const name = `${label(page).replace(/[/.]/g, "_")}-line-${line}.ts`;
        return { name, code };
      }),
    );
    expect(files.length).toBeGreaterThanOrEqual(20);
    mkdirSync(dir, { recursive: true });
    for (const { name, code } of files) writeFileSync(join(dir, name), `${code}\nexport {};\n`);
    // The names the pages assume: a Workers `env`, Deno's global, a KV binding, and the clients
    // `k2` and `oauth` (a block that builds its own shadows these).
    writeFileSync(
      join(dir, "prelude.d.ts"),
      [
        "declare const env: Record<string, any>;",
        "declare const Deno: { env: { get(name: string): string | undefined } };",
        'type KVNamespace = import("k2-connect-edge").KvNamespaceLike;',
        'declare const oauth: import("k2-connect-edge").OAuth2Client;',
        'declare const k2: import("k2-connect-edge").K2Client;',
      ].join("\n"),
    );
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
        files: ["prelude.d.ts", ...files.map((file) => file.name)],
      }),
    );
    const result = await run(join(BIN, "tsc"), ["-p", "tsconfig.json"], { cwd: dir }).then(
      () => "",
      (error: { stdout: string }) => error.stdout,
    );
    // Errors name the page and line their block starts at (docs_k2-api_md-line-N.ts).
    expect(result).toBe("");
  }, 60_000);

  it("keep code lines under 120 characters", () => {
    const long = docsPages.flatMap((page) =>
      [...read(page).matchAll(/^(```|~~~)[^\n]*\n([\s\S]*?)^\1[ \t]*$/gm)].flatMap((block) =>
        block[2]!
          .split("\n")
          .filter((line) => line.length >= 120)
          .map((line) => `${label(page)}: ${line.slice(0, 60)}…`),
      ),
    );
    expect(long).toEqual([]);
  });
});
