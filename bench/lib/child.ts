/**
 * Each measurement runs in a fresh Node process of its own, so that one library's JIT state, open
 * sockets and heap cannot colour another's numbers. The runner sends the process its input and
 * gets one JSON result back over IPC.
 */
import { fileURLToPath } from "node:url";
import { forkTs } from "../../harness/ts-child.ts";

/**
 * Runs a section module (one that calls {@link serveSection}) with `input` and resolves with its
 * result. The child is killed when `timeoutMs` passes: every benchmark is bounded in time.
 */
export function runSection<Input, Result>(moduleUrl: URL, input: Input, timeoutMs: number): Promise<Result> {
  const child = forkTs(moduleUrl);
  return new Promise<Result>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${fileURLToPath(moduleUrl)} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once("message", (message: { result?: Result; error?: string }) => {
      clearTimeout(timer);
      if (message.error !== undefined) reject(new Error(message.error));
      else resolve(message.result as Result);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${fileURLToPath(moduleUrl)} exited with ${code} before answering`));
    });
    child.send(input as object);
  });
}

/** The child side of {@link runSection}: runs `run` on the input and sends back the result, then exits. */
export function serveSection<Input, Result>(run: (input: Input) => Promise<Result>): void {
  process.once("message", (input: Input) => {
    run(input).then(
      (result) => process.send!({ result }, () => process.exit(0)),
      (error: unknown) =>
        process.send!({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) }, () =>
          process.exit(1),
        ),
    );
  });
}
