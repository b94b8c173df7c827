/**
 * The workerd project of the repository's vitest.config.ts, exactly, run on this folder's fixture
 * alone: what a workerd test prints is decided by that configuration (output.node.test.ts).
 */
import { fileURLToPath } from "node:url";
import { defineConfig, type TestProjectInlineConfiguration } from "vitest/config";
import root from "../../../../vitest.config.ts";

const workerd = root.test!.projects!.find(
  (project): project is TestProjectInlineConfiguration =>
    typeof project === "object" && (project as TestProjectInlineConfiguration).test?.name === "workerd",
)!;
const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

export default defineConfig({
  root: ROOT,
  test: {
    testTimeout: 20_000,
    hookTimeout: 60_000,
    projects: [{ ...workerd, test: { ...workerd.test, include: ["test/worker/runtime/output/*.fixture.ts"] } }],
  },
});
