/**
 * A Worker under `wrangler dev` for the proxy benchmark: started with its output going to a file
 * (so reading hundreds of thousands of log lines costs the load generator nothing while it
 * measures), its isolate's heap read through the DevTools inspector, and stopped with its whole
 * process group.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { openSync, readFileSync, closeSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { writePrivateEnvFile } from "../../scripts/private-env-file.js";

export interface WranglerOptions {
  /** The wrangler config file. */
  config: string;
  /** Where wrangler's stdout and stderr go. */
  logFile: string;
  /** Local KV and cache storage, fresh for each run so that no token is left from earlier runs. */
  persistTo: string;
  vars: Record<string, string>;
  compatibilityDate?: string;
  cwd: string;
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * One `wrangler dev` process group.
 *
 * @example
 * ```ts
 * const dev = await WranglerDev.start({ config, logFile, persistTo, vars: {}, cwd });
 * const heap = await dev.heapAfterGc();
 * await dev.stop();
 * ```
 */
export class WranglerDev {
  readonly url: string;
  readonly #child: ChildProcess;
  readonly #logFile: string;
  readonly #inspectorPort: number;

  private constructor(child: ChildProcess, url: string, logFile: string, inspectorPort: number) {
    this.#child = child;
    this.url = url;
    this.#logFile = logFile;
    this.#inspectorPort = inspectorPort;
  }

  static async start(options: WranglerOptions, readyTimeoutMs = 90_000): Promise<WranglerDev> {
    const port = await freePort();
    const inspectorPort = await freePort();
    const log = openSync(options.logFile, "w");
    const envFile = writePrivateEnvFile(options.vars);
    const args = [
      "dev",
      "--config",
      options.config,
      "--ip",
      "127.0.0.1",
      "--port",
      String(port),
      "--inspector-port",
      String(inspectorPort),
      "--persist-to",
      options.persistTo,
      "--show-interactive-dev-session=false",
      ...(options.compatibilityDate ? ["--compatibility-date", options.compatibilityDate] : []),
      // Settings in a private file, never on the command line, where `ps` shows them.
      "--env-file",
      envFile.path,
    ];
    // Its own process group, so that stop() ends wrangler and the workerd processes it started.
    const child = spawn(join(options.cwd, "node_modules/.bin/wrangler"), args, {
      cwd: options.cwd,
      detached: true,
      stdio: ["ignore", log, log],
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" },
    });
    closeSync(log);
    const dev = new WranglerDev(child, `http://127.0.0.1:${port}`, options.logFile, inspectorPort);
    const deadline = Date.now() + readyTimeoutMs;
    while (!/Ready on http/.test(dev.output())) {
      if (child.exitCode !== null) throw new Error(`wrangler dev exited (${child.exitCode}):\n${dev.output()}`);
      if (Date.now() > deadline) {
        await dev.stop();
        throw new Error(`wrangler dev was not ready within ${readyTimeoutMs} ms:\n${dev.output()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return dev;
  }

  /** Everything wrangler has printed so far. */
  output(): string {
    return readFileSync(this.#logFile, "utf8");
  }

  /**
   * The Worker isolate's used heap after a full GC, in bytes. workerd's inspector does not answer
   * HeapProfiler.collectGarbage, but V8 collects garbage before taking a heap snapshot, so a
   * snapshot (discarded) followed by Runtime.getHeapUsage reads the live heap.
   */
  async heapAfterGc(): Promise<number> {
    const targets = (await (await fetch(`http://127.0.0.1:${this.#inspectorPort}/json`)).json()) as Array<{
      webSocketDebuggerUrl: string;
    }>;
    // The inspector proxy only accepts DevTools connections from a local origin.
    const socket = new WebSocket(targets[0]!.webSocketDebuggerUrl, {
      headers: { origin: "http://127.0.0.1" },
    } as unknown as string[]);
    await new Promise<void>((resolve, reject) => {
      socket.onopen = () => resolve();
      socket.onerror = () => reject(new Error("could not connect to the Worker's inspector"));
    });
    const pending = new Map<number, (result: Record<string, unknown>) => void>();
    socket.onmessage = (event) => {
      const message = JSON.parse(String(event.data)) as { id?: number; result?: Record<string, unknown> };
      if (message.id !== undefined) pending.get(message.id)?.(message.result ?? {});
    };
    let next = 0;
    const call = (method: string, params: Record<string, unknown> = {}) =>
      new Promise<Record<string, unknown>>((resolve, reject) => {
        const id = ++next;
        const timer = setTimeout(() => reject(new Error(`inspector: no answer to ${method}`)), 30_000);
        pending.set(id, (result) => {
          clearTimeout(timer);
          resolve(result);
        });
        socket.send(JSON.stringify({ id, method, params }));
      });
    try {
      await call("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
      return Number((await call("Runtime.getHeapUsage")).usedSize);
    } finally {
      socket.close();
    }
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.pid === undefined) return;
    const exited = new Promise((resolve) => this.#child.once("exit", resolve));
    try {
      process.kill(-this.#child.pid, "SIGTERM");
    } catch {
      return;
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-this.#child.pid!, "SIGKILL");
      } catch {
        // already gone
      }
    }, 5000);
    await exited;
    clearTimeout(timer);
  }
}
