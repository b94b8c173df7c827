/**
 * The isolate's side of the token broker (object.ts): new tokens come from the broker, which is
 * the one caller of K2's token endpoint. A slow broker is waited on (it answers busy, and is asked
 * again), a failure K2 gave the broker is the caller's failure too; only a broker that fails (its
 * RPC throws, or it cannot serve this application) lets the isolate ask K2 itself, once per
 * `FALLBACK_INTERVAL_MS`. KV is read, never written, while a broker is bound.
 */
import {
  K2Client,
  k2CacheKey,
  k2TokenSource,
  KvTokenCache,
  type FetchLike,
  K2EdgeError,
  NetworkError,
  TimeoutError,
  type TokenCache,
  type TokenRequestOptions,
  type TokenSet,
  type TokenSource,
} from "../../src/index.ts";
import { k2Settings, type K2Env, type K2Settings } from "../common/k2-settings.ts";
import { settingsOf, wholeNumber } from "../common/settings.ts";
import type { BrokerAnswer, TokenBroker } from "./object.ts";

export interface BrokerEnv {
  /** The token broker. Unbound, isolates share the token through KV alone. */
  TOKEN_BROKER?: DurableObjectNamespace<TokenBroker>;
  /**
   * How long the broker holds an isolate on a token request already under way before answering
   * busy (the isolate then asks again), in milliseconds; at most 5 000. Default 1 500. No longer a
   * reason to ask K2 directly.
   */
  BROKER_TIMEOUT_MS?: string;
}

export interface BrokerSettings {
  /** `undefined` when unbound: the proxy then works with KV alone. */
  namespace: DurableObjectNamespace<TokenBroker> | undefined;
  timeoutMs: number;
}

const readBrokerSettings = (env: BrokerEnv): BrokerSettings => ({
  namespace: env.TOKEN_BROKER,
  timeoutMs: wholeNumber(env.BROKER_TIMEOUT_MS, "BROKER_TIMEOUT_MS", 1_500),
});

/** The broker's settings, checked once per isolate. */
export const brokerSettings = (env: BrokerEnv): BrokerSettings => settingsOf(env, readBrokerSettings);

/**
 * An isolate asks K2 itself at most once in this long (and once more to replace the token that
 * fallback got, when K2 refuses it): a failing broker costs K2 at most two token requests per
 * isolate per interval, never a stampede of retries.
 */
export const FALLBACK_INTERVAL_MS = 30_000;

export interface BrokeredTokensOptions {
  namespace: DurableObjectNamespace<TokenBroker>;
  /** `k2CacheKey(origin, clientId)`: names the broker and is checked by it. */
  key: Promise<string>;
  /** How long the broker may hold one request on its token request under way (`BROKER_TIMEOUT_MS`). */
  timeoutMs: number;
  /**
   * The longest a token is waited for, asking the broker again and again while it is busy
   * (`UPSTREAM_TIMEOUT_MS`: a token request's deadline); then the caller gets a `TimeoutError`.
   */
  waitMs: number;
  /** K2's token endpoint URL, named by the errors told to the caller (never an API URL). */
  tokenUrl: string;
  /** K2's own token endpoint (`k2TokenSource`), for when the broker fails. */
  direct: TokenSource;
  /** Told why the broker was passed over (the proxy logs it once per isolate). */
  onFallback: (reason: string) => void;
  /** The clock, in epoch milliseconds; injectable for tests. */
  now?: () => number;
}

/**
 * K2's token endpoint failed when the broker asked it, or the isolate may not ask K2 itself again
 * yet. Named after the failure (as a direct token request's error is), so the caller is told what
 * it would have been told without a broker.
 */
export class TokenUnavailableError extends K2EdgeError {
  /** When a token may be asked for again (epoch milliseconds). */
  declare readonly retryAt: number;

  constructor(name: string, message: string, retryAt: number) {
    super(message);
    this.name = name;
    Object.assign(this, { retryAt });
  }
}

/** A `K2ClientOptions.tokenSource` that asks the broker, and K2 itself only when the broker fails. */
export function brokeredTokens(options: BrokeredTokensOptions): TokenSource {
  const now = options.now ?? Date.now;
  const fallback = cappedFallback(options.direct, now);
  return {
    async getToken(call?: TokenRequestOptions): Promise<TokenSet> {
      const refused = call?.refused;
      const answer = await askBroker(options, refused, now);
      if (answer.token) return answer.token;
      options.onFallback(answer.fallback);
      return fallback(refused);
    },
  };
}

/**
 * The broker's token, or why the isolate may ask K2 itself (`fallback`). Throws what the caller
 * sees instead: K2's failure as the broker met it, or a `TimeoutError` once `waitMs` has passed
 * with the broker still busy (or silent).
 */
async function askBroker(
  options: BrokeredTokensOptions,
  refused: string | undefined,
  now: () => number,
): Promise<{ token: TokenSet; fallback?: undefined } | { token?: undefined; fallback: string }> {
  const key = await options.key;
  const deadline = AbortSignal.timeout(options.waitMs);
  const timedOut = () => new TimeoutError(options.tokenUrl, options.waitMs);
  let thrown = 0;
  for (;;) {
    let answer: BrokerAnswer;
    try {
      // A new stub each time: one that threw may stay broken.
      const stub = options.namespace.get(options.namespace.idFromName(key));
      const asked = stub.token({ key, refused, holdMs: options.timeoutMs }) as Promise<BrokerAnswer>;
      answer = await untilAborted(asked, deadline);
    } catch (error) {
      if (deadline.aborted) throw timedOut();
      // Asked once more: a broker restarted (deployed, evicted) answers the second time, and the
      // isolates it held ask the new instance rather than K2.
      if (++thrown < 2) continue;
      return { fallback: error instanceof Error ? error.name : "unknown" };
    }
    if (answer.token) return { token: answer.token };
    if (answer.retryAt === undefined) return { fallback: answer.failure };
    if (!answer.busy) throw brokerFailure(answer.failure, answer.retryAt, options);
    await untilAborted(sleep(answer.retryAt - now()), deadline).catch(() => {
      throw timedOut();
    });
  }
}

