/**
 * The proxy's own settings; the K2 connection it shares with the broker and the inbox is in
 * common/k2-settings.ts.
 */
import type { IdempotencyEnv } from "../idempotency/client.ts";
import { callerKeys, type CallerEnv } from "../common/callers.ts";
import { k2Settings, type K2Env } from "../common/k2-settings.ts";
import { bodyTimeoutMs, type BodyEnv } from "../common/request-body.ts";
import type { LedgerEnv } from "../ledger/client.ts";
import type { OwnershipEnv } from "../ownership/client.ts";
import { brokerSettings, type BrokerEnv } from "../token-broker/client.ts";
import { ConfigError, originSetting, settingsOf, wholeNumber } from "../common/settings.ts";
import { namesK2Host } from "./location.ts";

/** What the proxy reads: its own settings, and those of the features it calls. */
export interface ProxyEnv extends K2Env, CallerEnv, BodyEnv, BrokerEnv, IdempotencyEnv, OwnershipEnv, LedgerEnv {
  /** Largest request body sent on to K2, in bytes. Default 1 MiB. */
  MAX_BODY_BYTES?: string;
  /** The proxy's public origin, written into rewritten `Location` headers. Default: the request's. */
  PUBLIC_ORIGIN?: string;
}

export interface ProxySettings {
  maxBodyBytes: number;
  /** `undefined` when unset: the origin then comes from each request (see location.ts). */
  publicOrigin: string | undefined;
}

/**
 * The proxy's settings, checked once per isolate with every other setting the proxy depends on
 * (K2's, the caller keys, the body deadline, the broker's), so that a Worker with any of them
 * broken refuses every proxy request, `/healthz` included, rather than some.
 */
export const proxySettings = (env: ProxyEnv): ProxySettings => settingsOf(env, readProxySettings);

function readProxySettings(env: ProxyEnv): ProxySettings {
  k2Settings(env);
  void callerKeys(env);
  bodyTimeoutMs(env);
  brokerSettings(env);
  return {
    maxBodyBytes: wholeNumber(env.MAX_BODY_BYTES, "MAX_BODY_BYTES", 1024 * 1024),
    publicOrigin: publicOrigin(env),
  };
}

/**
 * `PUBLIC_ORIGIN` through the one origin guard, and never K2's own origin: a Location written on it
 * would send callers, and their proxy keys, to K2.
 */
function publicOrigin(env: ProxyEnv): string | undefined {
  const raw = env.PUBLIC_ORIGIN;
  if (raw === undefined || raw.trim() === "") return undefined;
  const origin = originSetting(raw.trim(), "PUBLIC_ORIGIN");
  if (namesK2Host(new URL(origin), k2Settings(env).k2Origin))
    throw new ConfigError("PUBLIC_ORIGIN", "PUBLIC_ORIGIN must be the proxy's own origin, not K2's");
  return origin;
}
