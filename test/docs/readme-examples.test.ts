/**
 * The README's code cannot drift from the programs `npm test` runs: every JavaScript or TypeScript
 * block in README.md must appear verbatim (whitespace aside) in a file in examples/, which
 * test/examples/examples.test.ts runs and type-checks. Shell blocks may only hold commands found in
 * examples/, commands `npm start` prints (scripts/start.ts's banner), or npm commands for scripts
 * that package.json defines. A block in any other language fails, so that each kind is decided here.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEV_PROXY_KEY } from "../../sandbox/credentials.ts";
import { TEST_PHONE_NUMBERS } from "../../sandbox/outcomes.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const EXAMPLES = join(ROOT, "examples");
const README = readFileSync(join(ROOT, "README.md"), "utf8");
const PACKAGE = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  name: string;
  version: string;
  scripts: Record<string, string>;
};
/** What `npm run release:check` packs, and the README tells users to install until the first release. */
const TARBALL = `release/${PACKAGE.name}-${PACKAGE.version}.tgz`;

const CODE = new Set(["js", "javascript", "mjs", "cjs", "ts", "typescript"]);
const SHELL = new Set(["sh", "bash", "shell"]);

export interface CodeBlock {
  line: number;
  language: string;
  code: string;
}

export function codeBlocks(markdown: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  const pattern = /^```([\w-]*)\n([\s\S]*?)^```/gm;
  for (let match = pattern.exec(markdown); match; match = pattern.exec(markdown)) {
    blocks.push({ line: markdown.slice(0, match.index).split("\n").length, language: match[1]!, code: match[2]! });
  }
  return blocks;
}

const normalise = (text: string): string => text.replace(/\s+/g, " ").trim();

