/**
 * examples/, run as a user runs them: copied into a fresh project that installed the packed
 * package, against a local K2 sandbox, on Node (ESM and CommonJS, the machine's Node), Deno, Bun
 * and Node with tsx; then type-checked there with tsc, the Worker ones with the Workers types.
 * examples/worker.ts also runs inside workerd: test/worker/runtime/example-worker.test.ts.
 */
import { execFile, spawn } from "node:child_process";
import { copyFileSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEV_API_KEY, DEV_CLIENT } from "../../sandbox/credentials.ts";
import { SAMPLE_STK_PUSH } from "../../sandbox/samples.ts";
import { K2Sandbox } from "../../sandbox/server.ts";
import { BIN, installPackedPackage, nodeBinaries, ROOT, type PackedProject } from "../runtimes/packed-package.ts";

const EXAMPLES = join(ROOT, "examples");
const NODE = nodeBinaries()[0]!.path; // the machine's Node (20) when there is one: what users run
const TSX = join(ROOT, "node_modules", "tsx", "dist", "cli.mjs");
let project: PackedProject;

beforeAll(() => {
  project = installPackedPackage();
  for (const file of readdirSync(EXAMPLES).filter((name) => /\.(mjs|cjs|ts)$/.test(name))) {
    copyFileSync(join(EXAMPLES, file), join(project.dir, file));
  }
}, 120_000);

afterAll(() => {
  if (project) rmSync(project.dir, { recursive: true, force: true });
});

