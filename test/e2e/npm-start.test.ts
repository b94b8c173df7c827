/**
 * The main job, end to end: `npm start` as a newcomer runs it (wrangler dev, local KV, the embedded
 * K2 sandbox), called over real HTTP and raw sockets, and its checkout page in Debian's Chromium.
 * Also what `npm start` must never do: put a secret or key on a command line (any local user reads
 * those with `ps`), leave its env file behind, or print real credentials.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createHash, randomInt } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEV_API_KEY, DEV_CHECKOUT_KEY, DEV_CLIENT, DEV_PROXY_KEY } from "../../sandbox/credentials.ts";
import { SAMPLE_STK_PUSH } from "../../sandbox/samples.ts";
import { K2Sandbox } from "../../sandbox/server.ts";
import { launchChromium } from "../support/chromium.ts";

/** A polling request K2 accepts (the sandbox checks bodies as K2 does). */
const POLLING = JSON.stringify({
  scope: "company",
  from_time: "2026-01-01T00:00:00+03:00",
  to_time: "2026-01-02T00:00:00+03:00",
  // Loopback, where nothing listens: the sandbox's result delivery stays on this machine.
  _links: { callback_url: "http://127.0.0.1:9/result" },
});

/** What the sandbox run's .dev.vars sets MAX_BODY_BYTES to: far below the default, far above any body sent. */
const MAX_BODY_BYTES = 8192;

/** An STK push whose result goes to the proxy's own inbox on `port`. */
const stkPushTo = (port: string, phone: string) =>
  JSON.stringify({
    ...SAMPLE_STK_PUSH,
    subscriber: { ...SAMPLE_STK_PUSH.subscriber, phone_number: phone },
    _links: { callback_url: `http://127.0.0.1:${port}/k2/callbacks` },
  });

/**
 * A phone number no earlier run used within the hour: the checkout key's prompts per phone are
 * counted in the Worker's state, which npm start keeps between runs. Not one of the sandbox's test
 * numbers (2547000000xx), so it pays.
 */
const freshPhone = () => `+25471${String(randomInt(0, 10_000_000)).padStart(7, "0")}`;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface Started {
  child: ChildProcess;
  base: string;
  output: () => string;
  /** The private TMPDIR the run was given, where start.ts makes its env file's directory. */
  tmp: string;
}

/**
 * What a developer's own `npm start` leaves in the checkout (`.dev.vars` with real credentials,
 * `.wrangler/state` with their events) is theirs: these runs read and write neither.
 */
const OWN = mkdtempSync(join(tmpdir(), "npm-start-own-"));
afterAll(() => rmSync(OWN, { recursive: true, force: true }));

/** `npm start -- <args>` in its own process group and TMPDIR, once it says it is ready. */
async function npmStart(args: string[]): Promise<Started> {
  const port = await freePort();
  const tmp = mkdtempSync(join(tmpdir(), "npm-start-test-"));
  const isolation = ["--persist-to", join(OWN, "state")];
  if (!args.includes("--dev-vars")) isolation.push("--dev-vars", join(OWN, "absent.dev.vars"));
  let output = "";
  const child = spawn("npm", ["start", "--", "--port", String(port), ...isolation, ...args], {
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, CI: "true", TMPDIR: tmp },
  });
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not become ready:\n${output}`)), 90_000);
    const poll = setInterval(() => {
      if (output.includes("proxy ready")) {
        clearTimeout(timer);
        clearInterval(poll);
        resolve();
      }
    }, 100);
    child.on("exit", (code) => reject(new Error(`npm start exited with ${code}:\n${output}`)));
  });
  return { child, base: `http://127.0.0.1:${port}`, output: () => output, tmp };
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM to the whole group, then wait until none of its processes is left. */
async function stopGroup(started: Started | undefined): Promise<void> {
  const pgid = started?.child.pid;
  if (!pgid || !groupAlive(pgid)) return;
  process.kill(-pgid, "SIGTERM");
  for (let i = 0; i < 150 && groupAlive(pgid); i++) await new Promise((resolve) => setTimeout(resolve, 100));
}

