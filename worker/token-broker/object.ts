/**
 * The token broker: one Durable Object per K2 origin and client (named by `k2CacheKey`, a hash, so
 * no identifier or secret names it), the only caller of K2's token endpoint and the only writer of
 * the token in KV, plus the isolate's side of it (`brokeredTokens`, `readOnlyCache`).
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
  K2Client,
  KvTokenCache,
  k2CacheKey,
  type TokenCache,
  type TokenRequestOptions,
  type TokenSet,
  type TokenSource,
} from "../src/index.ts";
import { readConfig, type Env } from "./config.ts";
import { consoleLogger } from "./log.ts";

/** What an isolate asks: the token of the application named `key`, renewed if `refused` is current. */
export interface BrokerRequest {
  /** The isolate's `k2CacheKey`: a broker refuses to serve an origin or client other than its own. */
  key: string;
  /** The access token K2 refused (a 401), when the isolate asks after one. */
  refused?: string;
}

/** The broker's answer: a token, or why there is none (the isolate then asks K2 itself). */
export type BrokerAnswer = { token: TokenSet } | { token?: undefined; failure: string };

/**
 * The broker renews this long before expiry, more than an isolate's 60 s, so that an isolate whose
 * token nears its end finds the next one in KV already rather than asking the broker.
 */
const BROKER_EXPIRY_SKEW_SECONDS = 120;

export class TokenBroker extends DurableObject<Env> {
  #tokens: Promise<{ key: string; tokens: CachedTokenSource }> | undefined;

  /**
   * A fresh token (the current one unless `refused` is it), fetched once however many ask at once.
   * A failure is answered, not thrown, and named only (a message could quote K2's answer).
   */
  async token(request: BrokerRequest): Promise<BrokerAnswer> {
    try {
      const { key, tokens } = await (this.#tokens ??= this.#build().catch((error: unknown) => {
        this.#tokens = undefined; // a settings problem is retried on the next request, not remembered
        throw error;
      }));
      if (request.key !== key) return { failure: "another_application" };
      // Only a refusal of the current token renews it: fifty isolates reporting one refusal renew once.
      if (request.refused !== undefined) await tokens.invalidate(request.refused);
      return { token: await tokens.getToken() };
    } catch (error) {
      return { failure: error instanceof Error ? error.name : "unknown" };
    }
  }

  async #build(): Promise<{ key: string; tokens: CachedTokenSource }> {
    // The same settings as the Worker's, from the same env: no credential is ever sent to, or stored by, the broker.
    const config = readConfig(this.env);
    let direct: TokenSource | undefined;
    new K2Client({
      clientId: config.clientId,
      clientSecret: config.clientSecret,
      baseUrl: config.k2Origin,
      timeoutMs: config.upstreamTimeoutMs,
      tokenSource: (k2) => (direct = k2),
    });
    const key = await k2CacheKey(config.k2Origin, config.clientId);
    const tokens = new CachedTokenSource({
      source: direct!,
      cache: brokerCache(this.ctx.storage, new KvTokenCache(config.tokenCache)),
      cacheKey: key,
      expirySkewSeconds: BROKER_EXPIRY_SKEW_SECONDS,
      onCacheError: (error, operation) =>
        consoleLogger({
          level: "error",
          event: "broker_cache_error",
          operation,
          message: error instanceof Error ? error.message : String(error),
        }),
    });
    return { key, tokens };
  }
}

/**
 * The broker's own storage (strongly consistent, survives eviction: after a restart the broker
 * still knows which token is current), with each new token also written to KV for the isolates.
 * A refused token is not deleted from KV: the next one overwrites it (a delete then a put would be
 * two writes to one key within KV's one per second), and an isolate never hands out a token it saw
 * refused. Storage holds nothing KV does not: the token set.
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

/** The isolate's side of the broker. */
export interface BrokeredTokensOptions {
  namespace: DurableObjectNamespace;
  /** `k2CacheKey(origin, clientId)`: names the broker and is checked by it. */
  key: Promise<string>;
  /** How long to wait on the broker before getting a token from K2 directly. */
  timeoutMs: number;
  /** Told why the broker was passed over (the proxy logs it once per isolate). */
  onFallback: (reason: string) => void;
}

/**
 * A `K2ClientOptions.tokenSource`: new tokens come from the broker, and from K2 directly (today's
 * path) when the broker fails or does not answer within `timeoutMs`.
 */
export function brokeredTokens(options: BrokeredTokensOptions): (direct: TokenSource) => TokenSource {
  return (direct) => ({
    async getToken(call?: TokenRequestOptions): Promise<TokenSet> {
      try {
        const key = await options.key;
        const stub = options.namespace.get(options.namespace.idFromName(key)) as DurableObjectStub<TokenBroker>;
        const answer = await withDeadline(stub.token({ key, refused: call?.refused }), options.timeoutMs);
        if (answer.token) return answer.token;
        options.onFallback(answer.failure);
      } catch (error) {
        options.onFallback(
          error instanceof BrokerTimeout ? "timeout" : error instanceof Error ? error.name : "unknown",
        );
      }
      return direct.getToken(call);
    },
  });
}

/** KV as this isolate reads it while a broker is bound: the broker is its one writer. */
export function readOnlyCache(cache: TokenCache): TokenCache {
  return { get: (key) => cache.get(key), set: async () => {}, delete: async () => {} };
}

class BrokerTimeout extends Error {}

function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  const signal = AbortSignal.timeout(ms);
  const deadline = new Promise<never>((_, reject) =>
    signal.addEventListener("abort", () => reject(new BrokerTimeout()), { once: true }),
  );
  return Promise.race([work, deadline]);
}
