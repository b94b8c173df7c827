/**
 * `npm start`: the proxy Worker on http://localhost:8787 under `wrangler dev`, with local KV.
 *
 * Without K2 credentials in .dev.vars it also starts the embedded local K2 sandbox and points the
 * Worker at it, with development keys, so the README's curl examples work at once: a full-access
 * key, and a scoped `checkout` key for the browser page in examples/, served on its own loopback
 * origin. With K2_CLIENT_ID and K2_CLIENT_SECRET in .dev.vars, the Worker talks to the real K2
 * sandbox and no development key is made.
 *
 * Every other setting in .dev.vars reaches the Worker as it is. `wrangler dev` runs with
 * `--test-scheduled`: `GET /__scheduled` runs the Cron Trigger's reconciliation pass at once, since
 * wrangler dev runs no Cron Trigger by itself.
 *
 * Secrets never go on a command line, where any local user reads them (`ps`): the Worker's settings
 * (.dev.vars and what is added here) reach wrangler in one env file, mode 0600 in a private
 * temporary directory, passed with `--env-file` and removed when this script exits.
 *
 * Options: --port N (default 8787), --sandbox-port N (the embedded sandbox's port; default a free
 * one), --pages-port N (the checkout page's port; default 8789, 0: a free one), --dev-vars PATH
 * (default .dev.vars), --persist-to DIR (where local KV, Durable Objects and queues are kept; default
 * .wrangler/state).
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { DEV_API_KEY, DEV_CHECKOUT_KEY, DEV_CLIENT, DEV_PROXY_KEY } from "../sandbox/credentials.ts";
import { K2Sandbox } from "../sandbox/server.ts";
import { readDotEnv } from "../src/cli/dotenv.ts";
import { K2_BASE_URLS } from "../src/index.ts";
import { type CheckoutPage, serveCheckoutPage } from "./checkout-page.ts";
import {
  CHECKOUT_KEY_ID,
  CHECKOUT_LIMITS,
  checkoutPolicy,
  DEV_KEY_ID,
  devProxyKeys,
  SANDBOX_TILL,
} from "./dev-keys.ts";
import { EnvFileValueError, writePrivateEnvFile } from "./private-env-file.ts";

const port = portArgument("--port") ?? 8787;
const sandboxPort = portArgument("--sandbox-port");
const pagesPort = portArgument("--pages-port");
const devVars = readDotEnv(argument("--dev-vars") ?? ".dev.vars");
// What the Worker is given, on top of wrangler.toml's [vars]: .dev.vars, then what is added here.
const settings: Record<string, string> = { ...devVars };
let sandbox: K2Sandbox | undefined;
let checkoutPage: CheckoutPage | undefined;

/**
 * A payment is read back by the reconciler once it has been pending this long, against the sandbox:
 * its payments end after 2 s, so a pass run a few seconds after an STK push settles it, where the
 * deployed default (180 s) would make a newcomer wait three minutes. A pass that came before the
 * payment ended would put its next read a minute off.
 */
const SANDBOX_RECONCILE_AFTER_SECONDS = "5";

if (devVars.K2_CLIENT_ID && devVars.K2_CLIENT_SECRET) {
  // Real credentials: used, never printed.
  console.log("Using K2 credentials from .dev.vars (K2_ENVIRONMENT from wrangler.toml or .dev.vars).");
  if (sandboxPort !== undefined) console.log("--sandbox-port is ignored: the embedded sandbox is not started.");
  if (pagesPort !== undefined) console.log("--pages-port is ignored: the checkout page is for the sandbox's keys.");
} else {
  sandbox = await new K2Sandbox().listen(sandboxPort ?? 0, "127.0.0.1");
  console.log(`No K2 credentials in .dev.vars: using the embedded local K2 sandbox at ${sandbox.url}.`);
  Object.assign(settings, {
    K2_BASE_URL: sandbox.url,
    K2_CLIENT_ID: DEV_CLIENT.clientId,
    K2_CLIENT_SECRET: DEV_CLIENT.clientSecret,
    // The sandbox signs its results with this key, so that the inbox (/k2/callbacks) accepts them.
    K2_API_KEY: DEV_API_KEY,
  });
  settings.RECONCILE_AFTER_SECONDS ??= SANDBOX_RECONCILE_AFTER_SECONDS;
  // The checkout key, unless .dev.vars brings scoped keys of its own, which are then the only ones.
  if (!devVars.PROXY_KEY_POLICIES) {
    try {
      checkoutPage = await serveCheckoutPage(pagesPort ?? 8789, `http://127.0.0.1:${port}`);
    } catch (error) {
      console.error(`The checkout page cannot listen on port ${pagesPort ?? 8789} (${error}); pass --pages-port.`);
      await sandbox.close();
      process.exit(2);
    }
    settings.PROXY_KEY_POLICIES = JSON.stringify([checkoutPolicy(checkoutPage.origins)]);
  }
}
// A caller key: the one from .dev.vars, else the fixed development key against the sandbox, else a
// fresh random key, so that real credentials are never behind a key printed in a README.
const proxyKey = devVars.PROXY_KEYS ? undefined : sandbox ? DEV_PROXY_KEY : randomBytes(24).toString("base64url");
if (proxyKey) settings.PROXY_KEYS = sandbox ? devProxyKeys() : proxyKey;

