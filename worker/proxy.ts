/**
 * The proxy pipeline, in the order a request meets it: read the configuration, authenticate the
 * caller, check the route, read the body, get the token and forward, check K2's answer, answer.
 */
import { K2Client, KvTokenCache, NetworkError, TimeoutError, type FetchLike } from "../src/index.ts";
import {
  bodyNotAllowed,
  configurationError,
  internalError,
  jsonAnswer,
  methodNotAllowed,
  notFound,
  payloadTooLarge,
  requestBodyTimeout,
  unauthorized,
  upstreamTimeout,
  upstreamTokenError,
  upstreamTruncated,
  upstreamUnreachable,
} from "./answers.ts";
import { isAuthorizedCaller, keyDigest } from "./caller-auth.ts";
import { ConfigError, readConfig, type Env, type ProxyConfig } from "./config.ts";
import { requestHeadersForUpstream, responseHeadersForCaller } from "./forwarded-headers.ts";
import { locationForCaller, proxyOriginFor } from "./location.ts";
import { consoleLogger, loggedPath, tokenSourceName, type Logger, type RequestLog } from "./log.ts";
import { BodyNotAllowedError, BodyTimeoutError, BodyTooLargeError, readRequestBody } from "./request-body.ts";
import { answerBody, UpstreamTruncatedError } from "./upstream-answer.ts";
import { apiVersion, upstreamPath } from "./upstream-path.ts";

const FORWARDED_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"] as const;

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
      ...config.proxyKeys,
    ].join("\n");
    if (prepared && prepared.fingerprint === fingerprint && prepared.config.tokenCache === config.tokenCache) {
      // Same credentials and keys: keep the client and its warm token, take the other settings.
      prepared = { ...prepared, env, config };
      return prepared;
    }
    const k2 = new K2Client({
      clientId: config.clientId,
      clientSecret: config.clientSecret,
      baseUrl: config.k2Origin,
      cache: new KvTokenCache(config.tokenCache),
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

    if (!(await isAuthorizedCaller(request.headers.get("authorization"), await state.keyDigests))) {
      entry.error = "unauthorized";
      return unauthorized();
    }

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

    const headers = requestHeadersForUpstream(request.headers);
    headers.set("x-request-id", entry.requestId);
    const started = Date.now();
    let upstream: Awaited<ReturnType<K2Client["request"]>>;
    try {
      upstream = await state.k2.request(`${path}${url.search}`, { method: request.method, headers, body });
    } catch (error) {
      entry.upstreamMs = Date.now() - started;
      return upstreamFailure(error, entry);
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
      return upstreamTruncated();
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
    return new Response(answer, {
      status: upstream.response.status,
      statusText: upstream.response.statusText,
      headers: answerHeaders,
    });
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

/** 413, 408 or 400 for a body the proxy will not forward; nothing has been sent to K2. */
function bodyRefusal(error: unknown, entry: RequestLog): Response {
  if (error instanceof BodyTooLargeError) {
    entry.error = "payload_too_large";
    return payloadTooLarge(error.limit);
  }
  if (error instanceof BodyTimeoutError) {
    entry.error = "request_body_timeout";
    return requestBodyTimeout(error.timeoutMs);
  }
  if (error instanceof BodyNotAllowedError) {
    entry.error = "body_not_allowed";
    return bodyNotAllowed(error.method);
  }
  throw error;
}

/** 502 when K2 cannot be reached or refuses the proxy's credentials, 504 when it is too slow. */
function upstreamFailure(error: unknown, entry: RequestLog): Response {
  if (error instanceof TimeoutError) {
    entry.error = "upstream_timeout";
    return upstreamTimeout(error.timeoutMs);
  }
  if (error instanceof NetworkError) {
    entry.error = "upstream_unreachable";
    return upstreamUnreachable();
  }
  entry.error = "upstream_token_error";
  return upstreamTokenError(error instanceof Error ? error.name : "Error");
}

/** The caller's request id when it is a plain token, else a new one. */
function requestIdFor(request: Request): string {
  const given = request.headers.get("x-request-id");
  return given && /^[A-Za-z0-9._-]{1,64}$/.test(given) ? given : crypto.randomUUID();
}
