/** Helpers for driving the proxy inside workerd: fresh isolates, counted KV, captured logs. */
import { env as workerEnv } from "cloudflare:workers";
import { createWorker, type Env } from "../../../worker/index.ts";
import { TEST_PROXY_KEYS } from "./keys.ts";

/**
 * The test Worker's env without the token broker: the proxy's KV-only path, as it runs unbound.
 * token-broker.test.ts and many-isolates.test.ts bind it again with `brokerEnv`.
 */
export const baseEnv = { ...workerEnv, TOKEN_BROKER: undefined } as unknown as Required<
  Pick<Env, "K2_BASE_URL" | "K2_CLIENT_ID" | "K2_CLIENT_SECRET" | "PROXY_KEYS" | "TOKEN_CACHE">
> &
  Env;

/** The broker wrangler.toml binds (worker/token-broker/). */
export const TOKEN_BROKER = (workerEnv as unknown as Env).TOKEN_BROKER!;

export const KEY = TEST_PROXY_KEYS[0];

/** Empties the real KV namespace, so that a test starts without a shared token. */
export async function emptyTokenCache(): Promise<void> {
  for (const { name } of (await baseEnv.TOKEN_CACHE.list()).keys) await baseEnv.TOKEN_CACHE.delete(name);
}

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
  proxy: ReturnType<typeof createWorker>["fetch"];
  reconcile: ReturnType<typeof createWorker>["reconcile"];
  logs: Record<string, unknown>[];
  rawLogs: string[];
} {
  const logs: Record<string, unknown>[] = [];
  const rawLogs: string[] = [];
  const worker = createWorker({
    log: (line) => {
      rawLogs.push(JSON.stringify(line));
      logs.push(line);
    },
  });
  return {
    proxy: (request, env) => worker.fetch(request, env),
    reconcile: (env) => worker.reconcile(env),
    logs,
    rawLogs,
  };
}

/** A polling request K2 accepts, with any init on top. */
export const poll = (init: RequestInit & { key?: string | null } = {}) =>
  proxyRequest("/api/v2/polling", {
    method: "POST",
    body: JSON.stringify(pollingBody),
    ...init,
    headers: { "content-type": "application/json", ...(init.headers as Record<string, string>) },
  });

/**
 * A request whose method reads GET or HEAD while it carries a body: what workerd hands the Worker
 * for `curl -X GET -d ...`, which the Request constructor itself refuses to build.
 */
export function bodyCarrying(method: "GET" | "HEAD", path: string, body: string, headers: HeadersInit = {}): Request {
  class WithBody extends Request {
    override get method() {
      return method;
    }
  }
  const withKey = new Headers(headers);
  withKey.set("authorization", `Bearer ${KEY}`);
  return new WithBody(`https://proxy.example${path}`, { method: "POST", body, headers: withKey });
}

export function proxyRequest(path: string, init: RequestInit & { key?: string | null } = {}): Request {
  const { key = KEY, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (key !== null && !headers.has("authorization")) headers.set("authorization", `Bearer ${key}`);
  return new Request(`https://proxy.example${path}`, { ...rest, headers });
}

// K2 refuses a polling body of `{}`, and so does the sandbox: tests send one it accepts.
export { SAMPLE_POLLING as pollingBody, SAMPLE_STK_PUSH as stkPush } from "../../../sandbox/samples.ts";
import { SAMPLE_POLLING as pollingBody } from "../../../sandbox/samples.ts";
