/**
 * Size: the minified and gzipped bytes of the same small program ("get a K2 token", bench/size/*.ts)
 * bundled by esbuild with each library. Node built-ins are left out (they are not shipped); ours is
 * read from dist/, so the number follows whatever `npm run build` produced.
 */
import { gzipSync } from "node:zlib";
import { build, type Plugin } from "esbuild";
import { fileURLToPath } from "node:url";
import { serveSection } from "../lib/child.ts";

export interface SizeRow {
  id: string;
  label: string;
  /** Minified bundle, bytes. */
  minified: number;
  /** The same, gzipped at level 9. */
  gzipped: number;
  /** How many source files went into the bundle. */
  inputs: number;
}

export interface SizeResult {
  esbuild: string;
  rows: SizeRow[];
}

const PROGRAMS: ReadonlyArray<{ id: string; label: string }> = [
  { id: "ours", label: "k2-connect-edge (ours)" },
  { id: "fetch", label: "hand-written fetch + URLSearchParams (no cache)" },
  { id: "oauth4webapi", label: "oauth4webapi + hand-rolled cache" },
  { id: "simple-oauth2", label: "simple-oauth2" },
  { id: "k2-connect-node", label: "k2-connect-node (official SDK)" },
];

/** `k2-connect-edge` is this package: resolve it to the built ESM file a user would get. */
const selfReference: Plugin = {
  name: "k2-connect-edge-from-dist",
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^k2-connect-edge$/ }, () => ({
      path: fileURLToPath(new URL("../../dist/index.js", import.meta.url)),
    }));
  },
};

serveSection<Record<string, never>, SizeResult>(async () => {
  const { version } = await import("esbuild");
  const rows: SizeRow[] = [];
  for (const program of PROGRAMS) {
    const result = await build({
      entryPoints: [fileURLToPath(new URL(`../size/${program.id}.ts`, import.meta.url))],
      bundle: true,
      minify: true,
      format: "esm",
      platform: "node",
      target: "es2022",
      write: false,
      metafile: true,
      logLevel: "silent",
      plugins: [selfReference],
    });
    const code = result.outputFiles[0]!.contents;
    rows.push({
      id: program.id,
      label: program.label,
      minified: code.byteLength,
      gzipped: gzipSync(code, { level: 9 }).byteLength,
      inputs: Object.keys(result.metafile.inputs).length,
    });
  }
  return { esbuild: version, rows };
});
