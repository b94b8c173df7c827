import { defineConfig } from "tsup";

export default defineConfig({
  entry: { index: "src/index.ts", "api/index": "src/api/index.ts" },
  format: ["esm", "cjs"],
  dts: true,
  clean: true,
  sourcemap: false,
  target: "es2022",
  platform: "neutral",
  treeshake: true,
});
