/** Helpers for driving the proxy inside workerd: fresh isolates, counted KV, captured logs. */
import { env as workerEnv } from "cloudflare:workers";
import type { Env } from "../../worker/config.js";
import { createProxy } from "../../worker/proxy.js";
import { TEST_PROXY_KEYS } from "./keys.js";

/**
 * The test Worker's env without the token broker: the proxy's KV-only path, as it runs unbound.
 * token-broker.test.ts and many-isolates.test.ts bind it again with `brokerEnv`.
 */
export const baseEnv = { ...workerEnv, TOKEN_BROKER: undefined } as unknown as Required<
  Pick<Env, "K2_BASE_URL" | "K2_CLIENT_ID" | "K2_CLIENT_SECRET" | "PROXY_KEYS" | "TOKEN_CACHE">
> &
  Env;

/** The broker wrangler.toml binds (worker/token-broker.ts). */
export const TOKEN_BROKER = (workerEnv as unknown as Env).TOKEN_BROKER!;

export const KEY = TEST_PROXY_KEYS[0];

export interface KvCalls {
  get: string[];
  put: { key: string; value: string; options?: KVNamespacePutOptions }[];
  delete: string[];
}

/** The real KV binding, with every call counted. */
export function countedKv(kv: KVNamespace = baseEnv.TOKEN_CACHE): { kv: KVNamespace; calls: KvCalls } {
  const calls: KvCalls = { get: [], put: [], delete: [] };
  const counted = {
    get: (key: string, type?: any) => {
      calls.get.push(key);
      return kv.get(key, type);
    },
    put: (key: string, value: string, options?: KVNamespacePutOptions) => {
      calls.put.push({ key, value, options });
      return kv.put(key, value, options);
    },
    delete: (key: string) => {
      calls.delete.push(key);
      return kv.delete(key);
    },
    list: (options?: KVNamespaceListOptions) => kv.list(options),
  } as unknown as KVNamespace;
  return { kv: counted, calls };
}

/** A new isolate: its own memory, logs captured as parsed lines. */
export function isolate(): {
  proxy: ReturnType<typeof createProxy>;
  logs: Record<string, unknown>[];
  rawLogs: string[];
} {
  const logs: Record<string, unknown>[] = [];
  const rawLogs: string[] = [];
  const proxy = createProxy({
    log: (line) => {
      rawLogs.push(JSON.stringify(line));
      logs.push(line);
    },
  });
  return { proxy, logs, rawLogs };
}

export function proxyRequest(path: string, init: RequestInit & { key?: string | null } = {}): Request {
  const { key = KEY, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (key !== null && !headers.has("authorization")) headers.set("authorization", `Bearer ${key}`);
  return new Request(`https://proxy.example${path}`, { ...rest, headers });
}

// K2 refuses a polling body of `{}`, and so does the sandbox: tests send one it accepts.
export { SAMPLE_POLLING as pollingBody, SAMPLE_STK_PUSH as stkPush } from "../../sandbox/samples.js";
