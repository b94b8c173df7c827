/**
 * A handle on the K2 sandbox running in its own process (sandbox-process.ts): its URL, its request
 * counters, and a restart that drops every open connection.
 */
import type { ChildProcess } from "node:child_process";
import { DEV_CLIENT } from "../../sandbox/credentials.ts";
import { SAMPLE_STK_PUSH } from "../../sandbox/samples.ts";
import { forkTs } from "../../harness/ts-child.ts";
import type { SandboxCommand, SandboxCounts } from "./sandbox-process.ts";

export { DEV_CLIENT };
export type { SandboxCounts };

/**
 * The sandbox process, driven over IPC.
 *
 * @example
 * ```ts
 * const sandbox = await SandboxProcess.start();
 * const url = await sandbox.restart(); // cold: new port, no kept-alive connections
 * const { token } = await sandbox.counts();
 * await sandbox.stop();
 * ```
 */
export class SandboxProcess {
  url = "";
  readonly #child: ChildProcess;
  #next = 1;

  private constructor(child: ChildProcess) {
    this.#child = child;
  }

  static async start(): Promise<SandboxProcess> {
    const handle = new SandboxProcess(forkTs(new URL("./sandbox-process.ts", import.meta.url)));
    handle.url = (await handle.#answer<{ url: string }>(0)).url;
    return handle;
  }

  /** The sandbox process's id (for pinning it to a CPU). */
  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Closes the server and every connection to it, and opens a fresh one (new port, counters at 0). */
  async restart(): Promise<string> {
    this.url = (await this.#send<{ url: string }>("restart")).url;
    return this.url;
  }

  async counts(): Promise<SandboxCounts> {
    return (await this.#send<{ counts: SandboxCounts }>("counts")).counts;
  }

  async stop(): Promise<void> {
    await this.#send("stop").catch(() => {});
    this.#child.kill();
  }

  #send<T>(command: SandboxCommand["command"]): Promise<T> {
    const id = this.#next++;
    const answer = this.#answer<T>(id);
    this.#child.send({ id, command } satisfies SandboxCommand);
    return answer;
  }

  #answer<T>(id: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("the sandbox process did not answer within 30 s")), 30_000);
      const onMessage = (message: { id: number } & T) => {
        if (message.id !== id) return;
        clearTimeout(timer);
        this.#child.off("message", onMessage);
        resolve(message);
      };
      this.#child.on("message", onMessage);
    });
  }
}

/**
 * Sets up the upstream for the proxy benchmarks: a resource to read through the Workers, and the
 * pass-through's fixed bearer token. Its callback goes to a closed loopback port, so nothing leaves
 * the machine.
 */
export async function upstreamFixture(origin: string): Promise<{ path: string; authorization: string }> {
  const form = new URLSearchParams({
    client_id: DEV_CLIENT.clientId,
    client_secret: DEV_CLIENT.clientSecret,
    grant_type: "client_credentials",
  });
  const token = (
    (await (await fetch(`${origin}/oauth/token`, { method: "POST", body: form })).json()) as { access_token: string }
  ).access_token;
  const authorization = `Bearer ${token}`;
  const created = await fetch(`${origin}/api/v2/incoming_payments`, {
    method: "POST",
    headers: { authorization, "content-type": "application/json" },
    body: JSON.stringify({ ...SAMPLE_STK_PUSH, _links: { callback_url: "http://127.0.0.1:9/result" } }),
  });
  if (created.status !== 201) throw new Error(`the sandbox did not create the fixture: ${created.status}`);
  return { path: new URL(created.headers.get("location")!).pathname, authorization };
}
