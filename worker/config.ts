/**
 * The Worker's settings, read from its environment and checked once per isolate. A problem names
 * the setting, never its value.
 */
import { InvalidInputError, K2_BASE_URLS } from "../src/index.ts";
import { checkedOrigin } from "../src/transport/origin.ts";

/** The bindings and variables the Worker reads (see wrangler.toml). */
export interface Env {
  K2_CLIENT_ID?: string;
  K2_CLIENT_SECRET?: string;
  /** One or more caller keys, comma-separated, so that keys can be rotated without downtime. */
  PROXY_KEYS?: string;
  K2_ENVIRONMENT?: string;
  K2_BASE_URL?: string;
  TOKEN_CACHE?: KVNamespace;
  /** Largest request body forwarded, in bytes. Default 1 MiB. */
  MAX_BODY_BYTES?: string;
  /** Deadline of one upstream attempt, in milliseconds. Default 10 000. */
  UPSTREAM_TIMEOUT_MS?: string;
}

export interface ProxyConfig {
  clientId: string;
  clientSecret: string;
  proxyKeys: readonly string[];
  k2Origin: string;
  tokenCache: KVNamespace;
  maxBodyBytes: number;
  upstreamTimeoutMs: number;
}

/** A setting that is missing or malformed; the message names the setting and never its value. */
export class ConfigError extends Error {
  override name = "ConfigError";
  constructor(
    readonly setting: keyof Env,
    message: string,
  ) {
    super(message);
  }
}

export const MIN_PROXY_KEY_LENGTH = 16;

export function readConfig(env: Env): ProxyConfig {
  return {
    clientId: required(env, "K2_CLIENT_ID"),
    clientSecret: required(env, "K2_CLIENT_SECRET"),
    proxyKeys: proxyKeys(env),
    k2Origin: k2Origin(env),
    tokenCache: kvBinding(env),
    maxBodyBytes: positiveInteger(env, "MAX_BODY_BYTES", 1024 * 1024),
    upstreamTimeoutMs: positiveInteger(env, "UPSTREAM_TIMEOUT_MS", 10_000),
  };
}

function required(env: Env, name: "K2_CLIENT_ID" | "K2_CLIENT_SECRET"): string {
  const value = env[name];
  if (typeof value !== "string" || value.trim() === "") throw new ConfigError(name, `${name} is missing`);
  return value.trim();
}

function proxyKeys(env: Env): string[] {
  const raw = env.PROXY_KEYS;
  if (typeof raw !== "string" || raw.trim() === "") throw new ConfigError("PROXY_KEYS", "PROXY_KEYS is missing");
  const keys = raw.split(",").map((key) => key.trim());
  if (keys.some((key) => key.length < MIN_PROXY_KEY_LENGTH)) {
    throw new ConfigError(
      "PROXY_KEYS",
      `PROXY_KEYS must be comma-separated keys of at least ${MIN_PROXY_KEY_LENGTH} characters`,
    );
  }
  return keys;
}

function k2Origin(env: Env): string {
  if (env.K2_BASE_URL) {
    // The package's one origin guard: https, plain http only to this machine (the local sandbox).
    try {
      return checkedOrigin("K2_BASE_URL", env.K2_BASE_URL);
    } catch (error) {
      if (error instanceof InvalidInputError) throw new ConfigError("K2_BASE_URL", error.message);
      throw error;
    }
  }
  const environment = env.K2_ENVIRONMENT;
  if (environment === "sandbox" || environment === "production") return K2_BASE_URLS[environment];
  throw new ConfigError("K2_ENVIRONMENT", 'K2_ENVIRONMENT must be "sandbox" or "production" (or set K2_BASE_URL)');
}

function kvBinding(env: Env): KVNamespace {
  const kv = env.TOKEN_CACHE;
  if (!kv || typeof kv.get !== "function" || typeof kv.put !== "function") {
    throw new ConfigError("TOKEN_CACHE", "TOKEN_CACHE must be bound to a KV namespace");
  }
  return kv;
}

function positiveInteger(env: Env, name: "MAX_BODY_BYTES" | "UPSTREAM_TIMEOUT_MS", fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d+$/.test(String(raw).trim()) || Number(raw) <= 0)
    throw new ConfigError(name, `${name} must be a positive whole number`);
  return Number(raw);
}
