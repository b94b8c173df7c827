/**
 * The K2 side of the soak, in a process of its own (driven over IPC by k2.ts): the K2 sandbox
 * (sandbox/server.ts, through its public API only), a tap in front of it, and a receiver for the
 * callbacks the sandbox may send. All on 127.0.0.1.
 *
 * The tap is what the proxy is pointed at. It forwards every request to the sandbox unchanged
 * (same method, path, headers, body; the sandbox's faults reach the proxy as they are: a hang stays
 * a hang, a drop a drop, a truncated body a truncated body) and records, for each exchange, what
 * K2 received and what it answered: the payment's reference (read from the body K2 received), the
 * answer's status, or that K2 dropped the connection, that the proxy gave up waiting (a hang), or
 * that K2's answer broke off. That record is the ground truth the soak's analysis stands on: which
 * references K2 received more than once, and whether the first one was answered 401.
 *
 * The sandbox's own request record is drained every 250 ms into counters per path (without
 * reset(), which would also drop queued faults), so a long soak does not grow this process's heap
 * with request bodies.
 */
import { createServer, request as httpRequest, Agent, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { K2Sandbox } from "../../sandbox/server.ts";
import {
  ABANDONED,
  API_PATH,
  DROPPED,
  PENDING,
  TOKEN_PATH,
  TRUNCATED,
  type Exchanges,
  type K2Command,
  type K2Mark,
  type K2Summary,
} from "./k2-protocol.ts";

const sandbox = await new K2Sandbox().listen(0, "127.0.0.1");
const sandboxPort = Number(new URL(sandbox.url).port);
const agent = new Agent({ keepAlive: true, maxSockets: 256 });
const records: Exchanges = { kind: [], reference: [], outcome: [], token: [], html: [], at: [] };
const tokens = new Map<string, number>();
const sandboxCounts: Record<string, number> = {};
let callbacks = 0;

function drain(): void {
  // splice, not reset(): reset() would also clear the faults still queued.
  for (const request of sandbox.requests.splice(0, sandbox.requests.length)) {
    const path = new URL(request.path, "http://x").pathname;
    const key = path === TOKEN_PATH || path === API_PATH ? `${request.method} ${path}` : "other";
    sandboxCounts[key] = (sandboxCounts[key] ?? 0) + 1;
  }
}
const drainTimer = setInterval(drain, 250);

const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade"]);

function tap(request: IncomingMessage, response: ServerResponse): void {
  const chunks: Buffer[] = [];
  request.on("data", (chunk: Buffer) => chunks.push(chunk));
  request.on("end", () => {
    const body = Buffer.concat(chunks);
    const path = new URL(request.url ?? "/", "http://x").pathname;
    const kind = path === TOKEN_PATH ? 0 : path === API_PATH ? 1 : 2;
    let reference = "";
    if (kind === 1) {
      try {
        const parsed = JSON.parse(body.toString("utf8")) as { metadata?: { reference?: unknown } };
        if (typeof parsed.metadata?.reference === "string") reference = parsed.metadata.reference;
      } catch {
        // not JSON: no reference
      }
    }
    const bearer = /^Bearer (.+)$/i.exec(request.headers.authorization ?? "")?.[1];
    let token = 0;
    if (bearer) {
      token = tokens.get(bearer) ?? tokens.size + 1;
      tokens.set(bearer, token);
    }
    const index = records.kind.length;
    records.kind.push(kind);
    records.reference.push(reference);
    records.outcome.push(PENDING);
    records.token.push(token);
    records.html.push(0);
    records.at.push(Math.round(performance.now()));
    const settle = (outcome: number) => {
      if (records.outcome[index] === PENDING || outcome === TRUNCATED) records.outcome[index] = outcome;
    };

    const upstream = httpRequest(
      {
        host: "127.0.0.1",
        port: sandboxPort,
        method: request.method,
        path: request.url,
        headers: request.headers,
        agent,
      },
      (answer) => {
        const headers: Record<string, string | string[]> = {};
        for (const [name, value] of Object.entries(answer.headers))
          if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
        if (String(answer.headers["content-type"] ?? "").includes("text/html")) records.html[index] = 1;
        response.writeHead(answer.statusCode ?? 502, headers);
        answer.on("data", (chunk: Buffer) => response.write(chunk));
        answer.on("end", () => {
          settle(answer.statusCode ?? 0);
          response.end();
        });
        answer.on("close", () => {
          if (answer.complete) return;
          // K2's answer broke off: break ours off the same way.
          settle(TRUNCATED);
          response.destroy();
        });
      },
    );
    upstream.on("error", () => {
      // K2 closed the connection before answering: close ours too.
      settle(DROPPED);
      response.destroy();
    });
    response.on("close", () => {
      if (records.outcome[index] === PENDING) {
        // The proxy stopped waiting (its deadline) before K2 answered.
        settle(ABANDONED);
        upstream.destroy();
      }
    });
    upstream.end(body);
  });
}

const tapServer = createServer(tap);
// Longer than any pause in the soak: the proxy's pooled connections to the tap are never closed
// under it by an idle timeout (which would look like a K2 drop).
tapServer.keepAliveTimeout = 120_000;
tapServer.headersTimeout = 130_000;
await new Promise<void>((resolve) => tapServer.listen(0, "127.0.0.1", resolve));

const callbackServer = createServer((request, response) => {
  request.resume();
  request.on("end", () => {
    callbacks++;
    response.writeHead(200, { "content-type": "application/json" });
    response.end("{}");
  });
});
await new Promise<void>((resolve) => callbackServer.listen(0, "127.0.0.1", resolve));

const revokeAvailable = typeof (sandbox as K2Sandbox & { revokeAllTokens?: () => void }).revokeAllTokens === "function";

let oldestOpen = 0;

/**
 * Where a fault applied now may first show: the oldest exchange still open. An exchange the tap
 * has recorded but the sandbox has not yet handled can still meet a fault queued now.
 */
function mark(): K2Mark {
  drain();
  while (oldestOpen < records.outcome.length && records.outcome[oldestOpen] !== PENDING) oldestOpen++;
  return { exchanges: oldestOpen, sandbox: { ...sandboxCounts } };
}

process.on("message", (message: K2Command) => {
  void (async () => {
    // The mark is taken before the fault, so that an exchange already on its way counts as after it.
    if (message.command === "inject") {
      const before = mark();
      sandbox.inject(message.path, ...message.faults);
      process.send!({ id: message.id, mark: before });
    } else if (message.command === "expire") {
      const before = mark();
      sandbox.expireAllTokens();
      process.send!({ id: message.id, mark: before });
    } else if (message.command === "revoke") {
      const before = mark();
      const withRevoke = sandbox as K2Sandbox & { revokeAllTokens?: () => void };
      // revokeAllTokens() is being added to the sandbox; until it exists, expiry stands in for it
      // (the proxy meets the same 401, with ExpiredAccessToken instead of InvalidAccessToken).
      if (typeof withRevoke.revokeAllTokens === "function") withRevoke.revokeAllTokens();
      else sandbox.expireAllTokens();
      process.send!({ id: message.id, mark: before, revokeAvailable });
    } else if (message.command === "mark") {
      process.send!({ id: message.id, mark: mark() });
    } else if (message.command === "summary") {
      const summary: K2Summary = {
        ...mark(),
        records,
        callbacks,
        revokeAvailable,
        heapUsed: process.memoryUsage().heapUsed,
      };
      process.send!({ id: message.id, summary });
    } else {
      clearInterval(drainTimer);
      tapServer.closeAllConnections();
      callbackServer.closeAllConnections();
      agent.destroy();
      await Promise.all([
        sandbox.close(),
        new Promise((resolve) => tapServer.close(resolve)),
        new Promise((resolve) => callbackServer.close(resolve)),
      ]);
      process.send!({ id: message.id }, () => process.exit(0));
    }
  })();
});
process.on("disconnect", () => process.exit(0));
process.send!({
  id: 0,
  tapUrl: `http://127.0.0.1:${(tapServer.address() as AddressInfo).port}`,
  callbackUrl: `http://127.0.0.1:${(callbackServer.address() as AddressInfo).port}`,
});
