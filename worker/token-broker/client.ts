/**
 * The isolate's side of the token broker (object.ts): new tokens come from the broker, and from K2
 * directly when the broker fails or does not answer in time; KV is read, never written, while a
 * broker is bound.
 */
import type { TokenCache, TokenRequestOptions, TokenSet, TokenSource } from "../../src/index.ts";
import { settingsOf, wholeNumber } from "../common/settings.ts";
import type { TokenBroker } from "./object.ts";

export interface BrokerEnv {
  /** The token broker. Unbound, isolates share the token through KV alone. */
  TOKEN_BROKER?: DurableObjectNamespace<TokenBroker>;
  /** How long an isolate waits on the broker before getting its own token, in milliseconds. Default 1 500. */
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

export interface BrokeredTokensOptions {
  namespace: DurableObjectNamespace<TokenBroker>;
  /** `k2CacheKey(origin, clientId)`: names the broker and is checked by it. */
  key: Promise<string>;
  /** How long to wait on the broker before getting a token from K2 directly. */
  timeoutMs: number;
  /** K2's own token endpoint (`k2TokenSource`), for when the broker is passed over. */
  direct: TokenSource;
  /** Told why the broker was passed over (the proxy logs it once per isolate). */
  onFallback: (reason: string) => void;
}

/** A `K2ClientOptions.tokenSource` that asks the broker first. */
export function brokeredTokens(options: BrokeredTokensOptions): TokenSource {
  return {
    async getToken(call?: TokenRequestOptions): Promise<TokenSet> {
      try {
        const key = await options.key;
        const stub = options.namespace.get(options.namespace.idFromName(key));
        const answer = await withDeadline(stub.token({ key, refused: call?.refused }), options.timeoutMs);
        if (answer.token) return answer.token;
        options.onFallback(answer.failure);
      } catch (error) {
        options.onFallback(
          error instanceof BrokerTimeout ? "timeout" : error instanceof Error ? error.name : "unknown",
        );
      }
      return options.direct.getToken(call);
    },
  };
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
