/**
 * The reference Worker: a K2 API proxy that holds the K2 secret, caches the token in memory and KV,
 * and forwards authenticated callers' /api/v1 and /api/v2 requests; and an inbox for K2's callbacks
 * and webhooks (inbox/). See proxy.ts for the request path and wrangler.toml for its settings.
 */
import type { Env } from "./config.ts";
import { consumeInbox, type InboxMessage } from "./inbox/forward.ts";
import { createProxy } from "./proxy.ts";

// Module scope lives as long as the isolate: the token stays warm in memory between requests.
const proxy = createProxy();

export type { Env } from "./config.ts";
export { IdempotencyKeys } from "./idempotency.ts";
export { K2Inbox } from "./inbox/inbox.ts";
export { TokenBroker } from "./token-broker.ts";

export default {
  fetch: (request, env) => proxy(request, env),
  // Forwarding K2's events to FORWARD_URL, and marking dead those the queue gave up on (inbox/forward.ts).
  queue: (batch, env) => consumeInbox(batch, env),
} satisfies ExportedHandler<Env, InboxMessage>;
