import { defineConfig } from "tsup";

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
