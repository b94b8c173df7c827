/**
 * Starting the sandbox from a command line: `npm run sandbox` (scripts/sandbox.ts) in this
 * repository, and `npx k2-connect-edge sandbox` for users of the package, which loads this module
 * compiled to dist/sandbox.js only when that command runs, so the library's entries never carry it.
 */
import { createServer } from "node:net";
import process from "node:process";
import { DEV_API_KEY, DEV_CLIENT } from "./credentials.ts";
import { outcomeSummary } from "./outcomes.ts";
import { K2Sandbox } from "./server.ts";

export interface SandboxCommand {
  port: number;
  processingDelayMs?: number;
}

/** A command line the sandbox cannot start with; its message says what to change. */
export class SandboxUsageError extends Error {}

/** The sandbox could not start where it was asked to (its port is taken); the message says what to do. */
export class SandboxStartError extends Error {}

/** `--port N` (0: a free port) and `--delay MS` (how long payments stay Pending). */
export function sandboxArguments(argv: string[], defaultPort: number): SandboxCommand {
  const command: SandboxCommand = { port: defaultPort };
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i];
    const value = argv[i + 1];
    if ((name === "--port" || name === "--delay") && value !== undefined && /^\d+$/.test(value)) {
      if (name === "--port" && Number(value) > 65535) throw new SandboxUsageError("--port must be at most 65535");
      if (name === "--port") command.port = Number(value);
      else command.processingDelayMs = Number(value);
      i++;
    } else if (name === "--port" || name === "--delay") {
      throw new SandboxUsageError(`${name} needs a whole number, e.g. ${name} ${name === "--port" ? 8788 : 2000}`);
    } else throw new SandboxUsageError(`Unknown sandbox option "${name}" (options: --port N, --delay MS)`);
  }
  return command;
}

/**
 * Starts the sandbox on 127.0.0.1, prints how to use it, and stops it on Ctrl-C or SIGTERM.
 * `next` is the line after the `export` one: what to run against it.
 */
export async function runSandbox(command: SandboxCommand, next: string): Promise<K2Sandbox> {
  await ensurePortFree(command.port, "127.0.0.1");
  const sandbox = await new K2Sandbox({ processingDelayMs: command.processingDelayMs }).listen(
    command.port,
    "127.0.0.1",
  );
  const delay = sandbox.options.processingDelayMs;
  // These credentials are the sandbox's own and work nowhere else, so printing them gives nothing away.
  process.stdout.write(
    [
      `Local K2 sandbox listening on ${sandbox.url} (Ctrl-C stops it).`,
      `  client id      ${DEV_CLIENT.clientId}`,
      `  client secret  ${DEV_CLIENT.clientSecret}`,
      `  API key        ${DEV_API_KEY} (signs results and webhooks)`,
      "Its development credentials work nowhere else. In another terminal:",
      `  export K2_BASE_URL=${sandbox.url} K2_CLIENT_ID=${DEV_CLIENT.clientId} K2_CLIENT_SECRET=${DEV_CLIENT.clientSecret} K2_API_KEY=${DEV_API_KEY}`,
      `  ${next}`,
      "",
      `Payments end ${Number.isFinite(delay) ? `${delay} ms` : "when settled"} after they are created; results go to their callback URLs.`,
      "Test phone numbers (any spelling: +254..., 254..., 07..., 7...; every other number succeeds):",
      ...outcomeSummary(),
      `Controls under ${sandbox.url}/__sandbox/: requests, deliveries, reset, expire, revoke, inject, trigger, settle.`,
      "",
    ].join("\n"),
  );
  const stop = async () => {
    await sandbox.close();
    process.stdout.write(`Stopped after ${sandbox.requests.length} requests.\n`);
    process.exit(0);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());
  return sandbox;
}

/**
 * A taken port is the one failure a newcomer meets (a sandbox already running in another terminal,
 * or `npm start`'s): said in one line before the server starts, rather than as Node's unhandled
 * `EADDRINUSE` event from inside it.
 */
async function ensurePortFree(port: number, host: string): Promise<void> {
  if (port === 0) return;
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        error.code === "EADDRINUSE" || error.code === "EACCES"
          ? new SandboxStartError(
              `port ${port} on ${host} is ${error.code === "EADDRINUSE" ? "already in use (is a sandbox already running?)" : "not open to this user"}; ` +
                "choose another with --port N, or --port 0 for a free one",
            )
          : error,
      ),
    );
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}
