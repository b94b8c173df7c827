/**
 * A diagnostic variant of the proxy Worker for the proxy benchmark: the same request path
 * (worker/proxy.ts) with its per-request log line switched off through createProxy's `log` option.
 * Set against the real Worker, it shows what the log line costs under `wrangler dev`. Never deployed.
 */
import type { Env } from "../worker/config.js";
import { createProxy } from "../worker/proxy.js";

const proxy = createProxy({ log: () => {} });

export default {
  fetch: (request, env) => proxy(request, env),
} satisfies ExportedHandler<Env>;
