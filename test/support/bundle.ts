/**
 * What a user ships: an esbuild bundle of a small program, minified, as the size tests measure it.
 */
import { build } from "esbuild";

/** The minified ESM bundle of `source`, resolving imports from `resolveDir`. */
export async function minifiedBundle(source: string, resolveDir: string): Promise<string> {
  const result = await build({
    stdin: { contents: source, resolveDir, loader: "js" },
    bundle: true,
    minify: true,
    format: "esm",
    write: false,
    platform: "neutral",
  });
  return result.outputFiles[0]!.text;
}
