/**
 * The runtime matrix in a browser: Debian's Chromium loads the built ESM bundle in a page served on
 * localhost and runs the same conformance checks against the K2 sandbox (which answers CORS).
 */
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { K2Sandbox } from "../../sandbox/server.ts";
import { launchChromium } from "../support/chromium.ts";
import { distAsset } from "../support/dist-assets.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const CONFORMANCE = join(ROOT, "test", "runtimes", "conformance.mjs");

let sandbox: K2Sandbox;
let pages: Server;
let browser: Browser;
let origin: string;

beforeAll(async () => {
  sandbox = await new K2Sandbox().listen();
  pages = createServer((request, response) => {
    const file = request.url === "/conformance.mjs" ? CONFORMANCE : distAsset(request.url ?? "");
    if (request.url === "/") {
      // The page imports the bundle as any web page would, then runs the checks.
      response.writeHead(200, { "content-type": "text/html" });
      response.end(`<!doctype html><title>k2-connect-edge conformance</title>
<script type="module">
  import * as pkg from "/dist/index.js";
  import { runConformance } from "/conformance.mjs";
  window.conformance = runConformance(pkg, ${JSON.stringify(sandbox.url)});
</script>`);
    } else if (file) {
      response.writeHead(200, { "content-type": "text/javascript" });
      response.end(readFileSync(file));
    } else {
      response.writeHead(404);
      response.end();
    }
  });
  await new Promise<void>((resolve) => pages.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(pages.address() as AddressInfo).port}`;
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await sandbox?.close();
  await new Promise((resolve) => pages?.close(resolve));
});

it("Chromium runs the conformance checks on the built ESM bundle", async () => {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  await page.goto(origin);
  await page.waitForFunction("window.conformance !== undefined");
  const report = (await page.evaluate(
    "window.conformance.then((results) => ({ runtime: navigator.userAgent, results }))",
  )) as {
    runtime: string;
    results: { name: string; ok: boolean; detail?: string }[];
  };
  const version = browser.version();
  console.log(
    `runtime matrix: chromium ${version}: ${report.results.filter((r) => r.ok).length}/${report.results.length} checks`,
  );
  expect(errors).toEqual([]);
  expect(report.runtime).toContain("Chrome/");
  expect(report.results.filter((result) => !result.ok)).toEqual([]);
  expect(report.results).toHaveLength(9);
});