/** Shell commands, one per entry: comments dropped, `\` continuations joined. */
function commands(script: string): string[] {
  return script
    .replace(/\\\n\s*/g, "")
    .split("\n")
    .map((line) => line.replace(/\s+#\s.*$/, "").trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
}

/**
 * The files of examples/ as committed: running an example leaves state beside them (wrangler's
 * `.wrangler/`, a `.dev.vars` with credentials), which is the user's, not an example.
 */
export function exampleSources(dir: string): { name: string; text: string }[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && !entry.name.startsWith("."))
    .map(({ name }) => ({ name, text: normalise(readFileSync(join(dir, name), "utf8")) }));
}

const exampleFiles = exampleSources(EXAMPLES);
const exampleCode = exampleFiles.filter(({ name }) => /\.(mjs|cjs|js|ts)$/.test(name));

/** The commands `npm start` prints once the Worker is ready, for its default port and the development key. */
function startBanner(): string[] {
  const source = readFileSync(join(ROOT, "scripts", "start.ts"), "utf8");
  const lines = [...source.matchAll(/^\s*`(\s*(?:curl|-H|-d)\b.*)`,$/gm)].map((match) =>
    match[1]!.replaceAll("${port}", "8787").replaceAll("${key}", DEV_PROXY_KEY).replaceAll("\\\\", "\\"),
  );
  return commands(lines.join("\n"));
}

/**
 * `npm install`, `npm ci`, `npm install <the tarball release:check packs>`, `npm test`, `npm start`,
 * `npm run <script>`, joined by `&&`.
 */
function isRealNpmCommand(command: string): boolean {
  return command.split("&&").every((part) => {
    const [tool, verb, argument, ...rest] = part.trim().split(/\s+/);
    if (tool !== "npm") return false;
    if (verb === "ci") return argument === undefined;
    if (verb === "install") return argument === undefined || (argument.endsWith(`/${TARBALL}`) && rest.length === 0);
    if (verb === "test" || verb === "start") return argument === undefined || argument === "--";
    return verb === "run" && argument !== undefined && Object.hasOwn(PACKAGE.scripts, argument);
  });
}

describe("README.md code blocks", () => {
  const blocks = codeBlocks(README);

  it("has the two commands, the install line and an example for every runtime", () => {
    const shell = blocks.filter((block) => SHELL.has(block.language)).flatMap((block) => commands(block.code));
    expect(shell).toEqual(
      expect.arrayContaining(["npm install && npm start", "npm test", "npm ci && npm run release:check"]),
    );
    // Not on the registry yet: the tarball release:check packs, at this version.
    expect(shell.some((command) => command.startsWith("npm install ") && command.endsWith(`/${TARBALL}`))).toBe(true);
    expect(shell).not.toContain(`npm install ${PACKAGE.name}`);
    const code = blocks.filter((block) => CODE.has(block.language)).map((block) => block.code);
    for (const marker of [
      'from "k2-connect-edge"',
      'require("k2-connect-edge")',
      'from "npm:k2-connect-edge"',
      "Bun.env",
      "new KvTokenCache(env.TOKEN_CACHE)",
      'from "k2-connect-edge/api"',
      "parseWebhook(",
    ]) {
      expect(
        code.some((block) => block.includes(marker)),
        marker,
      ).toBe(true);
    }
  });

  it("every JavaScript and TypeScript block is copied from a file in examples/", () => {
    const code = blocks.filter((block) => CODE.has(block.language));
    expect(code.length).toBeGreaterThanOrEqual(7);
    const missing = code
      .filter((block) => !exampleCode.some((file) => file.text.includes(normalise(block.code))))
      .map((block) => `README.md line ${block.line}: not found verbatim in any examples/ file`);
    expect(missing).toEqual([]);
  });

  it("every shell command is an example's, npm start's, or an npm script", () => {
    const banner = startBanner();
    expect(banner.length).toBeGreaterThanOrEqual(2);
    const unknown = blocks
      .filter((block) => SHELL.has(block.language))
      .flatMap((block) => commands(block.code).map((command) => ({ line: block.line, command })))
      .filter(
        ({ command }) =>
          !isRealNpmCommand(command) &&
          !banner.includes(command) &&
          !exampleFiles.some((file) => file.text.includes(normalise(command))),
      )
      .map(({ line, command }) => `README.md block at line ${line}: ${command}`);
    expect(unknown).toEqual([]);
  });

  it("holds no block of another kind", () => {
    const other = blocks.filter((block) => !CODE.has(block.language) && !SHELL.has(block.language));
    expect(other.map((block) => `line ${block.line}: \`\`\`${block.language}`)).toEqual([]);
  });
});

describe("the examples read for these checks", () => {
  it("are the committed files, whatever running them left beside them", () => {
    const dir = mkdtempSync(join(tmpdir(), "k2-examples-"));
    try {
      writeFileSync(join(dir, "node-esm.mjs"), "console.log(1);\n");
      mkdirSync(join(dir, ".wrangler", "state"), { recursive: true });
      writeFileSync(join(dir, ".dev.vars"), "K2_CLIENT_SECRET=not-an-example\n");
      expect(exampleSources(dir)).toEqual([{ name: "node-esm.mjs", text: "console.log(1);" }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("README.md prose", () => {
  it("names the test phone numbers and their outcomes as the sandbox's table has them", () => {
    const entries = Object.entries(TEST_PHONE_NUMBERS);
    const failing = entries.filter(([, outcome]) => outcome.status === "Failed" && outcome.callback !== false);
    const silent = entries.filter(([, outcome]) => outcome.callback === false);
    const numbers = failing.map(([number]) => Number(number));
    // One contiguous range, so that "A to B" says it exactly.
    expect(numbers).toEqual(numbers.map((_, index) => numbers[0]! + index));
    const sentence =
      `${failing[0]![0]} to ${failing.at(-1)![0]} fail ` +
      `(${failing.map(([, outcome]) => outcome.outcome.replaceAll("_", " ")).join(", ")}); ` +
      `${silent.map(([number, outcome]) => `${number} ${outcome.status === "Success" ? "pays" : "fails"}`).join(" and ")} ` +
      "without ever calling back; every other number pays";
    expect(normalise(README)).toContain(sentence);
  });

  it('says to save the ES module example as .mjs or with "type": "module"', () => {
    const section = README.slice(README.indexOf("### Node (ES module)"), README.indexOf("### Node (CommonJS)"));
    expect(section).toContain("`app.mjs`");
    expect(section).toContain('`"type": "module"`');
  });
});
