/**
 * The inbox's settings: apart from the proxy's, so that the API works without them, and read in
 * parts, so that the Durable Object's retention never depends on forwarding being set up right.
 */
import { k2Settings, type K2Env } from "../common/k2-settings.ts";
import type { BodyEnv } from "../common/request-body.ts";
import { ConfigError, requiredBinding, settingsOf, urlSetting, wholeNumber } from "../common/settings.ts";
import type { DeliveryMessage } from "./delivery.ts";
import type { K2Inbox } from "./object.ts";

export interface InboxEnv extends K2Env, BodyEnv {
  /** The API key K2 signs callbacks and webhooks with. Unset, `/k2/callbacks` answers 503. */
  K2_API_KEY?: string;
  /** The inbox of K2's callbacks and webhooks (object.ts). */
  INBOX?: DurableObjectNamespace<K2Inbox>;
  /** Largest callback or webhook body accepted, in bytes. Default 262 144 (256 KiB). */
  INBOX_MAX_BODY_BYTES?: string;
  /** How long an event is kept, in days. Default 30. */
  INBOX_RETENTION_DAYS?: string;
  /**
   * How long an event's identity is remembered after it arrived, in days, so that a later delivery
   * of it (K2's, or a replay of a captured one) is answered `duplicate`. Default 365; never less
   * than INBOX_RETENTION_DAYS.
   */
  INBOX_IDENTITY_DAYS?: string;
  /** Where each event is POSTed (delivery.ts). Set with FORWARD_SECRET or not at all. */
  FORWARD_URL?: string;
  /** The key of the `X-K2-Edge-Signature` on delivered events. */
  FORWARD_SECRET?: string;
  /** The queue deliveries go through; wrangler.toml binds it and consumes it. */
  INBOX_QUEUE?: Queue<DeliveryMessage>;
  /** The first retry's delay of a failed delivery, in seconds; it doubles with each attempt. Default 30. */
  FORWARD_RETRY_DELAY_SECONDS?: string;
}

/** Where and how events are delivered to the backend. */
export interface Forwarding {
  url: string;
  secret: string;
  queue: Queue<DeliveryMessage>;
  retryDelaySeconds: number;
}

export interface InboxSettings {
  apiKey: string;
  /** The K2 application whose inbox this is (client.ts names it by a hash of this). */
  clientId: string;
  namespace: DurableObjectNamespace<K2Inbox>;
  maxBodyBytes: number;
  retentionMs: number;
  identityMs: number;
  /** `undefined` when events are only kept, to be read with `GET /k2/events`. */
  forward: Forwarding | undefined;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** The inbox's settings, or a {@link ConfigError} naming the first one missing or malformed. */
export const inboxSettings = (env: InboxEnv): InboxSettings => settingsOf(env, readInboxSettings);

/** How long the inbox keeps an event; the Durable Object's alarm reads it. */
export const retentionMs = (env: InboxEnv): number => settingsOf(env, readRetention);

const readRetention = (env: InboxEnv) => wholeNumber(env.INBOX_RETENTION_DAYS, "INBOX_RETENTION_DAYS", 30) * DAY_MS;

/**
 * How long the inbox remembers an event's identity; the Durable Object's alarm reads it. At least
 * the events' retention: an identity forgotten while its event is kept would let the event be
 * stored twice.
 */
export const identityMs = (env: InboxEnv): number => settingsOf(env, readIdentity);

const readIdentity = (env: InboxEnv) =>
  Math.max(wholeNumber(env.INBOX_IDENTITY_DAYS, "INBOX_IDENTITY_DAYS", 365) * DAY_MS, retentionMs(env));

/**
 * The forwarding settings alone (`undefined` when forwarding is off), for the Durable Object, whose
 * re-sending must not depend on K2_API_KEY or the K2 settings being right.
 */
export const forwardingSettings = (env: InboxEnv): Forwarding | undefined => settingsOf(env, forwarding);

function readInboxSettings(env: InboxEnv): InboxSettings {
  const apiKey = env.K2_API_KEY;
  if (typeof apiKey !== "string" || apiKey === "")
    throw new ConfigError("K2_API_KEY", "K2_API_KEY is missing: callbacks and webhooks cannot be verified");
  return {
    apiKey,
    clientId: k2Settings(env).clientId,
    namespace: requiredBinding(env.INBOX, "INBOX", "idFromName", "INBOX must be bound to the K2Inbox Durable Object"),
    maxBodyBytes: wholeNumber(env.INBOX_MAX_BODY_BYTES, "INBOX_MAX_BODY_BYTES", 256 * 1024),
    retentionMs: retentionMs(env),
    identityMs: identityMs(env),
    forward: forwardingSettings(env),
  };
}

function forwarding(env: InboxEnv): Forwarding | undefined {
  const url = env.FORWARD_URL?.trim() || undefined;
  const secret = env.FORWARD_SECRET || undefined;
  if (!url && !secret) return undefined;
  if (!url) throw new ConfigError("FORWARD_URL", "FORWARD_SECRET is set without FORWARD_URL: set both or neither");
  if (!secret)
    throw new ConfigError("FORWARD_SECRET", "FORWARD_URL is set without FORWARD_SECRET: set both or neither");
  return {
    url: urlSetting(url, "FORWARD_URL"),
    secret,
    queue: requiredBinding(
      env.INBOX_QUEUE,
      "INBOX_QUEUE",
      "send",
      "INBOX_QUEUE must be bound to a queue when FORWARD_URL is set",
    ),
    retryDelaySeconds: wholeNumber(env.FORWARD_RETRY_DELAY_SECONDS, "FORWARD_RETRY_DELAY_SECONDS", 30, 0),
  };
}
