/**
 * `k2-connect-edge`: the command line. The one part of the package allowed Node built-ins (which
 * Deno and Bun provide too): it reads the environment and a `.env` file, prints JSON on stdout and
 * errors on stderr, and never prints the client secret.
 *
 * @module
 */
import process from "node:process";
import { K2Client, K2EdgeError } from "../index.ts";
import { checkedOrigin } from "../transport/origin.ts";
import { readDotEnv } from "./dotenv.ts";

const HELP = `Usage: k2-connect-edge <command> [token]

Commands:
  token               Get an access token with the client-credentials grant; prints the token set.
  revoke <token>      Revoke a token (K2: POST /oauth/revoke).
  introspect <token>  Say whether a token is active, and its scope, client and times.
  info <token>        K2's token info: scopes, seconds left, application.
  sandbox [--port N] [--delay MS]
                      Run a local K2 sandbox on 127.0.0.1 (default port 8788) for development:
                      its own credentials, payments that end after MS (default 2000) with
                      signed results, test phone numbers for failures. Needs no configuration.

Options:
  -h, --help          Show this help.

Configuration (environment variables, or a .env file in the current directory):
  K2_CLIENT_ID        The application's client id (required).
  K2_CLIENT_SECRET    The application's client secret (required; never printed).
  K2_ENVIRONMENT      "sandbox" (default) or "production".
  K2_BASE_URL         Another K2 origin instead, e.g. http://127.0.0.1:9999.

Output: JSON on stdout; errors on stderr with exit code 1 (K2 or network) or 2 (usage, configuration).
Times are ISO-8601 strings.`;

/** Exit codes: 0 success, 1 the request failed, 2 the command line or configuration is wrong. */
const USAGE = 2;
const FAILED = 1;

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const [command, argument, ...extra] = argv;
  if (command === undefined) {
    process.stderr.write(`${HELP}\n`);
    return USAGE;
  }
  if (command === "-h" || command === "--help" || command === "help") {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (command === "sandbox") return sandbox(argv.slice(1));
  const needsToken = command === "revoke" || command === "introspect" || command === "info";
  if (command !== "token" && !needsToken)
    throw new UsageError(`Unknown command "${command}". Run k2-connect-edge --help.`);
  if (needsToken && !argument) throw new UsageError(`"${command}" needs a token: k2-connect-edge ${command} <token>`);
  if ((needsToken ? extra : [argument, ...extra]).some((value) => value !== undefined)) {
    throw new UsageError(`Too many arguments for "${command}". Run k2-connect-edge --help.`);
  }

  const k2 = clientFromEnvironment({ ...readDotEnv(".env"), ...definedOnly(process.env) });
  const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value, isoTimes, 2)}\n`);
  if (command === "token") {
    const { raw: _raw, ...token } = await k2.getToken();
    print(token);
  } else if (command === "revoke") {
    await k2.revokeToken(argument);
    print({ revoked: true });
  } else if (command === "introspect") {
    const { raw: _raw, ...introspection } = await k2.introspectToken(argument);
    print(introspection);
  } else {
    const { raw: _raw, ...info } = await k2.tokenInfo(argument);
    print(info);
  }
  return 0;
}

/** The shape of dist/sandbox.js (sandbox/main.ts), which the build compiles next to this file. */
interface SandboxModule {
  sandboxArguments(argv: string[], defaultPort: number): { port: number; processingDelayMs?: number };
  runSandbox(command: { port: number; processingDelayMs?: number }, next: string): Promise<unknown>;
  SandboxUsageError: new (message: string) => Error;
  SandboxStartError: new (message: string) => Error;
}

/**
 * Loaded only for this command, from a computed URL that bundlers leave alone, so that the
 * sandbox's Node server never weighs on the library or on the other commands. It keeps running
 * until Ctrl-C or SIGTERM.
 */
async function sandbox(argv: string[]): Promise<number> {
  const module = (await import(new URL("./sandbox.js", import.meta.url).href)) as SandboxModule;
  let command: ReturnType<SandboxModule["sandboxArguments"]>;
  try {
    command = module.sandboxArguments(argv, 8788);
  } catch (error) {
    if (error instanceof module.SandboxUsageError) throw new UsageError(error.message);
    throw error;
  }
  try {
    await module.runSandbox(
      command,
      "Point your application at it with these variables; docs/sandbox.md in the package's repository has the rest.",
    );
  } catch (error) {
    if (!(error instanceof module.SandboxStartError)) throw error;
    process.stderr.write(`k2-connect-edge sandbox: ${error.message}\n`);
    return FAILED;
  }
  return 0;
}

function clientFromEnvironment(env: Record<string, string>): K2Client {
  const clientId = env.K2_CLIENT_ID;
  const clientSecret = env.K2_CLIENT_SECRET;
  if (!clientId) throw new UsageError("K2_CLIENT_ID is not set (environment or .env)");
  if (!clientSecret) throw new UsageError("K2_CLIENT_SECRET is not set (environment or .env)");
  const environment = env.K2_ENVIRONMENT || "sandbox";
  if (environment !== "sandbox" && environment !== "production") {
    throw new UsageError('K2_ENVIRONMENT must be "sandbox" or "production"');
  }
  let baseUrl: string | undefined;
  try {
    baseUrl = env.K2_BASE_URL ? checkedOrigin("K2_BASE_URL", env.K2_BASE_URL) : undefined;
  } catch (error) {
    // A configuration mistake, told as one (exit code 2), naming the variable and not its value.
    throw new UsageError((error as Error).message);
  }
  return new K2Client({ clientId, clientSecret, environment, baseUrl });
}

/** Times in the library are epoch milliseconds; people read ISO-8601. */
function isoTimes(key: string, value: unknown): unknown {
  return typeof value === "number" && (key === "expiresAt" || key === "createdAt" || key === "issuedAt")
    ? new Date(value).toISOString()
    : value;
}

function definedOnly(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`k2-connect-edge: ${error.message}\n`);
      process.exitCode = USAGE;
      return;
    }
    // Library errors are typed and carry no secret; anything else is reported by name only.
    const message =
      error instanceof K2EdgeError
        ? `${error.name}: ${error.message}`
        : `${(error as Error)?.name ?? "Error"}: unexpected failure`;
    process.stderr.write(`k2-connect-edge: ${message}\n`);
    process.exitCode = FAILED;
  },
);
