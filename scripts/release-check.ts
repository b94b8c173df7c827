/**
 * `npm run release:check`: everything a release needs but the upload, so that a maintainer with
 * credentials publishes with one command afterwards (docs/releasing.md). In order: build, pack,
 * publint, arethetypeswrong on the tarball, JSR's dry run, the size budgets, and the tarball
 * installed into a fresh `npm init -y` project (CommonJS by default, as users start), where
 * `require` and `import` both load it. Stops at the first failure; the tarball is left in
 * release/ for `npm publish`.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "..");
const BIN = join(ROOT, "node_modules", ".bin");
const OUT = join(ROOT, "release");

function step(title: string, command: string, args: string[], cwd = ROOT): string {
  process.stdout.write(`- ${title}: `);
  try {
    const output = execFileSync(command, args, {
      cwd,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" },
    });
    process.stdout.write("ok\n");
    return output;
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string };
    process.stdout.write("FAILED\n");
    console.error(`${failed.stdout ?? ""}${failed.stderr ?? ""}` || failed.message);
    process.exit(1);
  }
}

step("build", "npm", ["run", "build"]);
rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT);
const [packed] = JSON.parse(step("pack", "npm", ["pack", "--json", "--pack-destination", OUT])) as {
  filename: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
}[];
const tarball = join(OUT, packed!.filename);
step("publint --strict", join(BIN, "publint"), ["--strict"]);
step("arethetypeswrong", join(BIN, "attw"), [tarball, "--format", "ascii"]);
step("JSR dry run", join(BIN, "deno"), ["publish", "--dry-run", "--allow-dirty", "--config", "jsr.json"]);
step("size budgets", join(BIN, "vitest"), [
  "run",
  "--project",
  "node",
  "test/runtimes/size.test.ts",
  "test/api/size.test.ts",
]);

// A fresh project as `npm init -y` writes it ("type": "commonjs"): require works as is, and import
// from an .mjs file, as the README says.
const project = mkdtempSync(join(tmpdir(), "k2-release-check-"));
try {
  step("fresh project", "npm", ["init", "-y"], project);
  step("install the tarball", "npm", ["install", tarball, "--no-audit", "--no-fund"], project);
  const probe = (name: string, load: string) =>
    writeFileSync(
      join(project, name),
      `${load}
const k2 = new K2Client({ clientId: "id", clientSecret: "secret", environment: "sandbox" });
if (k2.baseUrl !== "https://sandbox.kopokopo.com") throw new Error("unexpected baseUrl " + k2.baseUrl);
if (typeof createStkPush !== "function") throw new Error("k2-connect-edge/api did not load");
console.log("loaded");
`,
    );
  probe(
    "probe.cjs",
    'const { K2Client } = require("k2-connect-edge");\nconst { createStkPush } = require("k2-connect-edge/api");',
  );
  probe(
    "probe.mjs",
    'import { K2Client } from "k2-connect-edge";\nimport { createStkPush } from "k2-connect-edge/api";',
  );
  step("require() from CommonJS", process.execPath, ["probe.cjs"], project);
  step("import from an ES module", process.execPath, ["probe.mjs"], project);
  step("the command line", "npx", ["--no-install", "k2-connect-edge", "--help"], project);
} finally {
  rmSync(project, { recursive: true, force: true });
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
console.log(
  `\nReady: ${join("release", packed!.filename)} (${kib(packed!.size)} packed, ${kib(packed!.unpackedSize)} ` +
    `unpacked, ${packed!.entryCount} files). To publish it, with credentials: docs/releasing.md.`,
);
