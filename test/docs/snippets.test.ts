/**
 * The docs' Workers and handlers run, not only type-check (docs.test.ts does that for every block):
 * each ```ts block of docs/ that is a Worker (`export default { fetch }`) or a request handler (an
 * exported function answering a `Response`) is bundled as it is printed, served by workerd itself
 * (harness/workerd.ts) with the bindings it declares, and sent the requests a reader would send:
 * signed and tampered webhooks, forwarded events, a login, a K2 call against the local sandbox.
 * A new such block without a scenario here fails, so that none is only pasted and hoped for.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Workerd, deployedSettings } from "../../harness/workerd.ts";
import { DEV_API_KEY, DEV_CLIENT } from "../../sandbox/credentials.ts";
import { K2Sandbox } from "../../sandbox/server.ts";
import { signEdgeEvent, signWebhook } from "../../src/index.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const FORWARD_SECRET = "docs-snippet-forward-secret-0123456789";

interface Block {
  page: string;
  line: number;
  code: string;
}

/** Every ts block of docs/ that is a Worker or a handler: what a reader pastes and deploys. */
function runnableBlocks(): Block[] {
  return readdirSync(join(ROOT, "docs"))
    .filter((name) => name.endsWith(".md"))
    .flatMap((page) => {
      const text = readFileSync(join(ROOT, "docs", page), "utf8");
      return [...text.matchAll(/^```ts\n([\s\S]*?)^```/gm)].map((match) => ({
        page,
        line: text.slice(0, match.index).split("\n").length,
        code: match[1]!,
      }));
    })
    .filter(
      ({ code }) =>
        /^export default \{/m.test(code) || /^export (async )?function \w+\([^)]*\): Promise<Response>/m.test(code),
    );
}

type Send = (path: string, init?: RequestInit) => Promise<Response>;

interface Scenario {
  page: string;
  /** A line that tells this block apart from the page's others. */
  marker: string;
  /** Names the block uses without declaring (docs.test.ts's prelude gives them types). */
  globals?: string;
  /** Its exported handlers, when it has no default export: path -> export name. */
  routes?: Record<string, string>;
  vars?: Record<string, string>;
  secrets?: Record<string, string>;
  kv?: string[];
  exercise: (send: Send) => Promise<void>;
}

let sandbox: K2Sandbox;

const webhookBody = JSON.stringify(
  {
    topic: "buygoods_transaction_received",
    id: "5ea1bd5d-0d5c-4d37-b9e5-1a6b1cbcbd1f",
    created_at: "2026-12-01T10:00:00+03:00",
    event: {
      type: "Buygoods Transaction",
      resource: {
        id: "r-1",
        amount: "20.0",
        currency: "KES",
        status: "Received",
        sender_phone_number: "+254712345678",
      },
    },
    _links: {
      self: "https://sandbox.kopokopo.com/webhook_events/5ea1bd5d",
      resource: "https://sandbox.kopokopo.com/r",
    },
  },
  null,
  2,
);
const signed = async (body: string, signature?: string): Promise<RequestInit> => ({
  method: "POST",
  headers: { "x-kopokopo-signature": signature ?? (await signWebhook(body, DEV_API_KEY)) },
  body,
});

const scenarios: Scenario[] = [
  {
    page: "k2-api.md",
    marker: "import { verifyWebhookSignature }",
    secrets: { K2_API_KEY: DEV_API_KEY },
    async exercise(send) {
      expect((await send("/", await signed(webhookBody))).status).toBe(204);
      const tampered = await signed(
        webhookBody.replace('"20.0"', '"2000.0"'),
        await signWebhook(webhookBody, DEV_API_KEY),
      );
      expect((await send("/", tampered)).status).toBe(401);
    },
  },
  {
    page: "k2-api.md",
    marker: "import { K2WebhookError, parseWebhook, type K2Notification }",
    secrets: { K2_API_KEY: DEV_API_KEY },
    async exercise(send) {
      expect((await send("/", await signed(webhookBody))).status).toBe(204);
      expect((await send("/", { method: "POST", body: webhookBody })).status).toBe(401);
      expect((await send("/", await signed('{"not":"a webhook"}'))).status).toBe(400);
    },
  },
  {
    page: "receiving.md",
    marker: "import { verifyEdgeSignature }",
    secrets: { FORWARD_SECRET },
    async exercise(send) {
      const event = JSON.stringify({ id: "e1", kind: "webhook", topic: "customer_created", type: null, payload: {} });
      const header = await signEdgeEvent(event, FORWARD_SECRET);
      const deliver = (signature: string) =>
        send("/", { method: "POST", headers: { "x-k2-edge-signature": signature }, body: event });
      expect((await deliver(header)).status).toBe(204);
      expect((await deliver(header)).status).toBe(204); // a duplicate is acknowledged too
      expect((await deliver(await signEdgeEvent(event, "another-secret-entirely-0123456789"))).status).toBe(401);
    },
  },
  {
    page: "oauth.md",
    marker: "import { AuthorizationCallbackError, OAuth2Client, OAuth2Error }",
    vars: { CLIENT_ID: "docs-client" },
    secrets: { CLIENT_SECRET: "docs-client-secret" },
    kv: ["TOKENS"],
    async exercise(send) {
      const login = await send("/login", { redirect: "manual" });
      expect(login.status).toBe(302);
      const authorize = new URL(login.headers.get("location")!);
      expect(authorize.origin + authorize.pathname).toBe("https://auth.example.com/authorize");
      expect(authorize.searchParams.get("code_challenge_method")).toBe("S256");
      const cookie = login.headers.get("set-cookie")!;
      expect(cookie).toMatch(/^oauth=[\w-]+\.[\w-]+; Path=\/callback; Max-Age=600; HttpOnly; Secure; SameSite=Lax$/);
      // A callback whose state is not the cookie's is refused before any token request.
      const forged = await send("/callback?code=c&state=forged", { headers: { cookie: cookie.split(";")[0]! } });
      expect(forged.status).toBe(400);
      expect((await send("/elsewhere")).status).toBe(404);
    },
  },
  {
    page: "oauth.md",
    marker: "import { copper }",
    globals: "const env = { COPPER_CLIENT_ID: 'docs-copper-client', COPPER_CLIENT_SECRET: 'docs-copper-secret' };",
    routes: { "/copper/login": "copperLogin" },
    async exercise(send) {
      const login = await send("/copper/login", { redirect: "manual" });
      expect(login.status).toBe(302);
      const authorize = new URL(login.headers.get("location")!);
      expect(authorize.searchParams.get("client_id")).toBe("docs-copper-client");
      expect(login.headers.get("set-cookie")).toContain("SameSite=None");
    },
  },
  {
    page: "runtimes-and-size.md",
    marker: "import { K2Client, KvTokenCache }",
    secrets: { K2_CLIENT_ID: DEV_CLIENT.clientId, K2_CLIENT_SECRET: DEV_CLIENT.clientSecret },
    kv: ["TOKEN_CACHE"],
    async exercise(send) {
      sandbox.reset();
      const wallet = { first_name: "Jane", last_name: "Doe", phone_number: "254712345678", network: "Safaricom" };
      const body = { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(wallet) };
      const first = await send("/", body);
      expect(first.status).toBe(201);
      expect(first.headers.get("location")).toMatch(/\/merchant_wallets\/[0-9a-f-]{36}$/);
      expect((await send("/", body)).status).toBe(201);
      // One token for both requests: the client lives for the isolate.
      expect(sandbox.requestsTo("/oauth/token")).toHaveLength(1);
    },
  },
];

