/**
 * Sending a request to K2 with K2's token: the caller's allowed headers, K2's response checked and
 * its Location and `_links` rewritten for the caller, and a failure told apart by what it means for the
 * request (never reached K2, or may have).
 */
import { NetworkError, TimeoutError, type K2Client, type K2Exchange } from "../../src/index.ts";
import { KEYED_METHODS } from "../idempotency/client.ts";
import type { K2Settings } from "../common/k2-settings.ts";
import type { RequestLog } from "../common/log.ts";
import { refusal, upstreamTruncated } from "../common/responses.ts";
import type { SendOutcome } from "../common/send-outcome.ts";
import { requestHeadersForUpstream, responseHeadersForCaller } from "./forwarded-headers.ts";
import { checkedBody, UpstreamTruncatedError } from "./k2-response.ts";
import { bodyWithProxyLinks } from "./links.ts";
import { locationForCaller, proxyOriginFor } from "./location.ts";
import type { ProxySettings } from "./settings.ts";
import { apiVersion } from "./upstream-path.ts";

export interface Send {
  client: K2Client;
  request: Request;
  url: URL;
  /** The checked API path (upstream-path.ts). */
  path: string;
  body: ArrayBuffer | undefined;
  log: RequestLog;
  settings: ProxySettings;
  k2: K2Settings;
}

/** K2's response for the caller, and what K2 did with the request as far as the proxy can tell. */
export interface Sent {
  response: Response;
  outcome: SendOutcome;
}

export async function sendToK2({ client, request, url, path, body, log, settings, k2 }: Send): Promise<Sent> {
  const headers = requestHeadersForUpstream(request.headers);
  headers.push(["x-request-id", log.requestId]);
  const started = Date.now();
  let exchange: K2Exchange;
  try {
    exchange = await client.request(`${path}${url.search}`, { method: request.method, headers, body });
  } catch (error) {
    log.upstreamMs = Date.now() - started;
    return sendFailure(error, request.method, log);
  }
  log.tokenSource = exchange.tokenOrigin === "cache" ? "kv" : exchange.tokenOrigin;
  log.replayed = exchange.replayed;

  let responseBody: BodyInit | null;
  try {
    responseBody = await checkedBody(exchange.response, request.method);
  } catch (error) {
    if (!(error instanceof UpstreamTruncatedError)) throw error;
    // K2 answered, so it had the request; what it said is lost.
    return { response: upstreamTruncated(), outcome: "unknown" };
  } finally {
    log.upstreamMs = Date.now() - started; // a checked body was read whole: that was waiting on K2 too
  }

  const responseHeaders = responseHeadersForCaller(exchange.response.headers);
  const origin = proxyOriginFor(url, settings.publicOrigin, k2.k2Origin);
  let contentType: string | null = null;
  for (const header of responseHeaders) {
    if (header[0] === "location" && header[1])
      header[1] = locationForCaller(header[1], k2.k2Origin, origin, apiVersion(path));
    else if (header[0] === "content-type") contentType = header[1];
  }
  if (responseBody instanceof ArrayBuffer) {
    responseBody = bodyWithProxyLinks(responseBody, contentType, k2.k2Origin, origin, apiVersion(path));
  }
  const response = new Response(responseBody, {
    status: exchange.response.status,
    statusText: exchange.response.statusText,
    headers: responseHeaders,
  });
  return { response, outcome: "answered" };
}

/**
 * 502 when K2 cannot be reached or refuses the proxy's credentials, 504 when it is too slow. A POST
 * or PATCH that may have reached K2 is told so (`upstream_outcome_unknown`): resending it blindly
 * could be a second payment. It may have only if the API call itself was under way (a failed token
 * request sent nothing) and the runtime did not say that no connection was made.
 */
export function sendFailure(error: unknown, method: string, log: RequestLog): Sent {
  // The request's one log line (index.ts writes every field of it) says why, as the answer does.
  if (error instanceof NetworkError) log.upstreamError = unreachable(error);
  const transportError = error instanceof NetworkError || error instanceof TimeoutError;
  if (transportError && KEYED_METHODS.has(method) && error.requestSent !== false && isApiCall(error.url)) {
    return { response: outcomeUnknown(error instanceof TimeoutError ? 504 : 502), outcome: "unknown" };
  }
  if (error instanceof TimeoutError)
    return {
      response: refusal(504, "upstream_timeout", `K2 did not answer within ${error.timeoutMs} ms`),
      outcome: "not_sent",
    };
  if (error instanceof NetworkError)
    return { response: refusal(502, "upstream_unreachable", unreachable(error)), outcome: "not_sent" };
  const name = error instanceof Error ? error.name : "Error";
  return { response: refusal(502, "upstream_token_error", `K2 did not grant a token (${name})`), outcome: "not_sent" };
}

/** A POST or PATCH was sent and no complete response came back: K2 may have acted on it. */
const outcomeUnknown = (status: 502 | 504) =>
  refusal(
    status,
    "upstream_outcome_unknown",
    "The request was sent to K2 but no complete answer came back, so K2 may have acted on it. Check its status " +
      "(or wait for K2's callback) before resending; an Idempotency-Key makes a resend safe",
  );

/** Whether a failed request was an API call rather than the token request before it. */
function isApiCall(url: unknown): boolean {
  return typeof url === "string" && /^https?:\/\/[^/]+\/api\//.test(url);
}

/** Which host could not be reached, and why: what a developer offline or with a typo needs to see. */
const unreachable = (error: NetworkError) => `K2 could not be reached at ${hostOf(error.url)}: ${causeOf(error)}`;

/** The host a failed request went to: the URL's path and query are the caller's and stay out. */
function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "K2";
  }
}

/**
 * What the runtime said went wrong (workerd: "Network connection lost."; Node: the system error
 * code, such as ENOTFOUND), bounded. Neither names a header, so no token or secret can be in it.
 */
function causeOf(error: NetworkError): string {
  const cause = error.cause as { message?: unknown; cause?: { code?: unknown } } | undefined;
  const code = typeof cause?.cause?.code === "string" ? cause.cause.code : undefined;
  const message = typeof cause?.message === "string" && cause.message ? cause.message : "no connection";
  return (code ? `${message} (${code})` : message).slice(0, 200);
}
