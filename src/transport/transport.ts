/**
 * The one place that calls `fetch`: deadlines, retries with backoff, and turning transport failures
 * into typed errors. Everything else in the package builds requests and reads answers.
 *
 * @module
 */
import { InvalidInputError, NetworkError, TimeoutError, UnexpectedResponseError } from "../errors.ts";
import { VERSION } from "../version.ts";
import { noRedaction, type Redact } from "./redaction.ts";

/** The shape of the global `fetch`; pass your own to add logging, proxies or test doubles. */
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** Per-call options: a caller's own `AbortSignal` cancels that caller's wait only. */
export interface CallOptions {
  signal?: AbortSignal;
}

/** How requests are sent. Every field is optional; the defaults suit the K2 API. */
export interface TransportOptions {
  /** The `fetch` to use. Default: the global `fetch`, looked up at call time. */
  fetch?: FetchLike;
  /** Deadline of one attempt, from sending until the whole answer is read. Default 10 000 ms. */
  timeoutMs?: number;
  /** How often a failed token, revoke, introspect or info request is retried. Default 2. */
  retries?: number;
  /** First backoff step; each retry waits a random time up to `retryBaseDelayMs * 2^n`. Default 200 ms. */
  retryBaseDelayMs?: number;
  /** Longest `Retry-After` honoured; a server asking for more is not retried. Default 30 000 ms. */
  maxRetryDelayMs?: number;
  /**
   * Largest token, revoke, introspect or info answer read, in bytes (default 1 MiB, as golang/oauth2
   * uses). The body is read as a stream and dropped as soon as it passes the cap, so an endless or
   * enormous answer costs at most this much memory; it fails with an `UnexpectedResponseError`,
   * which is not retried.
   */
  maxAnswerBytes?: number;
}

/** {@link TransportOptions} with every default filled in. */
export interface Transport {
  readonly fetch: FetchLike;
  readonly timeoutMs: number;
  readonly retries: number;
  readonly retryBaseDelayMs: number;
  readonly maxRetryDelayMs: number;
  readonly maxAnswerBytes: number;
}

/** A complete answer: the response and its whole body as text. */
export interface Exchange {
  readonly url: string;
  readonly response: Response;
  readonly text: string;
}

/** Fills in defaults and checks the numbers, so that a typo fails at construction, not at 3 a.m. */
export function createTransport(options: TransportOptions = {}): Transport {
  const custom = options.fetch;
  // Called as a plain function, never as a method: a native fetch stored on an object and called
  // through it throws "Illegal invocation" on Workers.
  const fetchFn: FetchLike = custom
    ? (input, init) => custom(input, init)
    : (input, init) => globalThis.fetch(input, init);
  return Object.freeze({
    fetch: fetchFn,
    timeoutMs: nonNegative("timeoutMs", options.timeoutMs, 10_000),
    retries: nonNegative("retries", options.retries, 2),
    retryBaseDelayMs: nonNegative("retryBaseDelayMs", options.retryBaseDelayMs, 200),
    maxRetryDelayMs: nonNegative("maxRetryDelayMs", options.maxRetryDelayMs, 30_000),
    maxAnswerBytes: nonNegative("maxAnswerBytes", options.maxAnswerBytes, 1024 * 1024),
  });
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new InvalidInputError(`${name} must be a finite number >= 0, got ${String(value)}`);
  }
  return value;
}

/**
 * Sends one request under the deadline without reading the body, for API calls whose answer the
 * caller reads. The deadline keeps running while the caller reads the body.
 */
export async function send(
  transport: Transport,
  url: string,
  init: RequestInit,
  signal?: AbortSignal,
): Promise<Response> {
  const deadline = AbortSignal.timeout(transport.timeoutMs);
  try {
    return await transport.fetch(url, withUserAgent(init, combine(deadline, signal)));
  } catch (error) {
    throw transportFailure(error, url, transport.timeoutMs, deadline, signal);
  }
}

/** What {@link exchange} needs beyond the request. */
export interface ExchangeOptions {
  signal?: AbortSignal | undefined;
  /** Cleans the secrets this request carried out of anything an error quotes. */
  redact?: Redact;
}

/**
 * Sends a request and reads its whole answer (at most `maxAnswerBytes`), retrying network failures,
 * 429 and 5xx with exponential backoff and full jitter, honouring `Retry-After`. `build` is called
 * once per attempt so that every attempt gets a fresh body. A timeout is not retried: the deadline
 * bounds the wait. Neither is an answer over the cap: a server that sent one will send it again.
 */
