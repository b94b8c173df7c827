/**
 * A TypeScript module in a Node child process of its own, so that a server's work (the K2 sandbox,
 * the soak's tap) or one library's JIT state cannot share an event loop with what is measured.
 */
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";

/** Starts `moduleUrl` under tsx with `gc()` exposed and an IPC channel open. */
export function forkTs(moduleUrl: URL, args: string[] = []): ChildProcess {
  return fork(fileURLToPath(moduleUrl), args, {
    execArgv: ["--import", "tsx", "--expose-gc"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
}

/**
 * Requests to such a child over IPC: each message carries an id, and the child answers with a
 * message carrying the same id (id 0 is its "ready"). Every wait is bounded.
 */
export class IpcChannel {
  readonly child: ChildProcess;
  #next = 1;

  constructor(child: ChildProcess) {
    this.child = child;
  }

  request<T>(message: Record<string, unknown>, timeoutMs = 30_000): Promise<T> {
    const id = this.#next++;
    const answer = this.answer<T>(id, timeoutMs);
    this.child.send({ id, ...message });
    return answer;
  }

  answer<T>(id: number, timeoutMs = 30_000): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.child.off("message", onMessage);
        this.child.off("exit", onExit);
      };
      const onExit = () => {
        done();
        reject(new Error("the child process exited before answering"));
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`the child process did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      const onMessage = (message: { id: number } & T) => {
        if (message.id !== id) return;
        done();
        resolve(message);
      };
      this.child.on("message", onMessage);
      this.child.once("exit", onExit);
    });
  }
}
