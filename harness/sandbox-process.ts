/**
 * The K2 sandbox (sandbox/server.ts) in a process of its own, so that the server's work
 * does not share an event loop with the client being measured. Driven over IPC by sandbox.ts.
 *
 * The sandbox records every request; the record is drained into counters every 250 ms so that a
 * long load run does not grow this process's heap (and slow the upstream down as it goes).
 */
import { K2Sandbox } from "../sandbox/server.ts";

export type SandboxCommand = { id: number; command: "restart" | "counts" | "stop" };
export interface SandboxCounts {
  /** POST /oauth/token requests. */
  token: number;
  /** Requests to /api/... paths. */
  api: number;
  /** Anything else. */
  other: number;
}

let sandbox = await new K2Sandbox().listen(0, "127.0.0.1");
const counts: SandboxCounts = { token: 0, api: 0, other: 0 };

function drain(): void {
  for (const request of sandbox.requests) {
    const path = new URL(request.path, "http://x").pathname;
    if (path === "/oauth/token") counts.token++;
    else if (path.startsWith("/api/")) counts.api++;
    else counts.other++;
  }
  sandbox.reset();
}
setInterval(drain, 250).unref();

process.on("message", (message: SandboxCommand) => {
  void (async () => {
    drain();
    if (message.command === "restart") {
      // A new server on a new port: every connection a client keeps alive is closed, so the next
      // round starts from cold sockets, as a first call does.
      await sandbox.close();
      sandbox = await new K2Sandbox().listen(0, "127.0.0.1");
      counts.token = counts.api = counts.other = 0;
      process.send!({ id: message.id, url: sandbox.url });
    } else if (message.command === "counts") {
      process.send!({ id: message.id, counts: { ...counts } });
    } else {
      await sandbox.close();
      process.send!({ id: message.id }, () => process.exit(0));
    }
  })();
});
process.send!({ id: 0, url: sandbox.url });
process.on("disconnect", () => process.exit(0));
