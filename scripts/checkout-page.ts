/**
 * Serves examples/checkout.html and its script on loopback for `npm start`, from an origin of its
 * own: the checkout key's policy lists that origin, so the page calls the Worker cross-origin, with
 * CORS, as a shop's page on its own domain would. The page is served as the file holds it but for
 * the Worker's origin, which depends on `--port`.
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";

const EXAMPLES = join(import.meta.dirname, "..", "examples");

/** The files served, by path; `/` is the page. */
const FILES: Record<string, { file: string; type: string }> = {
  "/": { file: "checkout.html", type: "text/html; charset=utf-8" },
  "/checkout.html": { file: "checkout.html", type: "text/html; charset=utf-8" },
  "/checkout.mjs": { file: "checkout.mjs", type: "text/javascript; charset=utf-8" },
};

export interface CheckoutPage {
  /** The page's URL, on localhost. */
  url: string;
  /** The origins a browser may send for it: the checkout key's `origins`. */
  origins: string[];
  close: () => Promise<void>;
}

/** Listens on 127.0.0.1:`port` (0: any free port); the page talks to the Worker at `workerOrigin`. */
export async function serveCheckoutPage(port: number, workerOrigin: string): Promise<CheckoutPage> {
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? "/", "http://localhost").pathname;
    const found = FILES[path];
    if (!found || (request.method !== "GET" && request.method !== "HEAD")) {
      response.writeHead(404, { "content-type": "text/plain" }).end("Not found\n");
      return;
    }
    // Read at each request, so that an edit to the example shows on reload.
    let body = readFileSync(join(EXAMPLES, found.file), "utf8");
    if (found.file === "checkout.html")
      body = body.replace(/(<meta name="k2-proxy" content=")[^"]*(")/, `$1${workerOrigin}$2`);
    response.writeHead(200, { "content-type": found.type, "cache-control": "no-store" });
    response.end(request.method === "HEAD" ? undefined : body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://localhost:${actual}/`,
    // A browser names the page's origin as its address bar does: either loopback name may be used.
    origins: [`http://localhost:${actual}`, `http://127.0.0.1:${actual}`],
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
