/**
 * The Worker: every route it answers, in the order they are tried, and the features behind them, a
 * folder each (docs/architecture.md):
 *
 * | route | who may call | feature |
 * |---|---|---|
 * | `POST /k2/callbacks` | K2 (its signature) | inbox/receive.ts |
 * | `GET, HEAD /healthz` | anyone | here |
 * | `OPTIONS` preflight of the two routes below | a browser, for an origin some key lists | common/cors.ts |
 * | `GET, HEAD /dashboard`, `/dashboard/app.js`, `/dashboard/app.css` | anyone (the page holds no data) | dashboard/handler.ts |
 * | `GET /dashboard/health` | a proxy key with `payments:read` and `events:read` | dashboard/handler.ts |
 * | `POST /k2/events/<id>/replay` | a proxy key with `events:write` | inbox/events.ts |
 * | `GET, HEAD /k2/events`, `/k2/events/<id>` | a proxy key | inbox/events.ts |
 * | `GET, HEAD /payments`, `/payments/<id>` | a proxy key | ledger/reads.ts |
 * | `POST /oauth/token`, `/oauth/revoke`, `/oauth/introspect` | a key's id and key (OAuth client credentials) | edge-oauth/endpoints.ts |
 * | `GET, HEAD /oauth/token/info` | an edge token | edge-oauth/endpoints.ts |
 * | `/api/v1/...`, `/api/v2/...` | a proxy key | proxy/handler.ts (with token-broker/, idempotency/, rate-limits/) |
 *
 * "A proxy key" is the key itself or an edge token issued for it (edge-oauth/), as `Authorization:
 * Bearer`: both make the key's own caller. Anything else is 401 without a proxy key and 404 with one.
 * A key's answers carry CORS headers for the origins its policy lists. This file also writes the one
 * log line of each request and answers a broken setting. The Cron Trigger runs ledger/reconcile.ts.
 */
import type { FetchLike } from "../src/index.ts";
import { edgeTokenCaller } from "./edge-oauth/client.ts";
import { answerOAuth, isEdgeOAuthPath, type EdgeOAuthEndpointsEnv } from "./edge-oauth/endpoints.ts";
import { consumeDeliveries, type DeliveryMessage } from "./inbox/delivery.ts";
import { DASHBOARD_HEALTH_PATH, isDashboardAsset, readHealth, serveAsset } from "./dashboard/handler.ts";
import { EVENTS_PATH, isReplayPath, readEvents, replayEvent } from "./inbox/events.ts";
import { receiveCallback } from "./inbox/receive.ts";
import type { InboxEnv } from "./inbox/settings.ts";
import { readPayments, PAYMENTS_PATH } from "./ledger/reads.ts";
import { reconcile, type ReconcileReport } from "./ledger/reconcile.ts";
import { isolateCounts, type MetricsEnv } from "./metrics/client.ts";
import { createProxy } from "./proxy/handler.ts";
import { isolateK2Client } from "./token-broker/client.ts";
import { proxySettings, type ProxyEnv } from "./proxy/settings.ts";
import type { RateLimitEnv } from "./rate-limits/client.ts";
import { allows, capabilityOf, notAllowed } from "./common/authorization.ts";
import type { Capability } from "./common/key-policies.ts";
import { authenticate, type Caller } from "./common/callers.ts";
import { isPreflight, originRefusal, preflight, withCors } from "./common/cors.ts";
import { loggedPath, writeLog, type Logger, type RequestLog } from "./common/log.ts";
import {
  configurationError,
  errorCodeOf,
  internalError,
  jsonResponse,
  notFound,
  unauthorized,
} from "./common/responses.ts";
import { ConfigError } from "./common/settings.ts";

export { RevokedEdgeTokens } from "./edge-oauth/object.ts";
export { IdempotencyKeys } from "./idempotency/object.ts";
export { K2Inbox } from "./inbox/object.ts";
export { PaymentLedger } from "./ledger/object.ts";
export { RequestCounts } from "./metrics/object.ts";
export { ResourceOwners } from "./ownership/object.ts";
export { RateLimits } from "./rate-limits/object.ts";
export { TokenBroker } from "./token-broker/object.ts";

