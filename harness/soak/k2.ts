/**
 * A handle on the soak's K2 side (k2-process.ts) running in its own process: the tap's URL (what
 * the proxy is pointed at), the callback receiver's URL, faults, token expiry and revocation, and
 * the final record.
 */
import type { ChildProcess } from "node:child_process";
import type { Fault } from "../../sandbox/server.ts";
import { forkTs } from "../ts-child.ts";
import type { K2Command, K2Mark, K2Summary } from "./k2-protocol.ts";

type Command = K2Command["command"];

export class K2Side {
  tapUrl = "";
  callbackUrl = "";
  readonly #child: ChildProcess;
  #next = 1;

  private constructor(child: ChildProcess) {
    this.#child = child;
  }

  static async start(): Promise<K2Side> {
    const side = new K2Side(forkTs(new URL("./k2-process.ts", import.meta.url)));
    const ready = await side.#answer<{ tapUrl: string; callbackUrl: string }>(0);
    side.tapUrl = ready.tapUrl;
    side.callbackUrl = ready.callbackUrl;
    return side;
  }

  get pid(): number | undefined {
    return this.#child.pid;
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
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    await this.#send({ command: "stop" }, 5000).catch(() => {});
    this.kill();
  }

  /** At once, whatever it is doing. */
  kill(): void {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill("SIGKILL");
  }

  #send<T>(command: { command: Command } & Record<string, unknown>, timeoutMs = 30_000): Promise<T> {
    const id = this.#next++;
    const answer = this.#answer<T>(id, timeoutMs);
    this.#child.send({ id, ...command });
    return answer;
  }

  #answer<T>(id: number, timeoutMs = 30_000): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const onExit = () => {
        clearTimeout(timer);
        reject(new Error("the K2 side exited"));
      };
      const timer = setTimeout(() => {
        this.#child.off("message", onMessage);
        this.#child.off("exit", onExit);
        reject(new Error(`the K2 side did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      const onMessage = (message: { id: number } & T) => {
        if (message.id !== id) return;
        clearTimeout(timer);
        this.#child.off("message", onMessage);
        this.#child.off("exit", onExit);
        resolve(message);
      };
      this.#child.on("message", onMessage);
      this.#child.once("exit", onExit);
    });
  }
}
