/** Runs a sandbox command line (`npm run sandbox`, `k2-connect-edge sandbox`) and reads what it printed. */
import { spawn, type ChildProcess } from "node:child_process";

export interface Printed {
  output: string;
  url: string;
  clientId: string;
  clientSecret: string;
  apiKey: string;
  /** The test-number lines: `254700000001  insufficient_funds (...)`. */
  numbers: string[];
}

/** Spawns `command`, waits (bounded) for its banner, and answers it with the child, to be stopped with `stop`. */
export async function spawnSandbox(
  command: string,
  args: string[],
  cwd: string,
): Promise<{ child: ChildProcess; printed: Printed }> {
  const child = spawn(command, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  let errors = "";
  child.stdout!.setEncoding("utf8");
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (chunk: string) => (errors += chunk));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no banner within 20 s: ${output}${errors}`)), 20_000);
      child.on("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`exited with ${code}: ${output}${errors}`));
      });
      child.stdout!.on("data", (chunk: string) => {
        output += chunk;
        if (/^Controls under .*$/m.test(output)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
  const field = (label: string) => new RegExp(`^\\s+${label}\\s+(\\S+)`, "m").exec(output)?.[1] ?? "";
  return {
    child,
    printed: {
      output,
      url: /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1] ?? "",
      clientId: field("client id"),
      clientSecret: field("client secret"),
      apiKey: field("API key"),
      numbers: output
        .split("\n")
        .filter((line) => /^\s+2547\d{8}\s/.test(line))
        .map((line) => line.trim()),
    },
  };
}

/** SIGTERM, and the exit code it ended with. */
export function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  child.kill("SIGTERM");
  return exited;
}
