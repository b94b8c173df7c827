/**
 * Workers in `workerd serve` itself, the one way tests and benchmarks run the real Worker: no
 * wrangler, no Miniflare and no inspector between the load and the Worker. A generated Cap'n Proto
 * text config, one socket per Worker on 127.0.0.1 (ports reported back on a control pipe),
 * outbound fetch allowed to loopback only, secrets read by workerd from its environment
 * (`fromEnvironment` bindings: never in the config file or on a command line), and a small
 * in-memory KV service for `kvNamespace` bindings.
 *
 * The process's CPU time and resident memory are readable at any time, so that a benchmark can
 * charge a load run's CPU to the Worker it loaded; the Workers' console output goes to a file,
 * so that reading hundreds of thousands of log lines costs the load side nothing while it runs.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
export const WORKERD = join(ROOT, "node_modules/workerd/bin/workerd");

export interface WorkerdWorker {
  /** Service and socket name: letters, digits and dashes. */
  name: string;
  /** The bundled ES module. */
  script: string;
  /** Plain-text bindings (variables). */
  vars?: Record<string, string>;
  /** Bindings whose value workerd reads from its own environment: name -> value (for secrets). */
  secrets?: Record<string, string>;
  /** Names of KV namespace bindings, each backed by its own in-memory store. */
  kv?: string[];
  /**
   * Durable Object bindings to classes the script exports, SQLite-backed as `new_sqlite_classes`
   * deploys them (alarms fire as deployed), stored in the process's own directory for its life.
   */
  durableObjects?: Array<{ binding: string; className: string }>;
}

export interface WorkerdOptions {
  workers: WorkerdWorker[];
  compatibilityDate: string;
}

/** What wrangler.toml deploys: the compatibility date, the KV binding's name and `[vars]`. */
export function deployedSettings(): { compatibilityDate: string; kvBinding: string; vars: Record<string, string> } {
  const toml = readFileSync(join(ROOT, "wrangler.toml"), "utf8");
  const compatibilityDate = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)?.[1];
  const kvBinding = /\[\[kv_namespaces\]\][^[]*?binding\s*=\s*"([^"]+)"/.exec(toml)?.[1];
  if (!compatibilityDate || !kvBinding) throw new Error("wrangler.toml has no compatibility_date or KV binding");
  const vars: Record<string, string> = {};
  const section = /^\[vars\]\s*$([\s\S]*?)(?=^\[)/m.exec(toml)?.[1] ?? "";
  for (const match of section.matchAll(/^([A-Z0-9_]+)\s*=\s*"([^"]*)"/gm)) vars[match[1]!] = match[2]!;
  return { compatibilityDate, kvBinding, vars };
}

/**
 * A KV namespace for workerd's `kvNamespace` binding: the binding speaks HTTP to this service
 * (`GET|PUT|DELETE /<key>`, key URL-encoded when `urlencoded=true`, TTL in `expiration_ttl`).
 * In memory, enough for a token cache; it does not implement listing or metadata.
 */
const KV_WORKER = `
const store = new Map();
export default {
  async fetch(request) {
    const url = new URL(request.url);
    let key = url.pathname.slice(1);
    if (url.searchParams.get("urlencoded") === "true") key = decodeURIComponent(key);
    const now = Date.now();
    if (request.method === "GET") {
      const entry = store.get(key);
      if (!entry || entry.expiresAt <= now) return new Response(null, { status: 404 });
      return new Response(entry.value);
    }
    if (request.method === "PUT") {
      const ttl = Number(url.searchParams.get("expiration_ttl"));
      const at = Number(url.searchParams.get("expiration"));
      const expiresAt = ttl > 0 ? now + ttl * 1000 : at > 0 ? at * 1000 : Infinity;
      store.set(key, { value: await request.arrayBuffer(), expiresAt });
      return new Response(null);
    }
    if (request.method === "DELETE") {
      store.delete(key);
      return new Response(null);
    }
    return new Response(null, { status: 405 });
  },
};
`;

