/**
 * `npm run sandbox`: the local K2 sandbox on its own, for running examples/ against it without Kopo
 * Kopo credentials. Prints its URL and the shell line that points the examples at it; Ctrl-C stops it.
 *
 * Options: --port N (default 8788; 0 picks a free port).
 */
import { DEV_API_KEY, DEV_CLIENT } from "../sandbox/credentials.js";
import { K2Sandbox } from "../sandbox/server.js";

const port = Number(argument("--port") ?? 8788);
const sandbox = await new K2Sandbox().listen(port, "127.0.0.1");

console.log(
  [
    `Local K2 sandbox listening on ${sandbox.url} (Ctrl-C stops it).`,
    "Its development credentials work nowhere else. In another terminal:",
    `  export K2_BASE_URL=${sandbox.url} K2_CLIENT_ID=${DEV_CLIENT.clientId} K2_CLIENT_SECRET=${DEV_CLIENT.clientSecret} K2_API_KEY=${DEV_API_KEY}`,
    "  npm run build && node examples/node-esm.mjs   # the other examples: examples/README.md",
    "",
  ].join("\n"),
);

async function stop(): Promise<never> {
  await sandbox.close();
  console.log(`Stopped after ${sandbox.requests.length} requests.`);
  process.exit(0);
}
process.on("SIGINT", () => void stop());
process.on("SIGTERM", () => void stop());

function argument(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index === -1 ? undefined : process.argv[index + 1];
}
