/**
 * The package as users get it: `npm pack`, then installed from the tarball into an empty project.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const ROOT = join(import.meta.dirname, "..", "..");
export const BIN = join(ROOT, "node_modules", ".bin");

export interface PackedProject {
  dir: string;
  tarball: string;
}

/** Packs the built package and installs the tarball into a fresh project with the runners. */
export function installPackedPackage(): PackedProject {
  const dir = mkdtempSync(join(tmpdir(), "k2-edge-packed-"));
  execFileSync("npm", ["pack", "--pack-destination", dir], { cwd: ROOT, stdio: "pipe" });
  const tarball = join(
    dir,
    readdirSync(dir).find((name) => name.endsWith(".tgz"))!,
  );
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
  // Deno resolves npm: specifiers from this node_modules instead of the registry.
  writeFileSync(join(dir, "deno.json"), JSON.stringify({ nodeModulesDir: "manual" }));
  execFileSync("npm", ["install", tarball, "--no-audit", "--no-fund", "--ignore-scripts"], { cwd: dir, stdio: "pipe" });
  for (const file of ["conformance.mjs", "report.mjs", "run.mjs", "run-deno.mjs", "run.cjs"]) {
    copyFileSync(join(ROOT, "test", "runtimes", file), join(dir, file));
  }
  return { dir, tarball };
}

/** The Node binaries to test: the machine's own (first on PATH outside node_modules) and the pinned one. */
export function nodeBinaries(): { label: string; path: string }[] {
  const pinned = join(BIN, "node");
  const machine = (process.env.PATH ?? "")
    .split(":")
    .filter((dir) => dir && !dir.includes("node_modules"))
    .map((dir) => join(dir, "node"))
    .find((path) => {
      try {
        execFileSync(path, ["--version"], { stdio: "pipe" });
        return true;
      } catch {
        return false;
      }
    });
  return [...(machine ? [{ label: "machine", path: machine }] : []), { label: "pinned", path: pinned }];
}
