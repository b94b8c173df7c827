/**
 * The main job, end to end: `npm start` as a newcomer runs it (wrangler dev, local KV, the embedded
 * K2 sandbox), called over real HTTP.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEV_PROXY_KEY } from "../../sandbox/credentials.js";
import { SAMPLE_STK_PUSH } from "../../sandbox/samples.js";

let child: ChildProcess;
let base: string;
let output = "";

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  child = spawn("npm", ["start", "--", "--port", String(port)], {
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, CI: "true" },
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
}, 120_000);

afterAll(async () => {
  if (child?.pid) process.kill(-child.pid, "SIGTERM");
  await new Promise((resolve) => setTimeout(resolve, 500));
});

describe("npm start", () => {
  it("prints the development proxy key and a curl example", () => {
    expect(output).toContain(`Proxy key: ${DEV_PROXY_KEY}`);
    expect(output).toContain("curl -si -X POST");
  });

  it("serves /healthz and refuses callers without the key", async () => {
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: "ok" });
    const refused = await fetch(`${base}/api/v2/incoming_payments`, { method: "POST", body: "{}" });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("www-authenticate")).toMatch(/^Bearer/);
  });

  it("creates an STK push through the proxy and polls it at the rewritten Location", async () => {
    const headers = { authorization: `Bearer ${DEV_PROXY_KEY}`, "content-type": "application/json" };
    const created = await fetch(`${base}/api/v2/incoming_payments`, {
      method: "POST",
      headers,
      body: JSON.stringify(SAMPLE_STK_PUSH),
    });
    expect(created.status).toBe(201);
    const location = created.headers.get("location")!;
    expect(location.startsWith(`${base}/api/v2/incoming_payments/`)).toBe(true);

    const status = await fetch(location, { headers });
    expect(status.status).toBe(200);
    expect((await status.json()).data).toMatchObject({ type: "incoming_payment", attributes: { status: "Pending" } });
    expect(output).toMatch(/"path":"\/api\/v2\/incoming_payments","status":201/);
  });
});
