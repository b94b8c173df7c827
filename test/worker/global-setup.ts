/**
 * Starts, in Node, what the tests inside workerd drive over HTTP: the K2 sandbox (payments end
 * after 200 ms, so a lifecycle runs in a test; results go to loopback receivers only) and a receiver for the results and webhooks it posts,
 * which keeps each delivery exactly as it arrived (raw body, signature header).
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { TestProject } from "vitest/node";
import { K2Sandbox } from "../../sandbox/server.js";

declare module "vitest" {
  export interface ProvidedContext {
    k2SandboxUrl: string;
    callbackReceiverUrl: string;
  }
}

/** One POST the receiver got, as `GET /received` lists it. */
export interface ReceivedCallback {
  path: string;
  signature: string | null;
  body: string;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const sandbox = await new K2Sandbox({
    processingDelayMs: 200,
    callbackBackoffMs: 50,
    loopbackCallbacksOnly: true,
  }).listen();
  const received: ReceivedCallback[] = [];
  const receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      if (request.method === "GET" && request.url === "/received") {
        response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(received));
        return;
      }
      const signature = request.headers["x-kopokopo-signature"];
      received.push({
        path: request.url ?? "/",
        signature: typeof signature === "string" ? signature : null,
        body: Buffer.concat(chunks).toString("utf8"),
      });
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  project.provide("k2SandboxUrl", sandbox.url);
  project.provide("callbackReceiverUrl", `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`);
  return async () => {
    receiver.closeAllConnections();
    await Promise.all([sandbox.close(), new Promise((resolve) => receiver.close(resolve))]);
  };
}