/** Every process started under `root`: its process group, and all descendants by parent id. */
function processTree(root: number): { pid: number; argv: string[] }[] {
  const stats = readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .flatMap((name) => {
      try {
        // pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses, so read after the last ")".
        const stat = readFileSync(`/proc/${name}/stat`, "utf8");
        const [, ppid, pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        return [{ pid: Number(name), ppid: Number(ppid), pgrp: Number(pgrp) }];
      } catch {
        return []; // gone meanwhile
      }
    });
  const inTree = new Set([root]);
  for (let grew = true; grew;) {
    grew = false;
    for (const { pid, ppid, pgrp } of stats) {
      if (!inTree.has(pid) && (inTree.has(ppid) || pgrp === root)) {
        inTree.add(pid);
        grew = true;
      }
    }
  }
  return [...inTree].flatMap((pid) => {
    try {
      return [{ pid, argv: readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean) }];
    } catch {
      return [];
    }
  });
}

/** The env-file directories start.ts left in a run's TMPDIR. */
const envDirs = (tmp: string) => readdirSync(tmp).filter((name) => name.startsWith("k2-edge-env-"));

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request as a plain HTTP client sends it: any method with any body, any header (Connection, Host). */
function raw(base: string, method: string, path: string, headers: Record<string, string>, body?: string) {
  // Node frames a GET's body only when told its length, as curl does.
  if (body !== undefined) headers = { ...headers, "content-length": String(Buffer.byteLength(body)) };
  return new Promise<RawAnswer>((resolve, reject) => {
    const request = httpRequest(`${base}${path}`, { method, headers }, (response) => {
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk) => (text += chunk));
      response.on("end", () => resolve({ status: response.statusCode!, headers: response.headers, body: text }));
    });
    request.on("error", reject);
    request.end(body);
  });
}