/** Every binding and variable the Worker reads: each feature's own slice, together (see wrangler.toml). */
export type Env = ProxyEnv & InboxEnv & EdgeOAuthEndpointsEnv & RateLimitEnv & MetricsEnv;

interface Route {
  matches: (pathname: string, method: string, headers: Headers) => boolean;
  /**
   * `k2`: K2's signature, checked by the handler; `anyone`; `client`: OAuth client credentials or
   * an edge token, checked by the handler; `caller`: a proxy key.
   */
  access: "k2" | "anyone" | "client" | "caller";
  /** For a caller route whose path names no capability (capabilityOf): every one it needs. */
  needs?: readonly Capability[];
  handle: (
    request: Request,
    env: Env,
    at: { url: URL; caller: Caller | undefined; log: RequestLog },
  ) => Promise<Response> | Response;
}

export interface WorkerOptions {
  /** Where log lines go. Default: one JSON line on `console.log`. */
  log?: Logger;
  /** The `fetch` used to reach K2. Default: the global one. */
  fetch?: FetchLike;
}

/** One isolate's Worker: its `fetch`, and the reconciliation pass its Cron Trigger runs. */
export interface IsolateWorker {
  /** With `ctx`, the request counts are handed on after the answer (metrics/); without, they wait. */
  fetch(request: Request, env: Env, ctx?: Pick<ExecutionContext, "waitUntil">): Promise<Response>;
  reconcile(env: Env): Promise<ReconcileReport>;
}

/**
 * The Worker with its own isolate state (token in memory, checked settings). The Worker makes one
 * per isolate; tests make several to play several isolates.
 */
