/**
 * Starts, in Node, what the tests inside workerd drive over HTTP: the K2 sandbox (payments end
 * after 200 ms, so a lifecycle runs in a test; results go to loopback receivers only) and a receiver for the results and webhooks it posts,
 * which keeps each delivery exactly as it arrived (raw body, signature header); and a backend that
 * receives the events the inbox forwards.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { TestProject } from "vitest/node";
import { K2Sandbox } from "../../../sandbox/server.ts";

declare module "vitest" {
  export interface ProvidedContext {
    k2SandboxUrl: string;
    callbackReceiverUrl: string;
    forwardReceiverUrl: string;
  }
}

/** One POST the receiver got, as `GET /received` lists it. */
export interface ReceivedCallback {
  path: string;
  signature: string | null;
  body: string;
}

/** One event the forward receiver got, as `GET /__received` lists it. */
export interface ForwardedDelivery {
  signature: string | null;
  body: string;
  /** The status the receiver answered. */
  status: number;
}

/**
 * A backend for the inbox's forwarding: it answers 200 unless a test scripted failures for an
 * event (`POST /__script {"match": "<K2 event id>", "fail": n}`: the next n deliveries whose
 * payload's `id` (a webhook's) or `data.id` (a result's) is that value get 500), and it keeps every
 * delivery (`GET /__received`).
 */
function forwardReceiver() {
  const received: ForwardedDelivery[] = [];
  const failures = new Map<string, number>();
  return createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      if (request.url === "/__received") {
        response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(received));
        return;
      }
      if (request.url === "/__script") {
        const { match, fail } = JSON.parse(body) as { match: string; fail: number };
        failures.set(match, fail);
        response.writeHead(200).end();
        return;
      }
      let match = "";
      try {
        const payload = JSON.parse(body).payload;
        match = String(payload?.id ?? payload?.data?.id ?? "");
      } catch {
        // not an event: answered 200 and kept, for the test to see
      }
      const left = failures.get(match) ?? 0;
      if (left > 0) failures.set(match, left - 1);
      const status = left > 0 ? 500 : 200;
      const signature = request.headers["x-k2-edge-signature"];
      received.push({ signature: typeof signature === "string" ? signature : null, body, status });
      response.writeHead(status).end();
    });
  });
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
  const backend = forwardReceiver();
  await new Promise<void>((resolve) => backend.listen(0, "127.0.0.1", resolve));
  project.provide("k2SandboxUrl", sandbox.url);
  project.provide("callbackReceiverUrl", `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`);
  project.provide("forwardReceiverUrl", `http://127.0.0.1:${(backend.address() as AddressInfo).port}`);
  return async () => {
    receiver.closeAllConnections();
    backend.closeAllConnections();
    await Promise.all([
      sandbox.close(),
      new Promise((resolve) => receiver.close(resolve)),
      new Promise((resolve) => backend.close(resolve)),
    ]);
  };
}