describe("npm start with the embedded sandbox", () => {
  let started: Started;
  let sandboxPort: number;
  let sandboxUrl: string;
  const auth = { authorization: `Bearer ${DEV_PROXY_KEY}` };
  const sandboxRequests = async (): Promise<
    { method: string; path: string; headers: Record<string, string>; body: string }[]
  > => (await fetch(`${sandboxUrl}/__sandbox/requests`)).json();
  const resetSandbox = async () => void (await fetch(`${sandboxUrl}/__sandbox/reset`, { method: "POST" }));

  let devVarsDir: string;
  let browser: Browser | undefined;

  beforeAll(async () => {
    sandboxPort = await freePort();
    sandboxUrl = `http://127.0.0.1:${sandboxPort}`;
    // A .dev.vars of the test's own, without credentials (whatever the repository's holds), with a
    // setting npm start does not set itself, to see it reach the Worker.
    devVarsDir = mkdtempSync(join(tmpdir(), "npm-start-sandbox-vars-"));
    writeFileSync(join(devVarsDir, ".dev.vars"), `MAX_BODY_BYTES=${MAX_BODY_BYTES}\n`);
    started = await npmStart([
      "--sandbox-port",
      String(sandboxPort),
      "--pages-port",
      "0",
      "--dev-vars",
      join(devVarsDir, ".dev.vars"),
    ]);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stopGroup(started);
    if (started) rmSync(started.tmp, { recursive: true, force: true });
    if (devVarsDir) rmSync(devVarsDir, { recursive: true, force: true });
  });

  /** The lines the Worker logged: JSON, one per request or pass. */
  const workerLogLines = () =>
    started
      .output()
      .split("\n")
      .filter((line) => line.startsWith("{"));

  it("prints the development proxy key and a curl example", () => {
    expect(started.output()).toContain(`Proxy key: ${DEV_PROXY_KEY} (id "dev": full access)`);
    expect(started.output()).toContain("curl -si -X POST");
  });

  it("prints no network failure of wrangler's own (offline, the Request.cf fetch was a stack trace)", () => {
    expect(started.output()).not.toMatch(/ENOTFOUND|getaddrinfo|workers\.cloudflare\.com/);
  });

  it("says the inbox is on, and sends the example's result to it", () => {
    const port = new URL(started.base).port;
    expect(started.output()).toContain("Inbox: on.");
    expect(started.output()).toContain(`"callback_url":"http://127.0.0.1:${port}/k2/callbacks"`);
    expect(started.output()).toContain(`curl -s http://localhost:${port}/k2/events`);
  });

  it("prints the checkout key, its limits and its page", () => {
    const output = started.output();
    expect(output).toContain(`Checkout key: ${DEV_CHECKOUT_KEY} (id "checkout": STK pushes on till K000000`);
    expect(output).toMatch(/^Checkout page: http:\/\/localhost:\d+\/ /m);
    expect(output).toContain("The checkout key may not send money: 403 forbidden (rule allow)");
  });

  it("gives the Worker the checkout key's digest only, in a policy for the page's origins", () => {
    const [dir] = envDirs(started.tmp);
    const file = join(started.tmp, dir!, readdirSync(join(started.tmp, dir!))[0]!);
    const text = readFileSync(file, "utf8");
    expect(text).not.toContain(DEV_CHECKOUT_KEY);
    const policies = JSON.parse(/^PROXY_KEY_POLICIES='(.*)'$/m.exec(text)![1]!);
    const pages = new URL(checkoutPageUrl()).port;
    expect(policies).toEqual([
      {
        id: "checkout",
        sha256: createHash("sha256").update(DEV_CHECKOUT_KEY).digest("hex"),
        allow: ["incoming_payments:write", "incoming_payments:read"],
        tills: ["K000000"],
        max_amount: 1000,
        callback_hosts: ["127.0.0.1"],
        rate_per_minute: 30,
        phone_rate_per_hour: 5,
        origins: [`http://localhost:${pages}`, `http://127.0.0.1:${pages}`],
      },
    ]);
    expect(text).toMatch(/^PROXY_KEYS='dev:k2-edge-local-dev-key'$/m);
    expect(text).toMatch(/^RECONCILE_AFTER_SECONDS='5'$/m);
  });

  it("runs the sandbox on --sandbox-port and prints its URL and development credentials", async () => {
    const output = started.output();
    expect(output).toContain(`Embedded K2 sandbox: ${sandboxUrl}`);
    expect(output).toContain(`K2 client id:     ${DEV_CLIENT.clientId}`);
    expect(output).toContain(`K2 client secret: ${DEV_CLIENT.clientSecret}`);
    expect(output).toContain(`K2 API key:       ${DEV_API_KEY}`);
    expect((await fetch(`${sandboxUrl}/__sandbox/requests`)).status).toBe(200);
  });

  it("puts no secret, key or client credential on any started process's command line", () => {
    const tree = processTree(started.child.pid!);
    const commands = tree.map(({ argv }) => argv.join(" "));
    // The tree really is the running one: wrangler and workerd are in it.
    expect(commands.some((command) => /wrangler(-dist\/cli\.js)? dev/.test(command))).toBe(true);
    expect(commands.some((command) => /workerd serve/.test(command))).toBe(true);
    // /__scheduled runs a reconciliation pass on demand.
    expect(commands.some((command) => / dev .*--test-scheduled/.test(command))).toBe(true);
    for (const command of commands) {
      for (const secret of [
        DEV_PROXY_KEY,
        DEV_CHECKOUT_KEY,
        DEV_CLIENT.clientSecret,
        DEV_CLIENT.clientId,
        DEV_API_KEY,
      ]) {
        expect(command, command).not.toContain(secret);
      }
      expect(command).not.toMatch(/--var\b/);
    }
  });

  it("hands wrangler its settings in a private env file: mode 0600, in a 0700 directory", () => {
    const [dir] = envDirs(started.tmp);
    expect(dir).toBeDefined();
    const [file] = readdirSync(join(started.tmp, dir));
    expect(statSync(join(started.tmp, dir)).mode & 0o777).toBe(0o700);
    expect(statSync(join(started.tmp, dir, file)).mode & 0o777).toBe(0o600);
  });

  it("serves /healthz and refuses callers without the key", async () => {
    expect(await (await fetch(`${started.base}/healthz`)).json()).toEqual({ status: "ok" });
    const refused = await fetch(`${started.base}/api/v2/incoming_payments`, { method: "POST", body: "{}" });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("www-authenticate")).toMatch(/^Bearer/);
  });

  it("creates an STK push through the proxy and polls it at the rewritten Location", async () => {
    const headers = { ...auth, "content-type": "application/json" };
    const created = await fetch(`${started.base}/api/v2/incoming_payments`, {
      method: "POST",
      headers,
      body: stkPushTo(new URL(started.base).port, "+254712345678"),
    });
    expect(created.status).toBe(201);
    const location = created.headers.get("location")!;
    expect(location.startsWith(`${started.base}/api/v2/incoming_payments/`)).toBe(true);

    const status = await fetch(location, { headers });
    expect(status.status).toBe(200);
    expect((await status.json()).data).toMatchObject({ type: "incoming_payment", attributes: { status: "Pending" } });
    expect(started.output()).toMatch(/"path":"\/api\/v2\/incoming_payments","status":201/);
  });

  it("over a real socket, drops the headers Connection names and method or URL overrides", async () => {
    await resetSandbox();
    const answer = await raw(
      started.base,
      "POST",
      "/api/v2/polling",
      {
        ...auth,
        "content-type": "application/json",
        connection: "keep-alive, x-hop-secret",
        "x-hop-secret": "1",
        "x-http-method-override": "DELETE",
        "x-original-url": "/oauth/token",
        "x-rewrite-url": "/oauth/token",
      },
      POLLING,
    );
    expect(answer.status).toBe(201);
    const [forwarded] = (await sandboxRequests()).filter((request) => request.path === "/api/v2/polling");
    expect(forwarded.headers["content-type"]).toBe("application/json");
    for (const name of ["x-hop-secret", "x-http-method-override", "x-original-url", "x-rewrite-url"])
      expect(forwarded.headers[name], name).toBeUndefined();
  });

  it("answers a GET with a body 400 body_not_allowed, and sends K2 nothing", async () => {
    await resetSandbox();
    const answer = await raw(started.base, "GET", "/api/v2/incoming_payments/abc", auth, "x=1");
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toMatchObject({ error: "body_not_allowed" });
    expect(await sandboxRequests()).toEqual([]);
  });

  it("with Host naming K2's own origin, writes a relative Location, never one on K2", async () => {
    const answer = await raw(
      started.base,
      "POST",
      "/api/v2/incoming_payments",
      { ...auth, "content-type": "application/json", host: `127.0.0.1:${sandboxPort}` },
      stkPushTo(new URL(started.base).port, "+254712345678"),
    );
    expect(answer.status).toBe(201);
    expect(answer.headers.location).toMatch(/^\/api\/v2\/incoming_payments\/[0-9a-f-]{36}$/);
  });

  it("answers 408 to a chunked body trickled over a socket that never ends it, and sends K2 nothing", async () => {
    await resetSandbox();
    const socket = connect(Number(new URL(started.base).port), "127.0.0.1");
    const head = await new Promise<string>((resolve, reject) => {
      let received = "";
      let trickle: ReturnType<typeof setInterval> | undefined;
      socket.on("connect", () => {
        socket.write(
          "POST /api/v2/polling HTTP/1.1\r\nHost: localhost\r\n" +
            `Authorization: Bearer ${DEV_PROXY_KEY}\r\nContent-Type: application/json\r\n` +
            "Transfer-Encoding: chunked\r\n\r\n1\r\n{\r\n",
        );
        trickle = setInterval(() => socket.write("1\r\n \r\n"), 500);
      });
      socket.on("data", (chunk) => {
        received += chunk.toString("latin1");
        if (received.includes("\r\n\r\n")) resolve(received);
      });
      socket.on("error", reject);
      socket.on("close", () => {
        clearInterval(trickle);
        resolve(received);
      });
    });
    socket.destroy();
    expect(head).toMatch(/^HTTP\/1\.1 408 /);
    expect(await sandboxRequests()).toEqual([]);
  });

  it("passes a setting of .dev.vars that it does not set itself to the Worker (MAX_BODY_BYTES)", async () => {
    await resetSandbox();
    const answer = await fetch(`${started.base}/api/v2/polling`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ padding: "x".repeat(MAX_BODY_BYTES) }),
    });
    expect(answer.status).toBe(413);
    expect(await sandboxRequests()).toEqual([]);
  });

  it("the printed curl line for the checkout key is refused for send money: 403, nothing sent", async () => {
    await resetSandbox();
    // The command as printed: its URL, its key and its body.
    const printed = /^\s*curl -si -X POST (\S+\/api\/v2\/send_money) \\\n.*Bearer ([^"]+)".*\\\n\s*-d '(.*)'$/m.exec(
      started.output(),
    );
    expect(printed).not.toBeNull();
    const [, url, key, body] = printed!;
    expect(key).toBe(DEV_CHECKOUT_KEY);
    const answer = await fetch(url!.replace("localhost", "127.0.0.1"), {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body,
    });
    expect(answer.status).toBe(403);
    expect(await answer.json()).toMatchObject({ error: "forbidden", rule: "allow", key_id: "checkout" });
    expect(await sandboxRequests()).toEqual([]);
  });

  const checkoutPageUrl = () => /^Checkout page: (\S+)/m.exec(started.output())![1]!;

  it("the checkout page, in Chromium, starts an STK push with the checkout key (201), and is refused send money (403)", async () => {
    await resetSandbox();
    browser = await launchChromium();
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await page.goto(checkoutPageUrl());
    const phone = freshPhone();
    await page.fill("input[name=phone]", phone);
    await page.click("button[type=submit]");
    // The page shows the 201, then asks until the sandbox says how the payment ended (about 2 s).
    await page.waitForSelector("#result[data-outcome]", { timeout: 60_000 });
    expect(await page.getAttribute("#result", "data-status")).toBe("201");
    expect(await page.getAttribute("#result", "data-outcome")).toBe("Success");
    expect(await page.textContent("#result")).toBe("Payment Success");

    await page.click("#send-money");
    await page.waitForSelector("#refusal[data-status]");
    expect(await page.getAttribute("#refusal", "data-status")).toBe("403");
    expect(await page.textContent("#refusal")).toContain("403 forbidden (rule: allow)");
    expect(errors).toEqual([]);

    // K2 saw the push, from the page's key, and no send money.
    const requests = await sandboxRequests();
    const pushes = requests.filter(
      (request) => request.method === "POST" && request.path === "/api/v2/incoming_payments",
    );
    expect(pushes).toHaveLength(1);
    expect(JSON.parse(pushes[0]!.body)).toMatchObject({
      till_number: "K000000",
      subscriber: { phone_number: phone },
    });
    expect(requests.filter((request) => request.path.includes("send_money"))).toEqual([]);
    // The Worker's log names the key by its id, never the key itself.
    const lines = workerLogLines();
    expect(
      lines.some((line) => /"path":"\/api\/v2\/incoming_payments","status":201.*"caller":"checkout"/.test(line)),
    ).toBe(true);
    expect(lines.some((line) => /"path":"\/api\/v2\/send_money","status":403.*"caller":"checkout"/.test(line))).toBe(
      true,
    );
  }, 90_000);

  it("the ledger's loop: a payment whose callback never comes is pending, then settled by a scheduled pass", async () => {
    const port = new URL(started.base).port;
    const created = await fetch(`${started.base}/api/v2/incoming_payments`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: stkPushTo(port, "+254700000007"),
    });
    expect(created.status).toBe(201);
    const id = created.headers.get("location")!.split("/").at(-1)!;

    const pending = await (await fetch(`${started.base}/payments?state=pending`, { headers: auth })).json();
    expect(pending.payments.find((payment: { id: string }) => payment.id === id)).toMatchObject({
      state: "pending",
      key_id: "dev",
      phone: "+2547•••••007",
      settled_by: null,
    });

    // A pass reads the payment once it is RECONCILE_AFTER_SECONDS old; /__scheduled answers before
    // its pass ends, and state kept from earlier runs may hold older payments due first: run
    // passes until this one is read.
    let payment: { state: string; settled_by: string | null; events: string[] } | undefined;
    for (let attempt = 0; attempt < 200; attempt++) {
      const pass = await fetch(`${started.base}/__scheduled`);
      expect(await pass.text()).toBe("Ran scheduled event");
      payment = await (await fetch(`${started.base}/payments/${id}`, { headers: auth })).json();
      if (payment!.state !== "pending") break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(payment).toMatchObject({ state: "success", settled_by: "status" });
    expect(payment!.events).toHaveLength(1);

    // The status read is in the inbox as the payment's one final event; K2 never posted a result.
    const eventId = payment!.events[0]!;
    const event = await (await fetch(`${started.base}/k2/events/${eventId}`, { headers: auth })).json();
    expect(event).toMatchObject({ kind: "reconciled", type: "incoming_payment", payload: { data: { id } } });
    expect(event.payload.data.attributes.status).toBe("Success");
    // Listed too, after what earlier runs left in the inbox: page through it.
    const listed: string[] = [];
    for (let after = ""; ;) {
      const page = await (await fetch(`${started.base}/k2/events?limit=500${after}`, { headers: auth })).json();
      listed.push(...page.events.map((e: { id: string }) => e.id));
      if (!page.next || page.events.length === 0) break;
      after = `&after=${page.next}`;
    }
    expect(listed).toContain(eventId);
    const deliveries: { kind: string; body: string }[] = await (
      await fetch(`${sandboxUrl}/__sandbox/deliveries`)
    ).json();
    expect(deliveries.filter((delivery) => delivery.kind === "result" && delivery.body.includes(id))).toEqual([]);
    expect(workerLogLines().some((line) => /"event":"reconcile".*"settled":[1-9]/.test(line))).toBe(true);
  }, 120_000);

  it("no Worker log line holds a development key", () => {
    const lines = workerLogLines();
    expect(lines.length).toBeGreaterThan(5);
    for (const line of lines) for (const key of [DEV_PROXY_KEY, DEV_CHECKOUT_KEY]) expect(line).not.toContain(key);
  });

  it("removes its env file when stopped", async () => {
    expect(envDirs(started.tmp)).toHaveLength(1);
    await stopGroup(started);
    expect(groupAlive(started.child.pid!)).toBe(false);
    expect(envDirs(started.tmp)).toEqual([]);
  });
});

