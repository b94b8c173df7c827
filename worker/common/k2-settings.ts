/**
 * Which K2 application the edge speaks for, and how it reaches K2: the settings the proxy, the
 * token broker and the inbox share. Nothing here depends on proxy keys or the inbox's settings, so
 * a broken one of those never stops the token broker.
 */
import { K2_BASE_URLS } from "../../src/index.ts";
import { ConfigError, originSetting, requiredBinding, requiredText, settingsOf, wholeNumber } from "./settings.ts";

export interface K2Env {
  K2_CLIENT_ID?: string;
  K2_CLIENT_SECRET?: string;
  /** `"sandbox"` or `"production"`; `K2_BASE_URL` (an origin) overrides it. */
  K2_ENVIRONMENT?: string;
  K2_BASE_URL?: string;
  /** The token cache every isolate reads. */
  TOKEN_CACHE?: KVNamespace;
  /** Deadline of one request to K2, in milliseconds. Default 10 000. */
  UPSTREAM_TIMEOUT_MS?: string;
}

export interface K2Settings {
  clientId: string;
  clientSecret: string;
  k2Origin: string;
  tokenCache: KVNamespace;
  upstreamTimeoutMs: number;
}

/** The K2 settings of `env`, checked once per isolate. */
export const k2Settings = (env: K2Env): K2Settings => settingsOf(env, readK2Settings);

function readK2Settings(env: K2Env): K2Settings {
  return {
    clientId: requiredText(env.K2_CLIENT_ID, "K2_CLIENT_ID"),
    clientSecret: requiredText(env.K2_CLIENT_SECRET, "K2_CLIENT_SECRET"),
    k2Origin: k2Origin(env),
    tokenCache: requiredBinding(env.TOKEN_CACHE, "TOKEN_CACHE", "put", "TOKEN_CACHE must be bound to a KV namespace"),
    upstreamTimeoutMs: wholeNumber(env.UPSTREAM_TIMEOUT_MS, "UPSTREAM_TIMEOUT_MS", 10_000),
  };
}

function k2Origin(env: K2Env): string {
  if (env.K2_BASE_URL) return originSetting(env.K2_BASE_URL, "K2_BASE_URL");
  const environment = env.K2_ENVIRONMENT;
  if (environment === "sandbox" || environment === "production") return K2_BASE_URLS[environment];
  throw new ConfigError("K2_ENVIRONMENT", 'K2_ENVIRONMENT must be "sandbox" or "production" (or set K2_BASE_URL)');
}
