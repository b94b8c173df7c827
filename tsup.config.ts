import { sep } from "node:path";
import type { Plugin } from "esbuild";
import { defineConfig, type Options } from "tsup";

/**
 * `src/api` imports the core only through `../index.ts`. That import stays external, pointing at the
 * built core entry, so that `k2-connect-edge/api` shares the core's classes instead of bundling
 * copies: otherwise the CommonJS api entry would hold its own `K2EdgeError`, and `instanceof` across
 * the two entries would fail. esbuild emits ESM for both formats here (rollup then tree-shakes and
 * writes CommonJS), so the CommonJS chunk is pointed at `../index.cjs` before rollup sees it.
 */
const apiImportsCore: Plugin = {
  name: "api-imports-core",
  setup(build) {
    build.onResolve({ filter: /^\.\.\/index\.ts$/ }, (args) =>
      args.importer.includes(`${sep}src${sep}api${sep}`) ? { path: "../index.js", external: true } : undefined,
    );
  },
};
const apiRequiresCoreCjs: NonNullable<Options["plugins"]>[number] = {
  name: "api-requires-core-cjs",
  renderChunk(code, chunk) {
    if (this.format !== "cjs" || !chunk.path.includes(`${sep}api${sep}`)) return;
    return { code: code.replace(/(["'])\.\.\/index\.js\1/g, '"../index.cjs"') };
  },
};

export default defineConfig([
  {
    entry: { index: "src/index.ts", "api/index": "src/api/index.ts" },
    format: ["esm", "cjs"],
    dts: true,
    clean: false,
    sourcemap: false,
    target: "es2022",
    platform: "neutral",
    treeshake: true,
    esbuildPlugins: [apiImportsCore],
    plugins: [apiRequiresCoreCjs],
  },
  {
    // The command line: one self-contained ESM file with a shebang, for npx and deno run npm:.
    entry: { cli: "src/cli/index.ts" },
    format: ["esm"],
    dts: false,
    sourcemap: false,
    target: "es2022",
    platform: "node",
    banner: { js: "#!/usr/bin/env node" },
  },
]);
