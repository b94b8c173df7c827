/**
 * The public API's TSDoc, checked with the TypeScript compiler so that it cannot go missing: every
 * export says what it does, the RFC or K2 document it implements, and shows an example.
 * Reads the two entries, `src/index.ts` and `src/api/index.ts`, follows every re-export to its
 * declaration and reads the doc comment there, as an editor's hover or a docs generator would.
 */
import { join } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");
const ENTRIES = [join(ROOT, "src", "index.ts"), join(ROOT, "src", "api", "index.ts")];

interface PublicExport {
  /** `entry:name`, so that a failure says which entry lost what. */
  readonly id: string;
  /** A function, class or constant: something a program calls or reads at run time. */
  readonly isValue: boolean;
  readonly documentation: string;
  readonly tags: readonly { readonly name: string; readonly text: string }[];
}

function publicExports(): PublicExport[] {
  // The compiler options only need to resolve src's `./x.ts` imports; nothing is emitted.
  const program = ts.createProgram(ENTRIES, {
    allowImportingTsExtensions: true,
    noEmit: true,
    strict: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ["lib.es2022.d.ts", "lib.dom.d.ts"],
    types: [],
  });
  const checker = program.getTypeChecker();
  return ENTRIES.flatMap((entry) => {
    const source = program.getSourceFile(entry);
    const module = source && checker.getSymbolAtLocation(source);
    if (!module) throw new Error(`TypeScript could not read ${entry}`);
    const label = entry.slice(ROOT.length + 1);
    return checker.getExportsOfModule(module).map((exported) => {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      return {
        id: `${label}:${exported.name}`,
        isValue: (symbol.flags & ts.SymbolFlags.Value) !== 0,
        documentation: ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim(),
        tags: symbol.getJsDocTags(checker).map((tag) => ({ name: tag.name, text: ts.displayPartsToString(tag.text) })),
      };
    });
  });
}

const exports = publicExports();
const values = exports.filter((entry) => entry.isValue);
const tagged = (entry: PublicExport, name: string) => entry.tags.filter((tag) => tag.name === name);

describe("the public API's TSDoc", () => {
  it("reads both entries, functions, classes, constants and types alike", () => {
    // A floor rather than an exact count: adding an export must not break this test, losing the
    // entries (a wrong path, an unresolved import) must.
    expect(exports.length).toBeGreaterThan(100);
    expect(values.length).toBeGreaterThan(40);
    expect(exports.filter((entry) => !entry.isValue).length).toBeGreaterThan(40);
  });

  it("gives every export, types included, a doc comment saying what it is", () => {
    expect(exports.filter((entry) => entry.documentation === "").map((entry) => entry.id)).toEqual([]);
  });

  it("links every exported value to the RFC or K2 document it implements, with @see {@link https://...}", () => {
    const unlinked = values.filter(
      (entry) => !tagged(entry, "see").some((tag) => /\{@link https?:\/\/\S+/.test(tag.text)),
    );
    expect(unlinked.map((entry) => entry.id)).toEqual([]);
  });

  it("gives every exported value an @example", () => {
    expect(values.filter((entry) => tagged(entry, "example").length === 0).map((entry) => entry.id)).toEqual([]);
  });

  it("writes every @example as a non-empty ```ts block", () => {
    const block = /^```ts[ \t]*\n([\s\S]*?)^```/m;
    const bad = exports.flatMap((entry) =>
      tagged(entry, "example")
        .filter((tag) => !(block.exec(tag.text)?.[1] ?? "").trim())
        .map(() => entry.id),
    );
    expect(bad).toEqual([]);
  });
});