describe("npm start with K2 credentials in .dev.vars", () => {
  // Stands in for K2: a client whose secret holds what an env file would mangle ($NAME, #).
  const client = { clientId: "e2e-real-looking-client-id", clientSecret: "real-Secret_$HOME-#not-a-comment" };
  let k2: K2Sandbox;
  let started: Started;
  let devVarsDir: string;

  beforeAll(async () => {
    k2 = await new K2Sandbox({ clients: [client] }).listen(0, "127.0.0.1");
    devVarsDir = mkdtempSync(join(tmpdir(), "npm-start-dev-vars-"));
    const devVars = join(devVarsDir, ".dev.vars");
    writeFileSync(
      devVars,
      [
        `K2_CLIENT_ID=${client.clientId}`,
        `K2_CLIENT_SECRET='${client.clientSecret}'`,
        `K2_BASE_URL=${k2.url}`,
        "BODY_TIMEOUT_MS=250",
      ].join("\n"),
    );
    started = await npmStart(["--dev-vars", devVars]);
  }, 120_000);

  afterAll(async () => {
    await stopGroup(started);
    await k2?.close();
    if (started) rmSync(started.tmp, { recursive: true, force: true });
    if (devVarsDir) rmSync(devVarsDir, { recursive: true, force: true });
  });

  const printedKey = () => /Proxy key: (\S+)/.exec(started.output())![1];

  it("prints a fresh proxy key, and never the credentials from .dev.vars", () => {
    expect(printedKey()).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(started.output()).not.toContain(client.clientSecret);
    expect(started.output()).not.toContain(client.clientId);
    expect(started.output()).not.toContain("Embedded K2 sandbox");
  });

  it("says which K2 it talks to, that the inbox is off and what turns it on, and promises no local callback", async () => {
    const output = started.output();
    expect(output).toContain(`K2: ${k2.url}, with K2_CLIENT_ID and K2_CLIENT_SECRET from .dev.vars (never printed)`);
    expect(output).toMatch(/^Inbox: off .*put K2_API_KEY.* in \.dev\.vars\.$/m);
    expect(output).not.toMatch(/callback_url":"http:\/\/(127\.0\.0\.1|localhost)/);
    expect(output).not.toMatch(/curl .*\/k2\/events/);
    // What the banner says of the inbox is what the Worker does.
    const events = await fetch(`${started.base}/k2/events`, { headers: { authorization: `Bearer ${printedKey()}` } });
    expect(events.status).toBe(503);
  });

  it("puts neither the client secret nor the generated key on any command line", () => {
    const commands = processTree(started.child.pid!).map(({ argv }) => argv.join(" "));
    expect(commands.some((command) => /workerd serve/.test(command))).toBe(true);
    for (const command of commands) {
      for (const secret of [client.clientSecret, client.clientId, printedKey()])
        expect(command, command).not.toContain(secret);
    }
  });

  it("gives the Worker the secret and settings exactly as .dev.vars holds them", async () => {
    const headers = { authorization: `Bearer ${printedKey()}`, "content-type": "application/json" };
    const polled = await fetch(`${started.base}/api/v2/polling`, { method: "POST", headers, body: POLLING });
    expect(polled.status).toBe(201); // the token request carried the secret intact
    expect(k2.requestsTo("/oauth/token")[0]!.body).toContain(
      `client_secret=${encodeURIComponent(client.clientSecret)}`,
    );
    // BODY_TIMEOUT_MS came through too: a body that never ends is cut off at 250 ms.
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(new URL(started.base).port), "127.0.0.1", () =>
        socket.write(
          "POST /api/v2/polling HTTP/1.1\r\nHost: localhost\r\n" +
            `Authorization: Bearer ${printedKey()}\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n{\r\n`,
        ),
      );
      socket.on("data", (chunk) => {
        resolve(chunk.toString("latin1"));
        socket.destroy();
      });
      socket.on("error", reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
  });
});

