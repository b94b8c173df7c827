/**
 * The proxy pipeline, in the order a request meets it: read the configuration, take K2's own
 * callbacks (inbox/), authenticate the caller, serve the inbox's events, check the route, read the
 * body, get the token and forward, check K2's answer, answer.
 */
import { K2Client, k2CacheKey, KvTokenCache, NetworkError, TimeoutError, type FetchLike } from "../src/index.ts";
import {
  configurationError,
  internalError,
  jsonAnswer,
  methodNotAllowed,
  notFound,
  unauthorized,
  upstreamOutcomeUnknown,
  upstreamTimeout,
  upstreamTokenError,
  upstreamTruncated,
  upstreamUnreachable,
} from "./answers.ts";
import { isAuthorizedCaller, keyDigest } from "./caller-auth.ts";
import { ConfigError, readConfig, type Env, type ProxyConfig } from "./config.ts";
import { requestHeadersForUpstream, responseHeadersForCaller } from "./forwarded-headers.ts";
import { claimIdempotencyKey, KEYED_METHODS } from "./idempotency.ts";
import { isEventsPath, readEvents } from "./inbox/events.ts";
import { CALLBACK_PATH, receiveCallback } from "./inbox/receive.ts";
import { locationForCaller, proxyOriginFor } from "./location.ts";
import { consoleLogger, loggedPath, tokenSourceName, type Logger, type RequestLog } from "./log.ts";
import { bodyRefusal, readRequestBody } from "./request-body.ts";
import { brokeredTokens, readOnlyCache } from "./token-broker.ts";
import { answerBody, UpstreamTruncatedError } from "./upstream-answer.ts";
import { apiVersion, upstreamPath } from "./upstream-path.ts";

const FORWARDED_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"] as const;

/**
 * How many upstream deadlines a keyed request may take (a token request, the call, a replay after
 * a 401) before an unreported claim counts as in doubt. A late report still settles the doubt.
 */
const HOLD_ATTEMPTS = 3;

export interface ProxyOptions {
  /** Where log lines go. Default: one JSON line per request on `console.log`. */
  log?: Logger;
  /** The `fetch` used to reach K2. Default: the global one. */
  fetch?: FetchLike;
}

/** What an isolate keeps between requests: the checked configuration and its K2 client. */
interface Prepared {
  /** The environment this was read from: the runtime hands an isolate's requests the same object. */
  env: Env;
  config: ProxyConfig;
  fingerprint: string;
  /** Digests of the configured caller keys, hashed once per isolate. */
  keyDigests: Promise<ArrayBuffer[]>;
  k2: K2Client;
}

/**
 * A proxy handler with its own isolate state (token in memory, checked configuration). The Worker
 * makes one per isolate; tests make several to play several isolates.
 */
