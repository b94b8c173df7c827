/**
 * The soak's Worker: the reference proxy (worker/index.ts) unchanged, behind a switch that makes
 * its KV namespace fail. `env.TOKEN_CACHE` is replaced by a wrapper whose get, put and delete
 * throw while the switch is on; the soak driver flips it with `POST /__soak/kv {"down": true}` and
 * reads the counts with `GET /__soak/kv`. Those two routes are answered here and never reach the
 * proxy. Soak only: never deployed.
 *
 * The token broker and the idempotency keys' Durable Objects are the Worker's own classes, exported
 * so that workerd binds them as wrangler.toml does: without IDEMPOTENCY an `Idempotency-Key` would
 * promise nothing, and the soak could not check at-most-once. They see the unswitched env (their
 * KV is not behind the switch).
 */
import worker, { type Env } from "../../worker/index.ts";

export { IdempotencyKeys, TokenBroker } from "../../worker/index.ts";

type Operation = "get" | "put" | "delete";

const kvState = {
  down: false,
  calls: { get: 0, put: 0, delete: 0 } as Record<Operation, number>,
  thrown: { get: 0, put: 0, delete: 0 } as Record<Operation, number>,
};

function switchedKv(kv: KVNamespace): KVNamespace {
  const guard = (operation: Operation) => {
    kvState.calls[operation]++;
    if (kvState.down) {
      kvState.thrown[operation]++;
      throw new Error("soak: KV is down");
    }
  };
  const wrapper = {
    async get(...args: unknown[]) {
      guard("get");
      return (kv.get as (...a: unknown[]) => Promise<unknown>)(...args);
    },
    async put(...args: unknown[]) {
      guard("put");
      return (kv.put as (...a: unknown[]) => Promise<void>)(...args);
    },
    async delete(key: string) {
      guard("delete");
      return kv.delete(key);
    },
  };
  return wrapper as unknown as KVNamespace;
}

// The proxy keeps its configuration and warm token while it is handed the same env object, so the
// wrapped env is built once per underlying env, not per request.
let wrapped: { from: Env; env: Env } | undefined;

function soakEnv(env: Env): Env {
  if (wrapped?.from !== env) {
    wrapped = { from: env, env: { ...env, TOKEN_CACHE: env.TOKEN_CACHE && switchedKv(env.TOKEN_CACHE) } };
  }
  return wrapped.env;
}

const json = (value: unknown) =>
  new Response(JSON.stringify(value), { headers: { "content-type": "application/json; charset=utf-8" } });

export default {
  async fetch(request, env, ctx) {
    const { pathname } = new URL(request.url);
    if (pathname === "/__soak/kv") {
      if (request.method === "POST") {
        const { down } = (await request.json()) as { down?: unknown };
        kvState.down = down === true;
      }
      return json(kvState);
    }
    return worker.fetch(request, soakEnv(env), ctx);
  },
} satisfies ExportedHandler<Env>;
