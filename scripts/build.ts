/**
 * `npm run build`: dist/ as the package ships it. One output file per source file, in ESM (`.js`)
 * and CommonJS (`.cjs`), so that the two entries (`k2-connect-edge`, `k2-connect-edge/api`) share
 * every module, and with it every class (`instanceof` holds across entries), instead of each
 * bundling copies. Declarations come from tsc, `.d.ts` for ESM and `.d.cts` for CommonJS. The
 * command line is one self-contained file, and so is the local K2 sandbox it runs
 * (`k2-connect-edge sandbox`), which no entry imports: the CLI loads it only for that command.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { build, type Plugin } from "esbuild";

const ROOT = join(import.meta.dirname, "..");
const SRC = join(ROOT, "src");
const DIST = join(ROOT, "dist");

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return relative(SRC, path) === "cli" ? [] : sources(path);
    return path.endsWith(".ts") ? [path] : [];
  });
}

/** Every relative import stays an import of the sibling output file, renamed to its extension. */
function siblingImports(extension: ".js" | ".cjs"): Plugin {
  return {
    name: "sibling-imports",
    setup(pluginBuild) {
      pluginBuild.onResolve({ filter: /^\.\.?\// }, (args) =>
        args.kind === "entry-point" ? undefined : { path: args.path.replace(/\.ts$/, extension), external: true },
      );
    },
  };
}

rmSync(DIST, { recursive: true, force: true });
const entryPoints = sources(SRC);
for (const [format, extension] of [
  ["esm", ".js"],
  ["cjs", ".cjs"],
] as const) {
  await build({
    entryPoints,
    outdir: DIST,
    outbase: SRC,
    bundle: true,
    format,
    outExtension: { ".js": extension },
    platform: "neutral",
    target: "es2022",
    plugins: [siblingImports(extension)],
    logLevel: "warning",
  });
}

// tsc keeps the sources' `./x.ts` specifiers in declarations: point them at the declared output.
const relativeTs = /(from\s+|import\()(["'])(\.\.?\/[^"']*)\.ts\2/g;
execFileSync(join(ROOT, "node_modules", ".bin", "tsc"), ["-p", join(ROOT, "tsconfig.build.json")], {
  stdio: "inherit",
});
for (const file of entryPoints) {
  const declaration = join(DIST, relative(SRC, file)).replace(/\.ts$/, ".d.ts");
  const text = readFileSync(declaration, "utf8");
  writeFileSync(declaration, text.replace(relativeTs, "$1$2$3.js$2"));
  writeFileSync(declaration.replace(/\.d\.ts$/, ".d.cts"), text.replace(relativeTs, "$1$2$3.cjs$2"));
}

await build({
  entryPoints: { cli: join(SRC, "cli", "index.ts") },
  outdir: DIST,
  bundle: true,
  format: "esm",
  platform: "node",
  target: "es2022",
  banner: { js: "#!/usr/bin/env node" },
  logLevel: "warning",
});

// The sandbox (sandbox/, Node only) for `k2-connect-edge sandbox`: dist/sandbox.js, next to cli.js.
await build({
  entryPoints: { sandbox: join(ROOT, "sandbox", "main.ts") },
  outdir: DIST,
  bundle: true,
  format: "esm",
  platform: "node",
  target: "es2022",
  logLevel: "warning",
});
