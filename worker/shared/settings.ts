/**
 * The Worker's settings, read from its environment and checked once per isolate. A problem names
 * the setting, never its value.
 */
import { InvalidInputError, K2_BASE_URLS } from "../src/index.ts";
import { checkedOrigin, checkedUrl } from "../src/transport/origin.ts";
import { namesK2Host } from "./location.ts";

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
  /** How long a request body may take to arrive in full, in milliseconds. Default 5 000. */
  BODY_TIMEOUT_MS?: string;
  /** The proxy's public origin, written into rewritten `Location` headers. Default: the request's. */
  PUBLIC_ORIGIN?: string;
  /** The token broker (token-broker.ts). Unbound, isolates share the token through KV alone. */
  TOKEN_BROKER?: DurableObjectNamespace;
  /** How long an isolate waits on the broker before getting its own token, in milliseconds. Default 1 500. */
  BROKER_TIMEOUT_MS?: string;
  /** Idempotency keys (idempotency.ts). Unbound, an `Idempotency-Key` is dropped and promises nothing. */
  IDEMPOTENCY?: DurableObjectNamespace<import("./idempotency.ts").IdempotencyKeys>;
  /** How long an idempotency key's answer (or doubt) is kept, in seconds. Default 86 400 (24 h). */
  IDEMPOTENCY_TTL_SECONDS?: string;
  /** The API key K2 signs callbacks and webhooks with (inbox/receive.ts). Unset, `/k2/callbacks` answers 503. */
  K2_API_KEY?: string;
  /** The inbox of K2's callbacks and webhooks (inbox/inbox.ts). */
  INBOX?: DurableObjectNamespace<import("./inbox/inbox.ts").K2Inbox>;
  /** Largest callback or webhook body accepted, in bytes. Default 262 144 (256 KiB). */
  INBOX_MAX_BODY_BYTES?: string;
  /** How long an event is kept, in days. Default 30. */
  INBOX_RETENTION_DAYS?: string;
  /** Where each event is POSTed (inbox/forward.ts). Set with FORWARD_SECRET or not at all. */
  FORWARD_URL?: string;
  /** The key of the `X-K2-Edge-Signature` on forwarded events. */
  FORWARD_SECRET?: string;
  /** The queue forwarded events go through; wrangler.toml binds it and consumes it. */
  INBOX_QUEUE?: Queue<import("./inbox/forward.ts").InboxMessage>;
  /** The first retry's delay of a failed forward, in seconds; it doubles with each attempt. Default 30. */
  FORWARD_RETRY_DELAY_SECONDS?: string;
}

