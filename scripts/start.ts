/**
 * `npm start`: the proxy Worker on http://localhost:8787 under `wrangler dev`, with local KV.
 *
 * Without K2 credentials in .dev.vars it also starts the embedded local K2 sandbox and points the
 * Worker at it, with a development proxy key, so the README's curl example works at once. With
 * K2_CLIENT_ID and K2_CLIENT_SECRET in .dev.vars, the Worker talks to the real K2 sandbox.
 *
 * Options: --port N (default 8787).
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { DEV_CLIENT, DEV_PROXY_KEY } from "../sandbox/credentials.js";
import { K2Sandbox } from "../sandbox/server.js";
import { readDotEnv } from "../src/cli/dotenv.js";

const port = Number(argument("--port") ?? 8787);
const devVars = readDotEnv(".dev.vars");
const vars: string[] = [];
let sandbox: K2Sandbox | undefined;

if (devVars.K2_CLIENT_ID && devVars.K2_CLIENT_SECRET) {
  console.log("Using K2 credentials from .dev.vars (K2_ENVIRONMENT from wrangler.toml or .dev.vars).");
} else {
  sandbox = await new K2Sandbox().listen(0, "127.0.0.1");
  console.log(`No K2 credentials in .dev.vars: using the embedded local K2 sandbox at ${sandbox.url}.`);
  vars.push(
    `K2_BASE_URL:${sandbox.url}`,
    `K2_CLIENT_ID:${DEV_CLIENT.clientId}`,
    `K2_CLIENT_SECRET:${DEV_CLIENT.clientSecret}`,
  );
}
// A caller key: the one from .dev.vars, else the fixed development key against the sandbox, else a
// fresh random key, so that real credentials are never behind a key printed in a README.
const proxyKey = devVars.PROXY_KEYS ? undefined : sandbox ? DEV_PROXY_KEY : randomBytes(24).toString("base64url");
if (proxyKey) vars.push(`PROXY_KEYS:${proxyKey}`);

const wrangler = spawn(
  "wrangler",
  [
    "dev",
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--show-interactive-dev-session=false",
    ...vars.flatMap((v) => ["--var", v]),
  ],
  { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, WRANGLER_SEND_METRICS: "false" } },
);

let announced = false;
wrangler.stdout.setEncoding("utf8");
wrangler.stdout.on("data", (chunk: string) => {
  process.stdout.write(chunk);
  if (!announced && /Ready on http/.test(chunk)) {
    announced = true;
    const key = proxyKey ?? "<a key from PROXY_KEYS in .dev.vars>";
    console.log(
      [
        "",
        `k2-connect-edge proxy ready on http://localhost:${port}`,
        `Proxy key: ${key}`,
        "Try:",
        `  curl -s http://localhost:${port}/healthz`,
        `  curl -si -X POST http://localhost:${port}/api/v2/incoming_payments \\`,
        `    -H "Authorization: Bearer ${key}" -H "Content-Type: application/json" \\`,
        `    -d '{"payment_channel":"M-PESA STK Push","till_number":"K000000","subscriber":{"first_name":"Jane","last_name":"Doe","phone_number":"+254712345678","email":"jane@example.com"},"amount":{"currency":"KES","value":"20"},"metadata":{},"_links":{"callback_url":"https://example.com/result"}}'`,
        "",
      ].join("\n"),
    );
  }
});

async function stop(code: number): Promise<never> {
  wrangler.kill("SIGTERM");
  await sandbox?.close();
  process.exit(code);
}
process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));
wrangler.on("exit", (code) => void stop(code ?? 1));

function argument(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index === -1 ? undefined : process.argv[index + 1];
}