/** Runs a command in the project; the environment carries the credentials, never the arguments. */
async function run(
  command: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ stdout: string; stderr: string }> {
  return promisify(execFile)(command, args, {
    cwd: project.dir,
    env: { ...process.env, NO_COLOR: "1", ...env },
    timeout: 30_000,
  }).catch((error: { code?: number | string; stdout?: string; stderr?: string; message: string }) => {
    throw new Error(
      `${command} ${args.join(" ")} failed (exit ${error.code}): ${error.stderr || error.stdout || error.message}`,
    );
  });
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe.concurrent("examples against the local K2 sandbox (packed package)", () => {
  const programs: { name: string; command: string; args: string[]; also?: string[]; untilFinal?: boolean }[] = [
    // The README's quick start: it asks until the payment ends, as the sandbox ends it.
    { name: "node-esm.mjs on Node", command: NODE, args: ["node-esm.mjs"], untilFinal: true },
    { name: "node-cjs.cjs on Node", command: NODE, args: ["node-cjs.cjs"] },
    { name: "deno.ts on Deno", command: join(BIN, "deno"), args: ["run", "--allow-net", "--allow-env", "deno.ts"] },
    { name: "bun.ts on Bun", command: join(BIN, "bun"), args: ["bun.ts"] },
    {
      name: "typed-api.ts on Node with tsx",
      command: NODE,
      args: [TSX, "typed-api.ts"],
      // The second, invalid STK push never leaves the process.
      also: [
        "Refused before sending: subscriber.phone_number must be a Kenyan mobile number: +254, 254 or 0 and 9 digits, e.g. +254712345678",
      ],
    },
  ];

  for (const { name, command, args, also = [], untilFinal = false } of programs) {
    it(`${name}: creates an STK push and reads its status`, async () => {
      const sandbox = await new K2Sandbox({ processingDelayMs: 300 }).listen(0);
      // The result goes to K2_CALLBACK_URL: here the sandbox itself, so that no test posts to a
      // developer's own npm start on 8787 (the examples' default against a local K2).
      const callbackUrl = `${sandbox.url}/__sandbox/requests`;
      try {
        const { stdout, stderr } = await run(command, args, {
          K2_BASE_URL: sandbox.url,
          K2_CLIENT_ID: DEV_CLIENT.clientId,
          K2_CLIENT_SECRET: DEV_CLIENT.clientSecret,
          K2_CALLBACK_URL: callbackUrl,
        });
        const location = /^STK push created: (\S+)$/m.exec(stdout)?.[1];
        expect(location).toMatch(new RegExp(`^${escape(sandbox.url)}/api/v2/incoming_payments/[0-9a-f-]{36}$`));
        // Read at once, the payment is pending, or just ended on a slow machine.
        expect(stdout).toMatch(/^Status: (Pending|Success)$/m);
        if (untilFinal) expect(stdout.trimEnd()).toMatch(/Status: Success$/);
        for (const line of also) expect(stdout).toContain(line);

        // One token, one POST with exactly the sample body, one status read at the printed location.
        expect(sandbox.requestsTo("/oauth/token")).toHaveLength(1);
        const posts = sandbox.requestsTo("/api/v2/incoming_payments");
        expect(posts.map((request) => request.method)).toEqual(["POST"]);
        expect(JSON.parse(posts[0]!.body)).toEqual({ ...SAMPLE_STK_PUSH, _links: { callback_url: callbackUrl } });
        const reads = sandbox.requestsTo(new URL(location!).pathname);
        expect(reads.length).toBeGreaterThanOrEqual(1);
        if (!untilFinal) expect(reads).toHaveLength(1);
        expect(reads.every((request) => request.method === "GET")).toBe(true);

        // Neither the secret nor the token is ever printed.
        const token = posts[0]!.headers.authorization!.replace(/^Bearer /, "");
        for (const secret of [DEV_CLIENT.clientSecret, token]) {
          expect(stdout + stderr).not.toContain(secret);
        }
      } finally {
        await sandbox.close();
      }
    });
  }

  it("every example sends results to npm start's inbox on loopback against a local K2, and needs K2_CALLBACK_URL for a real one", () => {
    for (const file of ["node-esm.mjs", "node-cjs.cjs", "deno.ts", "bun.ts", "typed-api.ts", "worker.ts"]) {
      const source = readFileSync(join(EXAMPLES, file), "utf8").replace(/\s+/g, " ");
      expect(source, file).toMatch(
        /K2_CALLBACK_URL"?\)? \?\?\s*\(\S*K2_BASE_URL"?\)? \? "http:\/\/127\.0\.0\.1:8787\/k2\/callbacks"/,
      );
    }
  });

  it('the README\'s ES module example runs as printed, as app.mjs and as app.js under "type": "module"', async () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("### Node (ES module)"));
    const printed = /^```js\n([\s\S]*?)^```/m.exec(section)![1]!;
    writeFileSync(join(project.dir, "app.mjs"), printed);
    writeFileSync(join(project.dir, "app.js"), printed); // the project's package.json says "type": "module"
    const sandbox = await new K2Sandbox({ processingDelayMs: 300 }).listen(0);
    try {
      for (const file of ["app.mjs", "app.js"]) {
        const { stdout } = await run(NODE, [file], {
          K2_BASE_URL: sandbox.url,
          K2_CLIENT_ID: DEV_CLIENT.clientId,
          K2_CLIENT_SECRET: DEV_CLIENT.clientSecret,
          K2_CALLBACK_URL: `${sandbox.url}/__sandbox/requests`,
        });
        expect(stdout, file).toMatch(
          new RegExp(`^STK push created: ${escape(sandbox.url)}/api/v2/incoming_payments/`, "m"),
        );
      }
      expect(sandbox.requestsTo("/api/v2/incoming_payments").filter((r) => r.method === "POST")).toHaveLength(2);
    } finally {
      await sandbox.close();
    }
  });

  it("docs/runtimes-and-size.md's Deno script runs as printed against the sandbox, printing no token", async () => {
    const page = readFileSync(join(ROOT, "docs", "runtimes-and-size.md"), "utf8");
    const printed = [...page.matchAll(/^```ts\n([\s\S]*?)^```/gm)]
      .map((match) => match[1]!)
      .find((code) => code.includes('from "npm:k2-connect-edge"'))!;
    writeFileSync(join(project.dir, "docs-deno.ts"), printed);
    const sandbox = await new K2Sandbox().listen(0);
    try {
      const { stdout } = await run(join(BIN, "deno"), ["run", "--allow-net", "--allow-env", "docs-deno.ts"], {
        K2_BASE_URL: sandbox.url,
        K2_CLIENT_ID: DEV_CLIENT.clientId,
        K2_CLIENT_SECRET: DEV_CLIENT.clientSecret,
      });
      expect(stdout).toMatch(/^Token valid until \d{4}-\d\d-\d\dT/);
      const [token] = sandbox.requestsTo("/oauth/token");
      expect(token).toBeDefined();
      expect(stdout).not.toContain(DEV_CLIENT.clientSecret);
    } finally {
      await sandbox.close();
    }
  });

  it("node-esm.mjs without credentials says what to set and exits 1", async () => {
    const failure = await run(NODE, ["node-esm.mjs"], { K2_CLIENT_ID: "", K2_CLIENT_SECRET: "" }).then(
      () => undefined,
      (error: Error) => error.message,
    );
    expect(failure).toContain("(exit 1)");
    expect(failure).toContain("Set K2_CLIENT_ID and K2_CLIENT_SECRET first");
  });

  // The handler is called with a genuine webhook, signed by signWebhook with the sandbox's API key,
  // then with the same body tampered with, on the two runtimes that run its TypeScript as it is.
  const DRIVER = `
import { signWebhook } from "k2-connect-edge";
import { createWebhookHandler } from "./webhook-handler.ts";

const apiKey = process.env.K2_API_KEY!;
const handler = createWebhookHandler(apiKey);
// Pretty-printed, as K2 may send it: only the raw bytes verify.
const body = JSON.stringify({
  topic: "buygoods_transaction_received",
  id: "2133dbfb-24b9-40fc-ae57-2d7559785760",
  created_at: "2026-11-22T10:30:00+03:00",
  event: { type: "Buygoods Transaction", resource: { id: "458712f-gr76y-24", amount: "20.0", currency: "KES", status: "Received" } },
  _links: { self: "https://sandbox.kopokopo.com/webhook_events/2133dbfb-24b9-40fc-ae57-2d7559785760" },
}, null, 2);
const post = (text: string, signature: string | null) =>
  handler(new Request("http://localhost/webhooks", { method: "POST", headers: signature ? { "x-kopokopo-signature": signature } : {}, body: text }));
const signature = await signWebhook(body, apiKey);
const statuses = {
  genuine: (await post(body, signature)).status,
  tampered: (await post(body.replace('"20.0"', '"2000.0"'), signature)).status,
  unsigned: (await post(body, null)).status,
  unreadable: (await post("not json", await signWebhook("not json", apiKey))).status,
};
console.log(JSON.stringify(statuses));
`;

  beforeAll(() => writeFileSync(join(project.dir, "drive-webhook.ts"), DRIVER));
  const webhookRuntimes: { runtime: string; program: string; args: string[] }[] = [
    { runtime: "Bun", program: join(BIN, "bun"), args: ["drive-webhook.ts"] },
    { runtime: "Deno", program: join(BIN, "deno"), args: ["run", "--allow-env", "drive-webhook.ts"] },
  ];
  for (const { runtime, program, args } of webhookRuntimes) {
    it(`webhook-handler.ts on ${runtime}: 200 for a genuine signature, 401 for a tampered body`, async () => {
      const { stdout } = await run(program, args, { K2_API_KEY: DEV_API_KEY });
      const lines = stdout.trim().split("\n");
      expect(lines).toContain("Payment received: 2133dbfb-24b9-40fc-ae57-2d7559785760, KES 20.0");
      expect(JSON.parse(lines.at(-1)!)).toEqual({ genuine: 200, tampered: 401, unsigned: 401, unreadable: 400 });
      expect(stdout).not.toContain(DEV_API_KEY);
    });
  }

  it("npm run sandbox prints the export line examples/README.md gives, and stops on SIGTERM", async () => {
    const child = spawn(join(BIN, "tsx"), ["scripts/sandbox.ts", "--port", "0"], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      let output = "";
      child.stdout.setEncoding("utf8");
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`npm run sandbox printed no export line: ${output}`)), 20_000);
        child.stdout.on("data", (chunk: string) => {
          output += chunk;
          if (/^\s*export .*\n/m.test(output)) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)![1]!;
      const printed = /^\s*(export .*)$/m.exec(output)![1]!;
      const documented = /^export .*$/m.exec(readFileSync(join(EXAMPLES, "README.md"), "utf8"))![0];
      expect(printed).toBe(documented.replace("http://127.0.0.1:8788", url));
      // The sandbox it started answers with those credentials.
      const token = await fetch(`${url}/oauth/token`, {
        method: "POST",
        body: new URLSearchParams({
          grant_type: "client_credentials",
          client_id: DEV_CLIENT.clientId,
          client_secret: DEV_CLIENT.clientSecret,
        }),
      });
      expect(token.status).toBe(200);
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
  });

  it("every example type-checks against the installed package (Node, Deno and Bun; Workers)", async () => {
    const files = readdirSync(EXAMPLES).filter((name) => /\.(mjs|cjs|ts)$/.test(name));
    const common = {
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      target: "ES2022",
      module: "NodeNext",
      moduleResolution: "NodeNext",
      allowJs: true,
      checkJs: true,
    };
    // Deno's and Bun's globals, as far as the examples use them; `npm:` is Deno's way to name the package.
    writeFileSync(
      join(project.dir, "runtime-globals.d.ts"),
      [
        "declare const Deno: { env: { get(name: string): string | undefined }; exit(code?: number): never };",
        "declare const Bun: { env: Record<string, string | undefined> };",
        "",
      ].join("\n"),
    );
    const workers = ["worker.ts", "webhook-handler.ts"];
    writeFileSync(
      join(project.dir, "tsconfig.runtimes.json"),
      JSON.stringify({
        compilerOptions: {
          ...common,
          lib: ["ES2022", "DOM", "DOM.Iterable"],
          types: ["node"],
          typeRoots: [join(ROOT, "node_modules", "@types")],
          paths: { "npm:k2-connect-edge": ["./node_modules/k2-connect-edge/dist/index.d.ts"] },
        },
        files: ["runtime-globals.d.ts", ...files.filter((name) => name !== "worker.ts")],
      }),
    );
    writeFileSync(
      join(project.dir, "tsconfig.workers.json"),
      JSON.stringify({
        compilerOptions: {
          ...common,
          lib: ["ES2022"],
          types: [join(ROOT, "node_modules", "@cloudflare", "workers-types")],
        },
        files: workers,
      }),
    );
    expect(files).toEqual(
      expect.arrayContaining(["node-esm.mjs", "node-cjs.cjs", "deno.ts", "bun.ts", "typed-api.ts", ...workers]),
    );
    const tsc = join(BIN, "tsc");
    const check = (config: string) =>
      run(tsc, ["-p", config]).then(
        () => "",
        (error: Error) => error.message,
      );
    expect(await Promise.all([check("tsconfig.runtimes.json"), check("tsconfig.workers.json")])).toEqual(["", ""]);
  });
});