describe("the inbox's local loop under npm start", () => {
  let started: Started | undefined;
  const auth = { authorization: `Bearer ${DEV_PROXY_KEY}` };

  afterAll(async () => {
    await stopGroup(started);
    if (started) rmSync(started.tmp, { recursive: true, force: true });
  });

  /** The inbox's events, read through the proxy with the development key. */
  async function events(base: string): Promise<{ id: string; kind: string; type?: string; payload: any }[]> {
    const answer = await fetch(`${base}/k2/events?limit=500`, { headers: auth });
    expect(answer.status).toBe(200);
    const all: { id: string; kind: string; type?: string; payload: any }[] = [];
    let page = (await answer.json()) as { events: typeof all; next: string | null };
    all.push(...page.events);
    while (page.next) {
      page = await (await fetch(`${base}/k2/events?limit=500&after=${page.next}`, { headers: auth })).json();
      all.push(...page.events);
    }
    return all;
  }

  it("an STK push whose callback is the proxy's inbox ends there, verified, and is still there after a restart", async () => {
    const sandboxPort = await freePort();
    started = await npmStart(["--sandbox-port", String(sandboxPort)]);
    const port = new URL(started.base).port;
    const created = await fetch(`${started.base}/api/v2/incoming_payments`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ ...SAMPLE_STK_PUSH, _links: { callback_url: `http://127.0.0.1:${port}/k2/callbacks` } }),
    });
    expect(created.status).toBe(201);
    const paymentId = created.headers.get("location")!.split("/").at(-1);

    // The sandbox ends the payment after about 2 s and posts the signed result to /k2/callbacks.
    let event: { id: string; kind: string; type?: string; payload: any } | undefined;
    for (let attempt = 0; attempt < 100 && !event; attempt++) {
      event = (await events(started.base)).find((e) => e.kind === "result" && e.payload?.data?.id === paymentId);
      if (!event) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(event, started.output()).toBeDefined();
    expect(event).toMatchObject({ type: "incoming_payment", payload: { data: { attributes: { status: "Success" } } } });
    expect(started.output()).toMatch(/"path":"\/k2\/callbacks","status":200/);

    // Local state persists: a new npm start, whose sandbox has another origin, still has the event.
    await stopGroup(started);
    rmSync(started.tmp, { recursive: true, force: true });
    started = await npmStart([]);
    const again = await fetch(`${started.base}/k2/events/${encodeURIComponent(event!.id)}`, { headers: auth });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ id: event!.id, kind: "result", type: "incoming_payment" });
  }, 240_000);
});