export function createProxy(options: ProxyOptions = {}): (request: Request, env: Env) => Promise<Response> {
  const log = options.log ?? consoleLogger;
  const reported = new Set<string>();
  let prepared: Prepared | undefined;

  /** Logs a configuration or cache problem once per isolate, not on every request. */
  function reportOnce(key: string, line: Record<string, unknown>): void {
    if (reported.has(key)) return;
    reported.add(key);
    log({ level: "error", ...line });
  }

  /**
   * The checked configuration and its K2 client, built once per isolate and rebuilt only when the
   * settings change. Concurrent first requests share one build, and so one K2 client and one token.
   */
  function prepare(env: Env): Prepared {
    if (prepared?.env === env) return prepared;
    const config = readConfig(env);
    const fingerprint = [
      config.clientId,
      config.clientSecret,
      config.k2Origin,
      config.upstreamTimeoutMs,
      config.brokerTimeoutMs,
      ...config.proxyKeys,
    ].join("\n");
    const sameBindings =
      prepared?.config.tokenCache === config.tokenCache && prepared.config.tokenBroker === config.tokenBroker;
    if (prepared && prepared.fingerprint === fingerprint && sameBindings) {
      // Same credentials and keys: keep the client and its warm token, take the other settings.
      prepared = { ...prepared, env, config };
      return prepared;
    }
    const kv = new KvTokenCache(config.tokenCache);
    const broker = config.tokenBroker;
    const k2 = new K2Client({
      clientId: config.clientId,
      clientSecret: config.clientSecret,
      baseUrl: config.k2Origin,
      // With a broker bound, it is KV's one writer: the isolate reads KV and asks the broker for new tokens.
      cache: broker ? readOnlyCache(kv) : kv,
      tokenSource:
        broker &&
        brokeredTokens({
          namespace: broker,
          key: k2CacheKey(config.k2Origin, config.clientId),
          timeoutMs: config.brokerTimeoutMs,
          onFallback: (reason) => reportOnce("broker", { event: "broker_fallback", reason }),
        }),
      timeoutMs: config.upstreamTimeoutMs,
      fetch: options.fetch,
      onCacheError: (error, operation) =>
        reportOnce(`kv-${operation}`, {
          event: "kv_error",
          operation,
          message: error instanceof Error ? error.message : String(error),
        }),
    });
    prepared = { env, config, fingerprint, k2, keyDigests: Promise.all(config.proxyKeys.map(keyDigest)) };
    return prepared;
  }

  async function handle(request: Request, url: URL, env: Env, entry: RequestLog): Promise<Response> {
    let state: Prepared;
    try {
      state = prepare(env);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      reportOnce(`config-${error.message}`, {
        event: "configuration_error",
        setting: error.setting,
        message: error.message,
      });
      entry.error = "configuration_error";
      return configurationError(error.setting, error.message);
    }

    if (url.pathname === "/healthz" && (request.method === "GET" || request.method === "HEAD")) {
      return jsonAnswer(200, { status: "ok" });
    }

    // K2 cannot send a proxy key: its results and webhooks are authenticated by their signature.
    if (url.pathname === CALLBACK_PATH) return receiveCallback(request, env, state.config, entry);

    if (!(await isAuthorizedCaller(request.headers.get("authorization"), await state.keyDigests))) {
      entry.error = "unauthorized";
      return unauthorized();
    }

    if (isEventsPath(url.pathname)) return readEvents(request, url, env, state.config, entry);

    const path = upstreamPath(request.url);
    if (!path) {
      entry.error = "not_found";
      return notFound();
    }
    if (!(FORWARDED_METHODS as readonly string[]).includes(request.method)) {
      entry.error = "method_not_allowed";
      return methodNotAllowed(FORWARDED_METHODS);
    }

    let body: ArrayBuffer | undefined;
    try {
      body = await readRequestBody(request, {
        maxBytes: state.config.maxBodyBytes,
        timeoutMs: state.config.bodyTimeoutMs,
      });
    } catch (error) {
      return bodyRefusal(error, entry);
    }

    // With a key, the idempotency store decides first whether this request may go to K2 at all.
    const target = `${path}${url.search}`;
    const holdMs = HOLD_ATTEMPTS * state.config.upstreamTimeoutMs;
    const claim = await claimIdempotencyKey({ request, env, target, body, holdMs, entry });
    if (claim instanceof Response) return claim;

    const { response, outcome } = await forward(state, request, url, path, body, entry);
    return claim ? claim.settle(response, outcome) : response;
  }

  return async (request, env) => {
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
      response = await handle(request, url, env, entry);
    } catch (error) {
      entry.error = "internal_error";
      log({
        level: "error",
        event: "internal_error",
        requestId: entry.requestId,
        message: error instanceof Error ? error.name : "unknown",
      });
      response = internalError();
    }
    response.headers.set("x-request-id", entry.requestId);
    entry.status = response.status;
    entry.durationMs = Date.now() - startedAt;
    log({ ...entry });
    return response;
  };
}

