/**
 * `POST /k2/callbacks`: where K2 posts results (a request's `callback_url`) and webhooks (a
 * subscription's `url`). K2 cannot send a proxy key, so the signature is the authentication: the
 * body is read under a cap and a deadline, checked against `X-KopoKopo-Signature` with K2_API_KEY
 * over the raw bytes, parsed, and stored once. `200` means the event is written; any 5xx tells K2
 * to deliver it again, which is safe, since a duplicate is recognised and not stored twice.
 */
import { K2WebhookError, parseWebhook, type K2Notification } from "../../src/api/index.ts";
import {
  inboxNotConfigured,
  inboxUnavailable,
  invalidEvent,
  invalidSignature,
  jsonAnswer,
  methodNotAllowed,
} from "../answers.ts";
import { ConfigError, readInboxConfig, type Env, type InboxConfig, type ProxyConfig } from "../config.ts";
import type { RequestLog } from "../log.ts";
import { bodyRefusal, readRequestBody } from "../request-body.ts";
import { newEvent } from "./identity.ts";
import { inboxOf } from "./inbox.ts";

export const CALLBACK_PATH = "/k2/callbacks";

export async function receiveCallback(
  request: Request,
  env: Env,
  proxy: ProxyConfig,
  entry: RequestLog,
): Promise<Response> {
  const config = inboxConfigOrAnswer(env, entry);
  if (config instanceof Response) return config;
  if (request.method !== "POST") {
    entry.error = "method_not_allowed";
    return methodNotAllowed(["POST"]);
  }

  let body: ArrayBuffer;
  try {
    body =
      (await readRequestBody(request, { maxBytes: config.maxBodyBytes, timeoutMs: proxy.bodyTimeoutMs })) ??
      new ArrayBuffer(0);
  } catch (error) {
    return bodyRefusal(error, entry);
  }

  // parseWebhook checks the signature over the raw bytes before it parses anything.
  let notification: K2Notification;
  try {
    notification = await parseWebhook(body, request.headers.get("x-kopokopo-signature"), config.apiKey);
  } catch (error) {
    if (!(error instanceof K2WebhookError)) throw error;
    if (error.reason === "signature") {
      entry.error = "invalid_signature";
      return invalidSignature();
    }
    entry.error = "invalid_event";
    return invalidEvent(error.message);
  }

  const event = await newEvent(notification, new TextDecoder().decode(body).replace(/^\uFEFF/, ""));
  let duplicate: boolean;
  try {
    const inbox = await inboxOf(config.namespace, proxy.clientId);
    ({ duplicate } = await inbox.record(event, config.forward !== undefined));
  } catch {
    entry.error = "inbox_unavailable";
    return inboxUnavailable();
  }
  entry.inbox = duplicate ? "duplicate" : "stored";
  return jsonAnswer(200, { status: duplicate ? "duplicate" : "stored", id: event.id });
}

/** The inbox's settings, or the 503 that names the one missing or malformed. */
export function inboxConfigOrAnswer(env: Env, entry: RequestLog): InboxConfig | Response {
  try {
    return readInboxConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    entry.error = "configuration_error";
    return inboxNotConfigured(error.setting, error.message);
  }
}