/** Bundles a Worker entry as workerd runs it. */
export async function bundleWorker(entry: string): Promise<string> {
  const out = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    conditions: ["workerd", "worker", "browser"],
    // The runtime's own modules (the Durable Object base class): workerd provides them.
    external: ["cloudflare:*"],
    target: "es2022",
    logLevel: "silent",
  });
  return out.outputFiles[0]!.text;
}

const text = (value: string) => JSON.stringify(value);

function config(options: WorkerdOptions, envNames: Map<string, string>, dir: string): string {
  const services: string[] = [];
  const sockets: string[] = [];
  const consts: string[] = [];
  for (const worker of options.workers) {
    const bindings: string[] = [];
    for (const [name, value] of Object.entries(worker.vars ?? {}))
      bindings.push(`(name = ${text(name)}, text = ${text(value)})`);
    for (const name of Object.keys(worker.secrets ?? {}))
      bindings.push(`(name = ${text(name)}, fromEnvironment = ${text(envNames.get(`${worker.name}:${name}`)!)})`);
    for (const name of worker.kv ?? []) {
      const service = `${worker.name}-kv-${name}`;
      services.push(`(name = ${text(service)}, worker = .kv${consts.length})`);
      consts.push(
        `const kv${consts.length} :Workerd.Worker = (modules = [(name = "kv.js", esModule = embed "kv.js")], compatibilityDate = ${text(options.compatibilityDate)});`,
      );
      bindings.push(`(name = ${text(name)}, kvNamespace = ${text(service)})`);
    }
    const objects = worker.durableObjects ?? [];
    for (const { binding, className } of objects)
      bindings.push(`(name = ${text(binding)}, durableObjectNamespace = ${text(className)})`);
    const classes = [...new Set(objects.map((object) => object.className))];
    // On disk, not `inMemory`: workerd's in-memory storage has no SQLite, so `ctx.storage.sql`
    // would throw "not backed by SQL" where a deployed object has it.
    const disk = `${worker.name}-objects`;
    if (classes.length > 0) {
      mkdirSync(join(dir, disk));
      services.push(`(name = ${text(disk)}, disk = (path = ${text(join(dir, disk))}, writable = true))`);
    }
    const durable =
      classes.length === 0
        ? ""
        : `, durableObjectNamespaces = [${classes
            .map(
              (name) => `(className = ${text(name)}, uniqueKey = ${text(`${worker.name}-${name}`)}, enableSql = true)`,
            )
            .join(", ")}], durableObjectStorage = (localDisk = ${text(disk)})`;
    const file = `${worker.name}.js`;
    services.push(`(name = ${text(worker.name)}, worker = .w${consts.length})`);
    consts.push(
      `const w${consts.length} :Workerd.Worker = (modules = [(name = ${text(file)}, esModule = embed ${text(file)})], ` +
        `compatibilityDate = ${text(options.compatibilityDate)}, bindings = [${bindings.join(", ")}]${durable}, globalOutbound = "loopback");`,
    );
    sockets.push(`(name = ${text(worker.name)}, address = "127.0.0.1:0", http = (), service = ${text(worker.name)})`);
  }
  // Outbound fetch reaches loopback only: every upstream of these benchmarks is on 127.0.0.1.
  services.push(`(name = "loopback", network = (allow = ["127.0.0.0/8"]))`);
  return [
    `using Workerd = import "/workerd/workerd.capnp";`,
    `const config :Workerd.Config = (services = [${services.join(", ")}], sockets = [${sockets.join(", ")}]);`,
    ...consts,
    "",
  ].join("\n");
}

/** /proc/<pid>/stat: user + system CPU time of the whole process (all threads), in milliseconds. */
function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // Fields 14 and 15 of stat(5), counted from 1 with pid and comm as 1 and 2: utime, stime, in ticks.
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / CLOCK_TICKS;
}

// USER_HZ: 100 on every Linux the benchmarks have met; `getconf CLK_TCK` to check.
const CLOCK_TICKS = 100;

