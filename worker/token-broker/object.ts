/**
 * The token broker: one Durable Object per K2 origin and client (named by `k2CacheKey`, a hash, so
 * no identifier or secret names it), the only caller of K2's token endpoint and the only writer of
 * the token in KV. Isolates reach it through client.ts.
 *
 * Why both: KV is an eventually consistent cache (up to about 60 s between locations, one write per
 * second per key) that every isolate reads cheaply, but it cannot make cold isolates agree on who
 * fetches: N cold isolates fetch N tokens, and where K2 revokes a client's previous token on issue,
 * N-1 of them are dead on arrival. A Durable Object is a single instance with strongly consistent
 * storage, so "one token request at a time, one writer" holds there across every isolate. The broker
 * decides and writes; KV serves the reads, so the warm path never leaves the isolate.
 */
import { DurableObject } from "cloudflare:workers";
import {
  CachedTokenSource,
  k2CacheKey,
  k2TokenSource,
  KvTokenCache,
  type TokenCache,
  type TokenSet,
  type TokenSource,
} from "../../src/index.ts";
import { k2Settings, type K2Env } from "../common/k2-settings.ts";
import { writeLog } from "../common/log.ts";

/** What an isolate asks: the token of the application named `key`, renewed if `refused` is current. */
export interface BrokerRequest {
  /** The isolate's `k2CacheKey`: a broker refuses to serve an origin or client other than its own. */
  key: string;
  /** The access token K2 refused (a 401), when the isolate asks after one. */
  refused?: string;
  /**
   * How long the broker may hold this request on a token request already under way before it
   * answers busy, in milliseconds (`BROKER_TIMEOUT_MS`); at most `MAX_HOLD_MS`.
   */
  holdMs?: number;
}

/**
 * The broker's answer. A token; or, with `retryAt`, the broker is the one asking K2 and nobody else
 * may: `busy` (its request is under way, ask again at `retryAt`) or K2's failure, named (no one asks
 * K2 again before `retryAt`); or, without `retryAt`, the broker cannot serve this request and the
 * isolate may ask K2 itself.
 */
export type BrokerAnswer =
  | { token: TokenSet }
  | { token?: undefined; failure: string; retryAt: number; busy?: true }
  | { token?: undefined; failure: string; retryAt?: undefined };

/**
 * The broker renews this long before expiry, more than an isolate's 60 s, so that an isolate whose
 * token nears its end finds the next one in KV already rather than asking the broker.
 */
const BROKER_EXPIRY_SKEW_SECONDS = 120;

/** The longest the broker holds one request: an RPC stays short whatever the isolate asks. */
export const MAX_HOLD_MS = 5_000;

/**
 * The longest `Retry-After` (or backoff) waited out inside the broker's one token request, which
 * the isolates wait on. A longer one ends the request: the broker answers the failure with the
 * time K2 named, and asks K2 again only after it.
 */
const MAX_RETRY_DELAY_MS = 2_000;

/** After a failed token request that named no `Retry-After`, the broker asks K2 again no sooner than this. */
const FAILURE_PAUSE_MS = 2_000;

/** Where storage keeps a failure's pause: a restarted broker still honours K2's `Retry-After`. */
const PAUSE_KEY = "token-endpoint-pause";

/** A failed token request as the broker keeps it: the error's name (never its text) and when to ask again. */
interface Pause {
  failure: string;
  until: number;
}

/** K2's token endpoint failed, or is paused after a failure: every waiter gets this, nobody asks K2. */
class TokenEndpointFailure extends Error {
  constructor(
    readonly failure: string,
    readonly retryAt: number,
  ) {
    super(failure);
  }
}

export class TokenBroker extends DurableObject<K2Env> {
  #tokens: Promise<{ key: string; tokens: CachedTokenSource }> | undefined;

