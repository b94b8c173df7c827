/**
 * A handle on the soak's K2 side (k2-process.ts) running in its own process: the tap's URL (what
 * the proxy is pointed at), the callback receiver's URL, faults, token expiry and revocation, and
 * the final record.
 */
import type { Fault } from "../../sandbox/server.ts";
import { IpcChannel, forkTs } from "../ts-child.ts";
import type { K2Command, K2Mark, K2Summary } from "./k2-protocol.ts";

type Command = K2Command["command"];

export class K2Side {
  tapUrl = "";
  callbackUrl = "";
  readonly #ipc: IpcChannel;

  private constructor(ipc: IpcChannel) {
    this.#ipc = ipc;
  }

  static async start(): Promise<K2Side> {
    const side = new K2Side(new IpcChannel(forkTs(new URL("./k2-process.ts", import.meta.url))));
    const ready = await side.#ipc.answer<{ tapUrl: string; callbackUrl: string }>(0);
    side.tapUrl = ready.tapUrl;
    side.callbackUrl = ready.callbackUrl;
    return side;
  }

  async inject(path: string, ...faults: Fault[]): Promise<K2Mark> {
    return (await this.#send<{ mark: K2Mark }>({ command: "inject", path, faults })).mark;
  }

  async expireAllTokens(): Promise<K2Mark> {
    return (await this.#send<{ mark: K2Mark }>({ command: "expire" })).mark;
  }

  /** Revokes every token (or, on a sandbox without revokeAllTokens, expires them). */
  async revokeAllTokens(): Promise<K2Mark & { revokeAvailable: boolean }> {
    const answer = await this.#send<{ mark: K2Mark; revokeAvailable: boolean }>({ command: "revoke" });
    return { ...answer.mark, revokeAvailable: answer.revokeAvailable };
  }

  async mark(): Promise<K2Mark> {
    return (await this.#send<{ mark: K2Mark }>({ command: "mark" })).mark;
  }

  async summary(): Promise<K2Summary> {
    return (await this.#send<{ summary: K2Summary }>({ command: "summary" })).summary;
  }

  /** Closes every server; kills the process if it does not exit by itself. */
  async stop(): Promise<void> {
    const child = this.#ipc.child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    await this.#send({ command: "stop" }, 5000).catch(() => {});
    this.kill();
  }

  /** At once, whatever it is doing. */
  kill(): void {
    const child = this.#ipc.child;
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }

  #send<T>(command: { command: Command } & Record<string, unknown>, timeoutMs = 30_000): Promise<T> {
    return this.#ipc.request<T>(command, timeoutMs);
  }
}