const blocks = runnableBlocks();
const matched = (scenario: Scenario) =>
  blocks.filter((block) => block.page === scenario.page && block.code.includes(scenario.marker));

/** The block as a module workerd serves: as printed, with a default export for bare handlers. */
function moduleOf(block: Block, scenario: Scenario): string {
  let code = `${scenario.globals ?? ""}\n${block.code}`;
  if (scenario.routes) {
    const table = Object.entries(scenario.routes).map(([path, name]) => `${JSON.stringify(path)}: ${name}`);
    code += `\nconst routes = { ${table.join(", ")} };
export default { fetch: (request) => (routes[new URL(request.url).pathname] ?? (() => new Response(null, { status: 404 })))(request) };\n`;
  }
  return code;
}

const dir = mkdtempSync(join(tmpdir(), "k2-docs-snippets-"));
let workerd: Workerd;

beforeAll(async () => {
  sandbox = await new K2Sandbox({ processingDelayMs: 50 }).listen(0);
  const workers = await Promise.all(
    scenarios.map(async (scenario, index) => {
      const [block] = matched(scenario);
      if (!block) return undefined;
      const entry = join(dir, `snippet-${index}.ts`);
      writeFileSync(entry, moduleOf(block, scenario));
      const out = await build({
        entryPoints: [entry],
        bundle: true,
        write: false,
        format: "esm",
        platform: "browser",
        target: "es2022",
        logLevel: "silent",
        alias: {
          "k2-connect-edge/api": join(ROOT, "src", "api", "index.ts"),
          "k2-connect-edge": join(ROOT, "src", "index.ts"),
        },
      });
      const name = `snippet-${index}`;
      const vars = { ...scenario.vars, ...(scenario.kv?.includes("TOKEN_CACHE") ? { K2_BASE_URL: sandbox.url } : {}) };
      return { name, script: out.outputFiles[0]!.text, vars, secrets: scenario.secrets, kv: scenario.kv };
    }),
  );
  workerd = await Workerd.start({
    workers: workers.filter((worker) => worker !== undefined),
    compatibilityDate: deployedSettings().compatibilityDate,
  });
}, 60_000);

afterAll(async () => {
  await workerd?.stop();
  await sandbox?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("the docs' Workers and handlers, run in workerd", () => {
  it("have a scenario each, and each scenario finds exactly one block", () => {
    const covered = scenarios.flatMap(matched);
    const uncovered = blocks.filter((block) => !covered.includes(block)).map((b) => `docs/${b.page}:${b.line}`);
    expect(uncovered).toEqual([]);
    expect(scenarios.map((scenario) => matched(scenario).length)).toEqual(scenarios.map(() => 1));
  });

  scenarios.forEach((scenario, index) => {
    it(`docs/${scenario.page}: ${scenario.marker}`, async () => {
      const base = workerd.urls[`snippet-${index}`]!;
      const before = workerd.output().length;
      await scenario.exercise((path, init) => fetch(`${base}${path}`, init));
      const printed = workerd.output().slice(before);
      // Nothing the Worker printed was an uncaught error, and no secret reached its output.
      expect(printed).not.toMatch(/Uncaught|uncaught exception/);
      for (const secret of [FORWARD_SECRET, DEV_CLIENT.clientSecret, DEV_API_KEY])
        expect(printed).not.toContain(secret);
    });
  });
});
