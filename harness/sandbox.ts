/**
 * A handle on the K2 sandbox running in its own process (sandbox-process.ts): its URL, its request
 * counters, and a restart that drops every open connection.
 */
import { IpcChannel, forkTs } from "./ts-child.ts";
import type { SandboxCommand, SandboxCounts } from "./sandbox-process.ts";

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
  readonly #ipc: IpcChannel;

  private constructor(ipc: IpcChannel) {
    this.#ipc = ipc;
  }

  static async start(): Promise<SandboxProcess> {
    const handle = new SandboxProcess(new IpcChannel(forkTs(new URL("./sandbox-process.ts", import.meta.url))));
    handle.url = (await handle.#ipc.answer<{ url: string }>(0)).url;
    return handle;
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
    this.#ipc.child.kill();
  }

  #send<T>(command: SandboxCommand["command"]): Promise<T> {
    return this.#ipc.request<T>({ command });
  }
}
