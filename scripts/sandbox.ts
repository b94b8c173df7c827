/**
 * `npm run sandbox`: the local K2 sandbox on its own, for running examples/ against it without Kopo
 * Kopo credentials. Prints its URL, its credentials, the shell line that points the examples at it
 * and the test phone numbers; Ctrl-C stops it. docs/sandbox.md is its manual.
 *
 * Options: --port N (default 8788; 0 picks a free port), --delay MS (how long payments stay Pending).
 */
import { runSandbox, sandboxArguments, SandboxStartError, SandboxUsageError } from "../sandbox/main.ts";

try {
  await runSandbox(
    sandboxArguments(process.argv.slice(2), 8788),
    "npm run build && node examples/node-esm.mjs   # the other examples: examples/README.md",
  );
} catch (error) {
  if (!(error instanceof SandboxUsageError || error instanceof SandboxStartError)) throw error;
  console.error(`npm run sandbox: ${error.message}`);
  process.exit(error instanceof SandboxUsageError ? 2 : 1);
}