/**
 * One workerd process serving the given Workers, from a directory of its own that stop() removes.
 *
 * @example
 * ```ts
 * const workerd = await Workerd.start({ workers: [{ name: "proxy", script }], compatibilityDate });
 * const before = workerd.cpuMs();
 * // ... load workerd.urls.proxy ...
 * const used = workerd.cpuMs() - before;
 * await workerd.stop();
 * ```
 */
export class Workerd {
  readonly urls: Record<string, string>;
  readonly pid: number;
  readonly #child: ChildProcess;
  readonly #dir: string;

  private constructor(child: ChildProcess, urls: Record<string, string>, dir: string) {
    this.#child = child;
    this.pid = child.pid!;
    this.urls = urls;
    this.#dir = dir;
  }

  static async start(options: WorkerdOptions, readyTimeoutMs = 30_000): Promise<Workerd> {
    const dir = mkdtempSync(join(tmpdir(), "k2-edge-workerd-"));
    const env: Record<string, string> = {};
    const envNames = new Map<string, string>();
    for (const worker of options.workers) {
      writeFileSync(join(dir, `${worker.name}.js`), worker.script);
      for (const [name, value] of Object.entries(worker.secrets ?? {})) {
        const variable = `WORKERD_SECRET_${envNames.size}`;
        envNames.set(`${worker.name}:${name}`, variable);
        env[variable] = value;
      }
    }
    writeFileSync(join(dir, "kv.js"), KV_WORKER);
    const configFile = join(dir, "workerd.capnp");
    writeFileSync(configFile, config(options, envNames, dir));
    const logFile = join(dir, "workerd.log");
    const log = openSync(logFile, "w");
    // Its own process group, so that stop() ends it whatever it has started; secrets in its environment only.
    const child = spawn(WORKERD, ["serve", "--control-fd=3", configFile], {
      detached: true,
      stdio: ["ignore", log, log, "pipe"],
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", TZ: "UTC", ...env },
    });
    closeSync(log);
    const workerd = new Workerd(child, {}, dir);
    const wanted = new Set(options.workers.map((worker) => worker.name));
    const control = child.stdio[3] as NodeJS.ReadableStream;
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`workerd was not ready within ${readyTimeoutMs} ms`)),
          readyTimeoutMs,
        );
        let buffered = "";
        control.on("data", (chunk: Buffer) => {
          buffered += chunk.toString("utf8");
          let newline: number;
          while ((newline = buffered.indexOf("\n")) !== -1) {
            const line = buffered.slice(0, newline);
            buffered = buffered.slice(newline + 1);
            const message = JSON.parse(line) as { event?: string; socket?: string; port?: number };
            if (message.event === "listen" && message.socket && message.port) {
              workerd.urls[message.socket] = `http://127.0.0.1:${message.port}`;
              wanted.delete(message.socket);
              if (wanted.size === 0) {
                clearTimeout(timer);
                resolve();
              }
            }
          }
        });
        child.once("exit", (code) => {
          clearTimeout(timer);
          reject(new Error(`workerd exited (${code}):\n${workerd.output().slice(-2000)}`));
        });
      });
    } catch (error) {
      await workerd.stop();
      throw error;
    }
    return workerd;
  }

  /** CPU time used so far by the workerd process, milliseconds. */
  cpuMs(): number {
    return processCpuMs(this.pid);
  }

  /** Resident set size, bytes (VmRSS); NaN once the process is gone. */
  rssBytes(): number {
    try {
      const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${this.pid}/status`, "utf8"));
      return match ? Number(match[1]) * 1024 : Number.NaN;
    } catch {
      return Number.NaN;
    }
  }

  /** Everything the Workers have printed so far. */
  output(): string {
    try {
      return readFileSync(join(this.#dir, "workerd.log"), "utf8");
    } catch {
      return "";
    }
  }

  /** At once, whatever it is doing (a hard timeout's last resort); stop() still cleans up after. */
  kill(): void {
    try {
      process.kill(-this.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }

  async stop(): Promise<void> {
    const child = this.#child;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      try {
        process.kill(-this.pid, "SIGTERM");
        const timer = setTimeout(() => this.kill(), 3000);
        await exited;
        clearTimeout(timer);
      } catch {
        // already gone
      }
    }
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
