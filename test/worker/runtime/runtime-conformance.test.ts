/**
 * The runtime matrix inside workerd: the built ESM bundle (dist/, not the sources) runs the same
 * conformance checks as Node, Deno, Bun and Chromium, against the K2 sandbox.
 */
import { expect, it } from "vitest";
import * as pkg from "../../../dist/index.js";
import { runConformance } from "../../runtimes/conformance.mjs";
import { sandboxUrl } from "../support/sandbox-control.ts";

it("workerd runs the conformance checks on the built bundle", async () => {
  const results = await runConformance(pkg, sandboxUrl());
  console.log(`runtime matrix: workerd: ${results.filter((r) => r.ok).length}/${results.length} checks`);
  expect(results.filter((result) => !result.ok)).toEqual([]);
  expect(results).toHaveLength(9);
});