let envFile: ReturnType<typeof writePrivateEnvFile>;
try {
  envFile = writePrivateEnvFile(settings);
} catch (error) {
  if (!(error instanceof EnvFileValueError)) throw error;
  console.error(`${error.setting} in .dev.vars holds characters that cannot be passed to wrangler; change it.`);
  process.exit(2);
}

const wrangler = spawn(
  "wrangler",
  [
    "dev",
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--show-interactive-dev-session=false",
    "--env-file",
    envFile.path,
    // KV, the Durable Objects (the inbox's events among them) and queues survive a restart.
    "--persist-to",
    argument("--persist-to") ?? ".wrangler/state",
    // GET /__scheduled runs the Cron Trigger's handler (the reconciliation pass) on demand.
    "--test-scheduled",
  ],
  {
    stdio: ["ignore", "pipe", "inherit"],
    env: {
      ...process.env,
      WRANGLER_SEND_METRICS: "false",
      // The proxy reads nothing of Request.cf; fetching it from workers.cloudflare.com only printed a
      // getaddrinfo stack trace when offline. Miniflare's built-in stand-in is used instead.
      CLOUDFLARE_CF_FETCH_ENABLED: "false",
      // wrangler reads the env file only with this on, and must not add this shell's environment.
      CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV: "true",
      CLOUDFLARE_INCLUDE_PROCESS_ENV: "false",
    },
  },
);

let announced = false;
wrangler.stdout.setEncoding("utf8");
wrangler.stdout.on("data", (chunk: string) => {
  process.stdout.write(chunk);
  if (!announced && /Ready on http/.test(chunk)) {
    announced = true;
    console.log(banner().join("\n"));
  }
});

/**
/**
 * What is true of this run, and nothing else: which K2 the Worker talks to, whether its inbox is
 * on (and the setting that turns it on), its keys, and requests that work as printed. The
 * development keys work only against the embedded sandbox, so they are shown; keys from .dev.vars
 * and real credentials never are. test/docs/readme-examples.test.ts takes the README's shell lines
 * from the curl lines here.
 */