/** K2's answer for the caller, and what K2 did with the request as far as the proxy can tell. */
interface Forwarded {
  response: Response;
  outcome: "answered" | "unknown" | "not_sent";
}

/** Sends the request with K2's token, checks K2's answer and rewrites its Location for the caller. */
async function forward(
  state: Prepared,
  request: Request,
  url: URL,
  path: string,
  body: ArrayBuffer | undefined,
  entry: RequestLog,
): Promise<Forwarded> {
  const headers = requestHeadersForUpstream(request.headers);
  headers.set("x-request-id", entry.requestId);
  const started = Date.now();
  let upstream: Awaited<ReturnType<K2Client["request"]>>;
  try {
    upstream = await state.k2.request(`${path}${url.search}`, { method: request.method, headers, body });
  } catch (error) {
    entry.upstreamMs = Date.now() - started;
    return upstreamFailure(error, entry, request.method);
  }
  entry.upstreamMs = Date.now() - started;
  entry.tokenSource = tokenSourceName(upstream.tokenOrigin);
  entry.replayed = upstream.replayed;

  let answer: BodyInit | null;
  try {
    answer = await answerBody(upstream.response, request.method);
  } catch (error) {
    if (!(error instanceof UpstreamTruncatedError)) throw error;
    entry.error = "upstream_truncated";
    // K2 answered, so it had the request; what it said is lost.
    return { response: upstreamTruncated(), outcome: "unknown" };
  } finally {
    entry.upstreamMs = Date.now() - started; // a checked answer was read whole: that was waiting on K2 too
  }

  const answerHeaders = responseHeadersForCaller(upstream.response.headers);
  const location = answerHeaders.get("location");
  if (location) {
    const { k2Origin, publicOrigin } = state.config;
    const origin = proxyOriginFor(url, publicOrigin, k2Origin);
    answerHeaders.set("location", locationForCaller(location, k2Origin, origin, apiVersion(path)));
  }
  const response = new Response(answer, {
    status: upstream.response.status,
    statusText: upstream.response.statusText,
    headers: answerHeaders,
  });
  return { response, outcome: "answered" };
}

/**
 * 502 when K2 cannot be reached or refuses the proxy's credentials, 504 when it is too slow. A POST
 * or PATCH that may have reached K2 is told so (`upstream_outcome_unknown`): resending it blindly
 * could be a second payment. It may have only if the API call itself was under way (a failed token
 * request sent nothing) and the runtime did not say that no connection was made.
 */
function upstreamFailure(error: unknown, entry: RequestLog, method: string): Forwarded {
  const transportError = error instanceof NetworkError || error instanceof TimeoutError;
  if (transportError && KEYED_METHODS.has(method) && error.requestSent !== false && isApiCall(error.url)) {
    entry.error = "upstream_outcome_unknown";
    return { response: upstreamOutcomeUnknown(error instanceof TimeoutError ? 504 : 502), outcome: "unknown" };
  }
  if (error instanceof TimeoutError) {
    entry.error = "upstream_timeout";
    return { response: upstreamTimeout(error.timeoutMs), outcome: "not_sent" };
  }
  if (error instanceof NetworkError) {
    entry.error = "upstream_unreachable";
    return { response: upstreamUnreachable(), outcome: "not_sent" };
  }
  entry.error = "upstream_token_error";
  return { response: upstreamTokenError(error instanceof Error ? error.name : "Error"), outcome: "not_sent" };
}

/** Whether a failed request was an API call rather than the token request before it. */
function isApiCall(url: unknown): boolean {
  return typeof url === "string" && /^https?:\/\/[^/]+\/api\//.test(url);
}

/** The caller's request id when it is a plain token, else a new one. */
function requestIdFor(request: Request): string {
  const given = request.headers.get("x-request-id");
  return given && /^[A-Za-z0-9._-]{1,64}$/.test(given) ? given : crypto.randomUUID();
}