export function createWorker(options: WorkerOptions = {}): IsolateWorker {
  const log = options.log ?? writeLog;
  const reported = new Set<string>();
  const reportOnce = (key: string, line: Record<string, unknown>) => {
    if (reported.has(key)) return;
    reported.add(key);
    log({ level: "error", ...line });
  };
  const counts = isolateCounts();
  const k2Client = isolateK2Client({ reportOnce, fetch: options.fetch, onFallback: () => counts.fallback() });
  const proxy = createProxy(k2Client);
  const isEvents = (pathname: string) => pathname === EVENTS_PATH || pathname.startsWith(`${EVENTS_PATH}/`);
  const isPayments = (pathname: string) => pathname === PAYMENTS_PATH || pathname.startsWith(`${PAYMENTS_PATH}/`);

  const routes: Route[] = [
    {
      matches: (pathname) => pathname === "/k2/callbacks",
      access: "k2",
      handle: (request, env, { log }) => receiveCallback(request, env, log),
    },
    {
      matches: (pathname, method) => pathname === "/healthz" && (method === "GET" || method === "HEAD"),
      access: "anyone",
      handle: () => jsonResponse(200, { status: "ok" }),
    },
    {
      matches: (pathname) => isEdgeOAuthPath(pathname),
      access: "client",
      handle: (request, env, { log }) => answerOAuth(request, env, log),
    },
    {
      matches: (pathname, method) => isDashboardAsset(pathname) && (method === "GET" || method === "HEAD"),
      access: "anyone",
      handle: (request, _env, { url }) => serveAsset(request, url),
    },
    {
      // A preflight carries no key: answered for any key's origins; each request is then held to its own key's.
      matches: (pathname, method, headers) =>
        isPreflight(method, headers) && (isEvents(pathname) || isPayments(pathname) || pathname.startsWith("/api/")),
      access: "anyone",
      handle: (request, env, { url }) =>
        preflight(
          request,
          env,
          url.pathname.startsWith("/api/") ? ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"] : ["GET", "HEAD"],
        ),
    },
    {
      // The dashboard's first call: it shows nothing until a key that may read both answers here.
      matches: (pathname) => pathname === DASHBOARD_HEALTH_PATH,
      access: "caller",
      needs: ["payments:read", "events:read"],
      handle: (request, env) => readHealth(request, env),
    },
    {
      matches: (pathname) => isReplayPath(pathname),
      access: "caller",
      handle: (request, env, { url, caller }) => replayEvent(request, url, env, caller!),
    },
    {
      matches: (pathname) => isEvents(pathname),
      access: "caller",
      handle: (request, env, { url, caller }) => readEvents(request, url, env, caller!),
    },
    {
      matches: (pathname) => isPayments(pathname),
      access: "caller",
      handle: (request, env, { url, caller }) => readPayments(request, url, env, caller!),
    },
    {
      matches: (pathname) => pathname.startsWith("/api/"),
      access: "caller",
      handle: (request, env, { url, caller, log }) => proxy(request, env, { url, caller: caller!, log }),
    },
  ];

  async function route(request: Request, env: Env, url: URL, entry: RequestLog): Promise<Response> {
    const found = routes.find((candidate) => candidate.matches(url.pathname, request.method, request.headers));
    if (found?.access === "k2") return found.handle(request, env, { url, caller: undefined, log: entry });
    // Every other route needs the whole proxy configuration: a misconfigured Worker is not healthy.
    proxySettings(env);
    if (found?.access === "anyone" || found?.access === "client")
      return found.handle(request, env, { url, caller: undefined, log: entry });
    // A configured key first (one digest); only a bearer that is none may be an edge token.
    const caller = (await authenticate(request, env)) ?? (await edgeTokenCaller(request, env));
    if (!caller) return unauthorized();
    if (caller.id !== undefined) entry.caller = caller.id;
    return withCors(request, caller, await routeCaller(request, env, { url, caller, log: entry }, found));
  }

  async function routeCaller(
    request: Request,
    env: Env,
    at: { url: URL; caller: Caller; log: RequestLog },
    found: Route | undefined,
  ): Promise<Response> {
    if (!found) return notFound();
    const { url, caller } = at;
    const fromOrigin = originRefusal(request, caller);
    if (fromOrigin) return fromOrigin;
    // The proxy checks its own (its path is read raw); the edge's routes are checked here.
    if (!url.pathname.startsWith("/api/"))
      for (const capability of found.needs ?? [capabilityOf(request.method, url.pathname)])
        if (!allows(caller, capability)) return notAllowed(caller, capability);
    return found.handle(request, env, at);
  }

  async function fetch(request: Request, env: Env, ctx?: Pick<ExecutionContext, "waitUntil">): Promise<Response> {
    const startedAt = Date.now();
    const url = new URL(request.url);
    const entry: RequestLog = {
      requestId: requestIdFor(request),
      method: request.method,
      path: loggedPath(url),
      status: 0,
      durationMs: 0,
    };
    let response: Response;
    try {
      response = await route(request, env, url, entry);
    } catch (error) {
      if (error instanceof ConfigError) {
        reportOnce(`config-${error.message}`, {
          event: "configuration_error",
          setting: error.setting,
          message: error.message,
        });
        response = configurationError(error.setting, error.message);
      } else {
        log({
          level: "error",
          event: "internal_error",
          requestId: entry.requestId,
          message: error instanceof Error ? error.name : "unknown",
        });
        response = internalError();
      }
    }
    response.headers.set("x-request-id", entry.requestId);
    entry.status = response.status;
    const error = errorCodeOf(response);
    if (error !== undefined) entry.error = error;
    entry.durationMs = Date.now() - startedAt;
    log({ ...entry });
    counts.count(response.status);
    const flushing = counts.flush(env);
    if (flushing) ctx?.waitUntil(flushing);
    return response;
  }

  async function reconcileOnce(env: Env): Promise<ReconcileReport> {
    const report = await reconcile(env, k2Client(env));
    log({ event: "reconcile", ...report });
    return report;
  }

  return { fetch, reconcile: reconcileOnce };
}

/** The caller's request id when it is a plain token, else a new one. */
function requestIdFor(request: Request): string {
  const given = request.headers.get("x-request-id");
  return given && /^[A-Za-z0-9._-]{1,64}$/.test(given) ? given : crypto.randomUUID();
}

// Module scope lives as long as the isolate: the token stays warm in memory between requests.
const worker = createWorker();

export default {
  fetch: (request, env, ctx) => worker.fetch(request, env, ctx),
  // Delivering K2's events to FORWARD_URL, and marking dead those the queue gave up on (inbox/delivery.ts).
  queue: (batch, env) => consumeDeliveries(batch, env),
  // The Cron Trigger (wrangler.toml): settles by status read the payments whose callback never came.
  scheduled: (_controller, env, ctx) => ctx.waitUntil(worker.reconcile(env)),
} satisfies ExportedHandler<Env, DeliveryMessage>;