export interface ProxyConfig {
  clientId: string;
  clientSecret: string;
  proxyKeys: readonly string[];
  k2Origin: string;
  tokenCache: KVNamespace;
  maxBodyBytes: number;
  upstreamTimeoutMs: number;
  bodyTimeoutMs: number;
  /** `undefined` when unset: the origin then comes from each request (see location.ts). */
  publicOrigin: string | undefined;
  /** `undefined` when unbound: the proxy then works with KV alone. */
  tokenBroker: DurableObjectNamespace | undefined;
  brokerTimeoutMs: number;
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

/** What a key may be made of: the characters caller-auth.ts accepts after `Bearer `. */
const BEARER_KEY = /^[\x21-\x7e]+$/;

export function readConfig(env: Env): ProxyConfig {
  const config = {
    clientId: required(env, "K2_CLIENT_ID"),
    clientSecret: required(env, "K2_CLIENT_SECRET"),
    proxyKeys: proxyKeys(env),
    k2Origin: k2Origin(env),
    tokenCache: kvBinding(env),
    maxBodyBytes: positiveInteger(env, "MAX_BODY_BYTES", 1024 * 1024),
    upstreamTimeoutMs: positiveInteger(env, "UPSTREAM_TIMEOUT_MS", 10_000),
    bodyTimeoutMs: positiveInteger(env, "BODY_TIMEOUT_MS", 5_000),
    tokenBroker: env.TOKEN_BROKER,
    brokerTimeoutMs: positiveInteger(env, "BROKER_TIMEOUT_MS", 1_500),
  };
  return { ...config, publicOrigin: publicOrigin(env, config.k2Origin) };
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
  // A caller presents a key as `Authorization: Bearer <key>`, which caller-auth.ts reads as visible
  // ASCII only: a key with a space or any other character could never match, so it is refused here.
  if (keys.some((key) => !BEARER_KEY.test(key))) {
    throw new ConfigError(
      "PROXY_KEYS",
      "PROXY_KEYS must hold only visible ASCII characters (no spaces or other characters) in each key",
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

/**
 * `PUBLIC_ORIGIN` through the one origin guard, and never K2's own origin: a Location written on it
 * would send callers, and their proxy keys, to K2.
 */
function publicOrigin(env: Env, k2: string): string | undefined {
  const raw = env.PUBLIC_ORIGIN;
  if (raw === undefined || raw.trim() === "") return undefined;
  let origin: string;
  try {
    origin = checkedOrigin("PUBLIC_ORIGIN", raw.trim());
  } catch (error) {
    if (error instanceof InvalidInputError) throw new ConfigError("PUBLIC_ORIGIN", error.message);
    throw error;
  }
  if (namesK2Host(new URL(origin), k2))
    throw new ConfigError("PUBLIC_ORIGIN", "PUBLIC_ORIGIN must be the proxy's own origin, not K2's");
  return origin;
}

function kvBinding(env: Env): KVNamespace {
  const kv = env.TOKEN_CACHE;
  if (!kv || typeof kv.get !== "function" || typeof kv.put !== "function") {
    throw new ConfigError("TOKEN_CACHE", "TOKEN_CACHE must be bound to a KV namespace");
  }
  return kv;
}

type NumberSetting =
  | "MAX_BODY_BYTES"
  | "UPSTREAM_TIMEOUT_MS"
  | "BODY_TIMEOUT_MS"
  | "BROKER_TIMEOUT_MS"
  | "INBOX_MAX_BODY_BYTES"
  | "INBOX_RETENTION_DAYS"
  | "FORWARD_RETRY_DELAY_SECONDS";

function positiveInteger(env: Env, name: NumberSetting, fallback: number, least = 1): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d+$/.test(String(raw).trim()) || Number(raw) < least)
    throw new ConfigError(name, `${name} must be a ${least > 0 ? "positive " : ""}whole number`);
  return Number(raw);
}

/** The inbox's settings (inbox/): apart from the proxy's, so that the API works without them. */
export interface InboxConfig {
  apiKey: string;
  namespace: NonNullable<Env["INBOX"]>;
  maxBodyBytes: number;
  retentionMs: number;
  /** `undefined` when events are only kept, to be read with `GET /k2/events`. */
  forward:
    { url: string; secret: string; queue: NonNullable<Env["INBOX_QUEUE"]>; retryDelaySeconds: number } | undefined;
}

const DAY_MS = 24 * 60 * 60 * 1000;

// The runtime hands an isolate's requests the same env object: its settings are read once per isolate.
const inboxConfigs = new WeakMap<Env, InboxConfig | ConfigError>();

/** The inbox's settings, or a {@link ConfigError} naming the first one missing or malformed. */
export function readInboxConfig(env: Env): InboxConfig {
  let known = inboxConfigs.get(env);
  if (!known) {
    try {
      known = inboxConfig(env);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      known = error;
    }
    inboxConfigs.set(env, known);
  }
  if (known instanceof ConfigError) throw known;
  return known;
}

function inboxConfig(env: Env): InboxConfig {
  const apiKey = env.K2_API_KEY;
  if (typeof apiKey !== "string" || apiKey === "")
    throw new ConfigError("K2_API_KEY", "K2_API_KEY is missing: callbacks and webhooks cannot be verified");
  const namespace = env.INBOX;
  if (!namespace || typeof namespace.idFromName !== "function")
    throw new ConfigError("INBOX", "INBOX must be bound to the K2Inbox Durable Object");
  return {
    apiKey,
    namespace,
    maxBodyBytes: positiveInteger(env, "INBOX_MAX_BODY_BYTES", 256 * 1024),
    retentionMs: retentionMs(env),
    forward: forwarding(env),
  };
}

/** How long the inbox keeps an event; the Durable Object's alarm reads it too. */
export function retentionMs(env: Env): number {
  return positiveInteger(env, "INBOX_RETENTION_DAYS", 30) * DAY_MS;
}

function forwarding(env: Env): InboxConfig["forward"] {
  const url = env.FORWARD_URL?.trim() || undefined;
  const secret = env.FORWARD_SECRET || undefined;
  if (!url && !secret) return undefined;
  if (!url) throw new ConfigError("FORWARD_URL", "FORWARD_SECRET is set without FORWARD_URL: set both or neither");
  if (!secret)
    throw new ConfigError("FORWARD_SECRET", "FORWARD_URL is set without FORWARD_SECRET: set both or neither");
  try {
    checkedUrl("FORWARD_URL", url);
  } catch (error) {
    if (error instanceof InvalidInputError) throw new ConfigError("FORWARD_URL", error.message);
    throw error;
  }
  const queue = env.INBOX_QUEUE;
  if (!queue || typeof queue.send !== "function")
    throw new ConfigError("INBOX_QUEUE", "INBOX_QUEUE must be bound to a queue when FORWARD_URL is set");
  return { url, secret, queue, retryDelaySeconds: positiveInteger(env, "FORWARD_RETRY_DELAY_SECONDS", 30, 0) };
}
