/** What the sandbox tests share: a sandbox with a token, JSON calls, and a receiver for what it posts. */
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { DEV_CLIENT } from "../../sandbox/credentials.ts";
import { K2Sandbox, type K2SandboxOptions } from "../../sandbox/server.ts";

export interface Started {
  sandbox: K2Sandbox;
  token: string;
  /** POSTs JSON (or a raw string) with the token. */
  post(path: string, body: unknown): Promise<Response>;
  /** GETs a path or absolute URL with the token and answers the JSON. */
  read(location: string): Promise<any>;
  /** Creates a resource and answers its Location. */
  create(path: string, body: unknown): Promise<string>;
}

export async function startSandbox(options: K2SandboxOptions = {}): Promise<Started> {
  const sandbox = await new K2Sandbox({ processingDelayMs: 5, callbackBackoffMs: 5, ...options }).listen();
  const answer = await fetch(`${sandbox.url}/oauth/token`, {
    method: "POST",
    body: new URLSearchParams({
      grant_type: "client_credentials",
      client_id: DEV_CLIENT.clientId,
      client_secret: DEV_CLIENT.clientSecret,
    }),
  });
  const { access_token: token } = (await answer.json()) as { access_token: string };
  const authorization = { authorization: `Bearer ${token}`, accept: "application/json" };
  const post = (path: string, body: unknown) =>
    fetch(new URL(path, sandbox.url), {
      method: "POST",
      headers: { ...authorization, "content-type": "application/json" },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
  return {
    sandbox,
    token,
    post,
    async read(location) {
      const response = await fetch(new URL(location, sandbox.url), { headers: authorization });
      if (response.status !== 200) throw new Error(`GET ${location}: ${response.status} ${await response.text()}`);
      return response.json();
    },
    async create(path, body) {
      const response = await post(path, body);
      if (response.status !== 201) throw new Error(`POST ${path}: ${response.status} ${await response.text()}`);
      return response.headers.get("location")!;
    },
  };
}

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** Waits until `count` requests have arrived (bounded: a missing one fails the test, not hangs it). */
  until(count: number, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

/** A local HTTP server standing for the merchant's callback and webhook URLs; answers `statuses` in turn, then 200. */
export async function startReceiver(statuses: number[] = []): Promise<Receiver> {
  const received: Received[] = [];
  const waiters: (() => void)[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      received.push({
        path: request.url ?? "/",
        headers: request.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      });
      response.writeHead(statuses.shift() ?? 200).end();
      for (const wake of waiters.splice(0)) wake();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    received,
    async until(count, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (received.length < count) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`expected ${count} deliveries, got ${received.length}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      return received;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Waits for `condition` to hold, checking every few milliseconds, for at most `timeoutMs`. */
export async function eventually(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("the condition did not hold in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