export async function exchange(
  transport: Transport,
  url: string,
  build: () => RequestInit,
  { signal, redact = noRedaction }: ExchangeOptions = {},
): Promise<Exchange> {
  for (let attempt = 0; ; attempt++) {
    const retriesLeft = attempt < transport.retries;
    const deadline = AbortSignal.timeout(transport.timeoutMs);
    let response: Response;
    let text: string | undefined;
    try {
      response = await transport.fetch(url, withUserAgent(build(), combine(deadline, signal)));
      text = await readCapped(response, transport.maxAnswerBytes);
    } catch (error) {
      const failure = transportFailure(error, url, transport.timeoutMs, deadline, signal);
      if (!(failure instanceof NetworkError) || !retriesLeft) throw failure;
      await sleep(backoff(transport, attempt), signal);
      continue;
    }
    if (text === undefined) {
      throw new UnexpectedResponseError(`The answer from ${url} exceeds ${transport.maxAnswerBytes} bytes`, {
        status: response.status,
        contentType: redact(response.headers.get("content-type") ?? ""),
        excerpt: "",
      });
    }
    if (retriesLeft && (response.status === 429 || response.status >= 500)) {
      const delay = retryAfterMs(response.headers.get("retry-after")) ?? backoff(transport, attempt);
      if (delay <= transport.maxRetryDelayMs) {
        await sleep(delay, signal);
        continue;
      }
    }
    return { url, response, text };
  }
}

/**
 * The body as text, or `undefined` once it passes `limit` bytes (the rest is never read). A declared
 * length decides at once; otherwise bytes are counted as they arrive, after decompression, so that
 * neither a chunked stream nor a compressed bomb can grow past the cap.
 */
export async function readCapped(response: Response, limit: number): Promise<string | undefined> {
  const declared = response.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) {
    await response.body?.cancel().catch(() => {});
    return undefined;
  }
  if (!response.body) return "";
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let size = 0;
  let text = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text + decoder.decode();
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      return undefined;
    }
    text += decoder.decode(value, { stream: true });
  }
}

/** `init` as sent: the deadline, redirects returned, and this package's `User-Agent` unless one is set. */
function withUserAgent(init: RequestInit, signal: AbortSignal): RequestInit {
  const sent: RequestInit = { ...init, signal, redirect: "manual" };
  if (!IN_BROWSER) {
    const headers = init.headers instanceof Headers ? init.headers : new Headers(init.headers);
    if (!headers.has("user-agent")) headers.set("user-agent", USER_AGENT);
    sent.headers = headers;
  }
  return sent;
}

const USER_AGENT = `k2-connect-edge/${VERSION}`;
// A browser owns its User-Agent; naming one there would only make every cross-origin call preflight.
const IN_BROWSER = "document" in globalThis;

function backoff(transport: Transport, attempt: number): number {
  return Math.random() * transport.retryBaseDelayMs * 2 ** attempt;
}

/** `Retry-After` as delta-seconds or an HTTP date; `undefined` when absent or unreadable. */
export function retryAfterMs(header: string | null, now: number = Date.now()): number | undefined {
  if (header === null) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  // An HTTP date always names its month; this keeps Date.parse from reading "-5" as a year.
  const date = /[a-z]{3}/i.test(value) ? Date.parse(value) : Number.NaN;
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function transportFailure(
  error: unknown,
  url: string,
  timeoutMs: number,
  deadline: AbortSignal,
  signal: AbortSignal | undefined,
): unknown {
  // The caller's own cancellation is theirs to recognise: hand back exactly what they aborted with.
  if (signal?.aborted) return signal.reason;
  if (deadline.aborted) return new TimeoutError(url, timeoutMs, { cause: error });
  const code = (error as { cause?: { code?: string } } | undefined)?.cause?.code;
  return new NetworkError(url, { cause: error }, code ? !NOT_CONNECTED.test(code) : undefined);
}

// Node's fetch (undici) names the cause: these codes mean that no connection was made, so nothing was
// sent. Any other code (UND_ERR_SOCKET "other side closed" after the request was written, ECONNRESET)
// counts as "may have been sent", the side a payment must err on. workerd's "Network connection lost."
// carries no code: a refused and a dropped connection look alike there, so `requestSent` stays undefined.
const NOT_CONNECTED = /^E(CONNREFUSED|NOTFOUND|AI_AGAIN)$/;

function combine(deadline: AbortSignal, signal: AbortSignal | undefined): AbortSignal {
  // AbortSignal.any: Node 20.3+, Deno, Bun, workerd and every current browser.
  return signal ? AbortSignal.any([deadline, signal]) : deadline;
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
