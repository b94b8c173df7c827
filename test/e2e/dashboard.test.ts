/**
 * The dashboard and the sandbox's page in Debian's Chromium, against `npm start` as a newcomer runs
 * it (wrangler dev, local Durable Objects and queues, the embedded sandbox): a key is checked before
 * anything shows, an STK push's row turns from Pending to Success when it is settled from the
 * sandbox's page, and its result, dead because the backend was down, is replayed once it is up.
 *
 * With SCREENSHOTS_DIR set (`npm run screenshots`), it writes dashboard.png and sandbox.png there.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { DEV_PROXY_KEY } from "../../sandbox/credentials.ts";
import { SAMPLE_STK_PUSH } from "../../sandbox/samples.ts";
import { launchChromium } from "../support/chromium.ts";

/** A key that may create payments but not read them: the dashboard must show it nothing. */
const WRITER_KEY = "dashboard-e2e-writer-key-000001";

let child: ChildProcess | undefined;
let output = "";
let base: string;
let sandboxUrl: string;
let backend: Server;
/** What the forwarding backend answers: down (503) until the test brings it up. */
let backendStatus = 503;
let browser: Browser;
let tmp: string;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeAll(async () => {
  backend = createServer((request, response) => {
    request.resume();
    request.on("end", () => response.writeHead(backendStatus).end());
  });
  await new Promise<void>((resolve) => backend.listen(0, "127.0.0.1", resolve));
  const backendUrl = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;

  tmp = mkdtempSync(join(tmpdir(), "dashboard-e2e-"));
  const devVars = join(tmp, ".dev.vars");
  const policies = [
    { id: "writer", sha256: createHash("sha256").update(WRITER_KEY).digest("hex"), allow: ["incoming_payments:write"] },
  ];
  writeFileSync(
    devVars,
    [
      `PROXY_KEYS=${DEV_PROXY_KEY}`,
      `PROXY_KEY_POLICIES='${JSON.stringify(policies)}'`,
      `FORWARD_URL=${backendUrl}/events`,
      "FORWARD_SECRET=dashboard-e2e-forward-secret",
      // The queue's retries are not delayed: a delivery to a backend that is down dies at once.
      "FORWARD_RETRY_DELAY_SECONDS=0",
    ].join("\n"),
  );
  const port = await freePort();
  const sandboxPort = await freePort();
  base = `http://127.0.0.1:${port}`;
  sandboxUrl = `http://127.0.0.1:${sandboxPort}`;
  child = spawn(
    "npm",
    // Its own state directory: a developer's `.wrangler/state` (their events and payments) is theirs.
    [
      "start",
      "--",
      "--port",
      String(port),
      "--sandbox-port",
      String(sandboxPort),
      "--dev-vars",
      devVars,
      "--persist-to",
      join(tmp, "state"),
    ],
    { detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, CI: "true", TMPDIR: tmp } },
  );
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not become ready:\n${output}`)), 90_000);
    const poll = setInterval(() => {
      if (!output.includes("proxy ready")) return;
      clearTimeout(timer);
      clearInterval(poll);
      resolve();
    }, 100);
    child!.on("exit", (code) => reject(new Error(`npm start exited with ${code}:\n${output}`)));
  });
  // Payments stay pending until the sandbox's page settles them: the Pending row is there to be seen.
  expect((await sandboxControl("options", { holdPayments: true })).status).toBe(200);
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  const pgid = child?.pid;
  if (pgid) {
    try {
      process.kill(-pgid, "SIGTERM");
      for (let i = 0; i < 150; i++) {
        process.kill(-pgid, 0);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } catch {
      // the group is gone
    }
  }
  await new Promise((resolve) => backend?.close(resolve));
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

function sandboxControl(name: string, body: unknown): Promise<Response> {
  return fetch(`${sandboxUrl}/__sandbox/${name}`, { method: "POST", body: JSON.stringify(body) });
}

async function dashboardPage(width = 1100): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  // A CSP violation is a console error: the page must need nothing its policy forbids. (Refused
  // calls are console errors too, and expected here: the wrong keys', and the browser's favicon.)
  page.on("console", (message) => {
    if (message.type() === "error" && /Content Security Policy/i.test(message.text())) errors.push(message.text());
  });
  await page.goto(`${base}/dashboard`);
  return { page, errors };
}

/** Types the key and submits it with the keyboard, as a person would. */
async function enterKey(page: Page, key: string): Promise<void> {
  await page.getByLabel("Proxy key").fill(key);
  await page.getByLabel("Proxy key").press("Enter");
}

async function stkPush(phone: string): Promise<string> {
  const created = await fetch(`${base}/api/v2/incoming_payments`, {
    method: "POST",
    headers: { authorization: `Bearer ${DEV_PROXY_KEY}`, "content-type": "application/json" },
    body: JSON.stringify({
      ...SAMPLE_STK_PUSH,
      subscriber: { ...SAMPLE_STK_PUSH.subscriber, phone_number: phone },
      _links: { callback_url: `${base}/k2/callbacks` },
    }),
  });
  expect(created.status, output).toBe(201);
  return created.headers.get("location")!.split("/").at(-1)!;
}

it("shows nothing to a wrong key or one without the read capabilities, only the refusal", async () => {
  const { page, errors } = await dashboardPage();
  await enterKey(page, "not-a-key-at-all");
  await expect.poll(() => page.locator("#key-message").textContent()).toContain("not known, or it has expired");
  expect(await page.locator("#board").isHidden()).toBe(true);

  await enterKey(page, WRITER_KEY);
  await expect.poll(() => page.locator("#key-message").textContent()).toContain("may not read payments and events");
  expect(await page.locator("#board").isHidden()).toBe(true);
  expect(await page.locator("#payments tr").count()).toBe(0);
  expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
  expect(page.url()).not.toContain(WRITER_KEY);
  expect(errors).toEqual([]);
  await page.close();
});

it("an STK push turns from Pending to Success when settled from the sandbox's page; its dead result is replayed", async () => {
  const { page, errors } = await dashboardPage();
  await enterKey(page, DEV_PROXY_KEY);
  await page.locator("#board").waitFor({ state: "visible" });
  // Kept for this tab's session, never in the URL.
  expect(await page.evaluate(() => Object.values(sessionStorage))).toEqual([DEV_PROXY_KEY]);
  expect(page.url()).toBe(`${base}/dashboard`);

  const id = await stkPush("+254712345678");
  const row = page.locator(`#payments tr[data-id="${id}"]`);
  await expect.poll(() => row.locator("td.state").textContent(), { timeout: 15_000 }).toBe("Pending");

  const sandbox = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  await sandbox.goto(`${sandboxUrl}/`);
  const inFlight = sandbox.locator(`#payments tr[data-id="${id}"]`);
  await inFlight.waitFor();
  await inFlight.getByRole("button", { name: `Settle payment ${id} as success` }).click();
  await inFlight.waitFor({ state: "detached" });

  // The dashboard polls by itself: the same row, now settled by K2's callback.
  await expect.poll(() => row.locator("td.state").textContent(), { timeout: 20_000 }).toBe("Success");
  expect(await row.locator("td").nth(4).textContent()).toBe("K2's callback");

  // Its events: the result, forwarded to a backend that is down, ends dead after the queue's retries.
  await row.getByRole("button", { name: `Show the events of payment ${id}` }).click();
  await expect.poll(() => page.locator("#events-scope").textContent()).toBe(`Events of payment ${id}`);
  const replay = page.getByRole("button", { name: /^Replay event / });
  await replay.waitFor({ timeout: 60_000 });
  expect(await page.locator("#events tr td.delivery").first().textContent()).toMatch(/^Dead after \d+ attempts/);

  backendStatus = 200;
  await replay.focus();
  await page.keyboard.press("Enter");
  await expect
    .poll(() => page.locator("#events tr td.delivery").first().textContent(), { timeout: 20_000 })
    .toBe("Delivered");
  expect(await page.locator("#notice").textContent()).toContain("queued for delivery again");

  // The sandbox's log shows the result it sent to the Worker and the Worker's answer.
  await expect
    .poll(() =>
      sandbox
        .locator("#deliveries tr")
        .filter({ hasText: `${base}/k2/callbacks` })
        .first()
        .textContent(),
    )
    .toContain("200");

  if (process.env.SCREENSHOTS_DIR) {
    await page.locator("#all-events").click();
    await stkPush("+254712345678"); // one left pending in the picture
    await sandbox.reload();
    await sandbox.locator("#payments tr").first().waitFor();
    await page.waitForTimeout(5000); // one poll, so the new row is in the picture
    await page.screenshot({ path: join(process.env.SCREENSHOTS_DIR, "dashboard.png"), fullPage: true });
    await sandbox.screenshot({ path: join(process.env.SCREENSHOTS_DIR, "sandbox.png"), fullPage: true });
  }
  expect(errors).toEqual([]);
  await sandbox.close();
  await page.close();
}, 150_000);

it("is readable at phone width: nothing wider than the screen but the tables' own scrolling", async () => {
  const { page } = await dashboardPage(375);
  await enterKey(page, DEV_PROXY_KEY);
  await page.locator("#board").waitFor({ state: "visible" });
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
  await page.close();
});