  /**
   * A fresh token (the current one unless `refused` is it), fetched once however many ask at once:
   * the one request in flight is the token source's state, shared by every caller, so a slow
   * endpoint makes callers wait on it (held at most `holdMs`, then answered busy), never start
   * another. A failure is answered, not thrown, and named only (a message could quote K2's answer).
   */
  async token(request: BrokerRequest): Promise<BrokerAnswer> {
    const hold = AbortSignal.timeout(Math.min(Math.max(request.holdMs ?? MAX_HOLD_MS, 0), MAX_HOLD_MS));
    try {
      const { key, tokens } = await (this.#tokens ??= this.#build().catch((error: unknown) => {
        this.#tokens = undefined; // a settings problem is retried on the next request, not remembered
        throw error;
      }));
      if (request.key !== key) return { failure: "another_application" };
      // Only a refusal of the current token renews it: fifty isolates reporting one refusal renew once.
      if (request.refused !== undefined) await tokens.invalidate(request.refused);
      // The hold ends this caller's wait only; the request runs on for everyone (CachedTokenSource).
      return { token: await tokens.getToken({ signal: hold }) };
    } catch (error) {
      if (error instanceof TokenEndpointFailure) return { failure: error.failure, retryAt: error.retryAt };
      if (hold.aborted && error === hold.reason) return { failure: "busy", retryAt: Date.now(), busy: true };
      return { failure: error instanceof Error ? error.name : "unknown" };
    }
  }

  async #build(): Promise<{ key: string; tokens: CachedTokenSource }> {
    // The K2 settings of the Worker's own env: no credential is ever sent to, or stored by, the broker.
    const k2 = k2Settings(this.env);
    const key = await k2CacheKey(k2.k2Origin, k2.clientId);
    let retryAfter: string | null = null;
    const endpoint = k2TokenSource({
      clientId: k2.clientId,
      clientSecret: k2.clientSecret,
      baseUrl: k2.k2Origin,
      timeoutMs: k2.upstreamTimeoutMs,
      maxRetryDelayMs: MAX_RETRY_DELAY_MS,
      // K2's Retry-After of the last answer: the error a failed answer becomes does not carry it.
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        retryAfter = response.headers.get("retry-after");
        return response;
      },
    });
    const storage = this.ctx.storage;
    const source: TokenSource = {
      getToken: async (call) => {
        // Only called when a new token is needed, and once at a time (CachedTokenSource).
        const pause = await storage.get<Pause>(PAUSE_KEY);
        if (pause && Date.now() < pause.until) throw new TokenEndpointFailure(pause.failure, pause.until);
        retryAfter = null;
        try {
          return await endpoint.getToken(call);
        } catch (error) {
          const failed: Pause = {
            failure: error instanceof Error ? error.name : "unknown",
            until: Date.now() + (retryAfterMs(retryAfter) ?? FAILURE_PAUSE_MS),
          };
          await storage.put(PAUSE_KEY, failed);
          throw new TokenEndpointFailure(failed.failure, failed.until);
        }
      },
    };
    const tokens = new CachedTokenSource({
      source,
      cache: brokerCache(storage, new KvTokenCache(k2.tokenCache)),
      cacheKey: key,
      expirySkewSeconds: BROKER_EXPIRY_SKEW_SECONDS,
      onCacheError: (error, operation) =>
        writeLog({
          level: "error",
          event: "broker_cache_error",
          operation,
          message: error instanceof Error ? error.message : String(error),
        }),
    });
    return { key, tokens };
  }
}

/** `Retry-After` in milliseconds from now, as delta-seconds or an HTTP date; `undefined` when absent or unreadable. */
export function retryAfterMs(header: string | null, now: number = Date.now()): number | undefined {
  if (header === null) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  // An HTTP date always names its month; this keeps Date.parse from reading "-5" as a year.
  const date = /[a-z]{3}/i.test(value) ? Date.parse(value) : Number.NaN;
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * The broker's own storage (strongly consistent, survives eviction: after a restart the broker
 * still knows which token is current), with each new token also written to KV for the isolates.
 * A refused token is not deleted from KV: the next one overwrites it (a delete then a put would be
 * two writes to one key within KV's one per second), and an isolate never hands out a token it saw
 * refused. Storage holds the token set, as KV does, and the pause after a failed token request
 * (an error's name and a time), which KV never sees.
 */
function brokerCache(storage: DurableObjectStorage, kv: TokenCache): TokenCache {
  return {
    // KV only when storage holds nothing (a broker bound for the first time): adopt a token isolates already share.
    get: async (key) => (await storage.get<TokenSet>(key)) ?? (await kv.get(key)),
    set: async (key, token, ttlSeconds) => {
      await storage.put(key, token);
      await kv.set(key, token, ttlSeconds);
    },
    delete: (key) => storage.delete(key).then(() => undefined),
  };
}
