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
} from "../../src/index.ts";
import { k2Settings, type K2Env } from "../common/k2-settings.ts";
import { writeLog } from "../common/log.ts";

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

export class TokenBroker extends DurableObject<K2Env> {
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
    // The K2 settings of the Worker's own env: no credential is ever sent to, or stored by, the broker.
    const k2 = k2Settings(this.env);
    const key = await k2CacheKey(k2.k2Origin, k2.clientId);
    const tokens = new CachedTokenSource({
      source: k2TokenSource({
        clientId: k2.clientId,
        clientSecret: k2.clientSecret,
        baseUrl: k2.k2Origin,
        timeoutMs: k2.upstreamTimeoutMs,
      }),
      cache: brokerCache(this.ctx.storage, new KvTokenCache(k2.tokenCache)),
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
