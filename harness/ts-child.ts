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