function banner(): string[] {
  const key = proxyKey ?? "<a key from PROXY_KEYS in .dev.vars>";
  const base = `http://localhost:${port}`;
  const inbox = Boolean(settings.K2_API_KEY);
  const keyLine = sandbox && proxyKey ? `Proxy key: ${key} (id "${DEV_KEY_ID}": full access)` : `Proxy key: ${key}`;
  const lines = ["", `k2-connect-edge proxy ready on ${base}`, keyLine];
  if (sandbox) {
    // The sandbox's development credentials work nowhere else, so they are shown; real ones never are.
    lines.push(
      `Embedded K2 sandbox: ${sandbox.url} (development credentials, valid only there)`,
      `  K2 client id:     ${DEV_CLIENT.clientId}`,
      `  K2 client secret: ${DEV_CLIENT.clientSecret}`,
      `  K2 API key:       ${DEV_API_KEY} (signs the sandbox's webhooks and results)`,
    );
  } else {
    const environment = settings.K2_ENVIRONMENT === "production" ? "production" : "sandbox";
    const k2 = settings.K2_BASE_URL || K2_BASE_URLS[environment];
    lines.push(`K2: ${k2}, with K2_CLIENT_ID and K2_CLIENT_SECRET from .dev.vars (never printed)`);
  }
  if (checkoutPage)
    lines.push(
      `Checkout key: ${DEV_CHECKOUT_KEY} (id "${CHECKOUT_KEY_ID}": STK pushes on till ${SANDBOX_TILL} and reading them back,`,
      `  up to ${CHECKOUT_LIMITS.maxAmount} KES, callbacks to 127.0.0.1 only, ${CHECKOUT_LIMITS.ratePerMinute} requests a minute,` +
        ` ${CHECKOUT_LIMITS.phoneRatePerHour} prompts per phone an hour, from the checkout page's origin; docs/keys.md)`,
      `Checkout page: ${checkoutPage.url} (an STK push from the browser with the checkout key)`,
    );
  lines.push(
    inbox
      ? "Inbox: on. POST /k2/callbacks stores K2's signed results and webhooks; GET /k2/events lists them."
      : "Inbox: off (/k2/callbacks and /k2/events answer 503): put K2_API_KEY, the key K2 signs with, in .dev.vars.",
  );
  lines.push("Try:", `  curl -s http://localhost:${port}/healthz`);
  if (sandbox) {
    lines.push(
      `  curl -si -X POST http://localhost:${port}/api/v2/incoming_payments \\`,
      `    -H "Authorization: Bearer ${key}" -H "Content-Type: application/json" \\`,
      `    -d '{"payment_channel":"M-PESA STK Push","till_number":"K000000","subscriber":{"first_name":"Jane","last_name":"Doe","phone_number":"+254712345678","email":"jane@example.com"},"amount":{"currency":"KES","value":"20"},"metadata":{},"_links":{"callback_url":"http://127.0.0.1:${port}/k2/callbacks"}}'`,
      "The payment ends about 2 s later and K2 posts the signed result to the proxy's inbox; list it:",
      `  curl -s http://localhost:${port}/k2/events -H "Authorization: Bearer ${key}"`,
    );
    if (checkoutPage)
      lines.push(
        "The checkout key may not send money: 403 forbidden (rule allow), and nothing is sent to K2:",
        `  curl -si -X POST http://localhost:${port}/api/v2/send_money \\`,
        `    -H "Authorization: Bearer ${DEV_CHECKOUT_KEY}" -H "Content-Type: application/json" \\`,
        `    -d '{"currency":"KES","destinations":[{"type":"mobile_wallet","phone_number":"+254712345678","network":"Safaricom","amount":"20"}],"_links":{"callback_url":"http://127.0.0.1:${port}/k2/callbacks"}}'`,
      );
    lines.push(
      `The ledger: 254700000007 pays but its callback never comes; the payment stays pending until a`,
      `reconciliation pass reads its status (here once it is ${settings.RECONCILE_AFTER_SECONDS} s old: RECONCILE_AFTER_SECONDS):`,
      `  curl -si -X POST http://localhost:${port}/api/v2/incoming_payments \\`,
      `    -H "Authorization: Bearer ${key}" -H "Content-Type: application/json" \\`,
      `    -d '{"payment_channel":"M-PESA STK Push","till_number":"K000000","subscriber":{"first_name":"Jane","last_name":"Doe","phone_number":"+254700000007","email":"jane@example.com"},"amount":{"currency":"KES","value":"20"},"metadata":{},"_links":{"callback_url":"http://127.0.0.1:${port}/k2/callbacks"}}'`,
      `  curl -s "http://localhost:${port}/payments?state=pending" -H "Authorization: Bearer ${key}"`,
    );
  } else {
    lines.push(
      `  curl -si -X POST http://localhost:${port}/api/v2/incoming_payments \\`,
      `    -H "Authorization: Bearer ${key}" -H "Content-Type: application/json" \\`,
      `    -d '{"payment_channel":"M-PESA STK Push","till_number":"<your till>","subscriber":{"first_name":"Jane","last_name":"Doe","phone_number":"+254712345678","email":"jane@example.com"},"amount":{"currency":"KES","value":"20"},"metadata":{},"_links":{"callback_url":"https://<a public URL>/k2/callbacks"}}'`,
      "K2 posts the result to callback_url, which must be public: K2 cannot reach this machine's localhost.",
      inbox
        ? `To have results land in this inbox, expose ${base}/k2/callbacks (a tunnel) or deploy (docs/deploy.md).`
        : "The inbox would keep them once K2_API_KEY is set; until then they go only to your callback URL.",
    );
  }
  lines.push(
    `Run a reconciliation pass now (wrangler dev runs no Cron Trigger by itself), then read a payment:`,
    `  curl -s http://localhost:${port}/__scheduled`,
    `  curl -s http://localhost:${port}/payments/<id> -H "Authorization: Bearer ${key}"`,
    "",
  );
  return lines;
}

let stopping = false;
async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  envFile.remove();
  wrangler.kill("SIGTERM");
  await Promise.all([sandbox?.close(), checkoutPage?.close()]);
  process.exit(code);
}
process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));
process.on("SIGHUP", () => void stop(0));
wrangler.on("exit", (code) => void stop(code ?? 1));

function argument(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index === -1 ? undefined : process.argv[index + 1];
}

function portArgument(name: string): number | undefined {
  const raw = argument(name);
  if (raw === undefined) return undefined;
  if (!/^\d{1,5}$/.test(raw) || Number(raw) > 65535) {
    console.error(`${name} takes a port number (0 to 65535)`);
    process.exit(2);
  }
  return Number(raw);
}