/** K2's failure as the broker met it, as the class a direct token request would have thrown. */
function brokerFailure(failure: string, retryAt: number, options: BrokeredTokensOptions): Error {
  if (failure === "TimeoutError") return new TimeoutError(options.tokenUrl, options.waitMs);
  if (failure === "NetworkError") return new NetworkError(options.tokenUrl);
  return new TokenUnavailableError(
    failure,
    `K2's token endpoint failed (${failure}); the token broker asks it again at ${new Date(retryAt).toISOString()}`,
    retryAt,
  );
}

/**
 * The isolate's own token request, for a broker that fails: concurrent fallbacks share one request,
 * and one request is made per `FALLBACK_INTERVAL_MS`, plus one to replace the token it got when K2
 * refuses that token. Beyond that the caller gets an error rather than K2 another request. The
 * limit is this state, not a timer.
 */
function cappedFallback(direct: TokenSource, now: () => number): (refused: string | undefined) => Promise<TokenSet> {
  let inFlight: Promise<TokenSet> | undefined;
  let intervalStart = Number.NEGATIVE_INFINITY;
  let renewedInInterval = false;
  let fallbackToken: string | undefined;
  return (refused) => {
    if (inFlight) return inFlight;
    const at = now();
    if (at - intervalStart >= FALLBACK_INTERVAL_MS) {
      intervalStart = at;
      renewedInInterval = false;
    } else if (refused !== undefined && refused === fallbackToken && !renewedInInterval) {
      renewedInInterval = true;
    } else {
      const retryAt = intervalStart + FALLBACK_INTERVAL_MS;
      return Promise.reject(
        new TokenUnavailableError(
          "BrokerUnavailable",
          `The token broker is failing and this isolate already asked K2 for a token itself; it asks again at ${new Date(retryAt).toISOString()}`,
          retryAt,
        ),
      );
    }
    fallbackToken = undefined;
    inFlight = direct
      .getToken(refused === undefined ? undefined : { refused })
      .then((token) => {
        fallbackToken = token.accessToken;
        return token;
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };
}

/** KV as this isolate reads it while a broker is bound: the broker is its one writer. */
export function readOnlyCache(cache: TokenCache): TokenCache {
  return { get: (key) => cache.get(key), set: async () => {}, delete: async () => {} };
}

const sleep = (ms: number): Promise<void> =>
  ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();

/** `work`, or a rejection once `signal` aborts; `work` runs on (an RPC cannot be taken back). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

export interface IsolateK2ClientOptions {
  /** Logs a problem once per isolate (broker fallbacks, KV errors), not on every request. */
  reportOnce: (key: string, line: Record<string, unknown>) => void;
  /** The `fetch` used to reach K2. Default: the global one. */
  fetch?: FetchLike;
  /** Told each time the broker is passed over, to be counted (the log line is written once). */
  onFallback?: () => void;
}

/**
 * The isolate's K2 client, for every feature that calls K2 (the proxy, the reconciler): built once
 * per isolate and rebuilt only when the K2 settings or the broker change, so that the same
 * credentials keep the same client and its warm token. With a broker bound, new tokens come from it
 * and KV is only read.
 */
export function isolateK2Client(options: IsolateK2ClientOptions): (env: K2Env & BrokerEnv) => K2Client {
  let kept: { k2: K2Settings; broker: BrokerSettings; client: K2Client } | undefined;
  return (env) => {
    const k2 = k2Settings(env);
    const broker = brokerSettings(env);
    if (kept && sameK2(kept.k2, k2) && sameBroker(kept.broker, broker)) return kept.client;
    const kv = new KvTokenCache(k2.tokenCache);
    const credentials = {
      clientId: k2.clientId,
      clientSecret: k2.clientSecret,
      baseUrl: k2.k2Origin,
      timeoutMs: k2.upstreamTimeoutMs,
      fetch: options.fetch,
    };
    const client = new K2Client({
      ...credentials,
      cache: broker.namespace ? readOnlyCache(kv) : kv,
      tokenSource:
        broker.namespace &&
        brokeredTokens({
          namespace: broker.namespace,
          key: k2CacheKey(k2.k2Origin, k2.clientId),
          timeoutMs: broker.timeoutMs,
          waitMs: k2.upstreamTimeoutMs,
          tokenUrl: `${k2.k2Origin}/oauth/token`,
          direct: k2TokenSource(credentials),
          onFallback: (reason) => {
            options.onFallback?.();
            options.reportOnce("broker", { event: "broker_fallback", reason });
          },
        }),
      onCacheError: (error, operation) =>
        options.reportOnce(`kv-${operation}`, {
          event: "kv_error",
          operation,
          message: error instanceof Error ? error.message : String(error),
        }),
    });
    kept = { k2, broker, client };
    return client;
  };
}

function sameK2(a: K2Settings, b: K2Settings): boolean {
  return (
    a.clientId === b.clientId &&
    a.clientSecret === b.clientSecret &&
    a.k2Origin === b.k2Origin &&
    a.upstreamTimeoutMs === b.upstreamTimeoutMs &&
    a.tokenCache === b.tokenCache
  );
}

function sameBroker(a: BrokerSettings, b: BrokerSettings): boolean {
  return a.namespace === b.namespace && a.timeoutMs === b.timeoutMs;
}
