/**
 * `POST /k2/callbacks`: where K2 posts results (a request's `callback_url`) and webhooks (a
 * subscription's `url`). K2 cannot send a proxy key, so the signature is the authentication: the
 * body is read under a cap and a deadline, checked against `X-KopoKopo-Signature` with K2_API_KEY
 * over the raw bytes, parsed, and stored once. `200` means the event is written; any 5xx tells K2
 * to deliver it again, which is safe, since a duplicate is recognised and not stored twice.
 */
import { K2WebhookError, parseWebhook, type K2Notification } from "../../src/api/index.ts";
import type { RequestLog } from "../common/log.ts";
import { bodyRefusal, bodyTimeoutMs, readRequestBody } from "../common/request-body.ts";
import { configurationError, jsonResponse, methodNotAllowed, refusal } from "../common/responses.ts";
import { ConfigError } from "../common/settings.ts";
import { settleByReport, type LedgerEnv } from "../ledger/client.ts";
import { inboxOf } from "./client.ts";
import { newEvent } from "./identity.ts";
import { inboxSettings, type InboxEnv, type InboxSettings } from "./settings.ts";

export async function receiveCallback(request: Request, env: InboxEnv & LedgerEnv, log: RequestLog): Promise<Response> {
  const settings = inboxSettingsOrRefusal(env);
  if (settings instanceof Response) return settings;
  if (request.method !== "POST") return methodNotAllowed(["POST"]);

  let body: ArrayBuffer;
  try {
    body =
      (await readRequestBody(request, { maxBytes: settings.maxBodyBytes, timeoutMs: bodyTimeoutMs(env) })) ??
      new ArrayBuffer(0);
  } catch (error) {
    return bodyRefusal(error);
  }

  // parseWebhook checks the signature over the raw bytes before it parses anything.
  let notification: K2Notification;
  try {
    notification = await parseWebhook(body, request.headers.get("x-kopokopo-signature"), settings.apiKey);
  } catch (error) {
    if (!(error instanceof K2WebhookError)) throw error;
    if (error.reason === "signature")
      return refusal(401, "invalid_signature", "X-KopoKopo-Signature does not match the body; nothing was stored");
    return refusal(400, "invalid_event", `${error.message}; nothing was stored`);
  }

  const event = await newEvent(notification, new TextDecoder().decode(body).replace(/^\uFEFF/, ""));
  let duplicate: boolean;
  try {
    const inbox = await inboxOf(settings.namespace, settings.clientId);
    ({ duplicate } = await inbox.record(event, settings.forward !== undefined));
  } catch {
    // Nothing was kept, so K2's next delivery of it is accepted.
    return refusal(503, "inbox_unavailable", "The event could not be stored; nothing was kept, deliver it again");
  }
  log.inbox = duplicate ? "duplicate" : "stored";
  if (notification.kind === "result" || notification.kind === "unknown_result") {
    // A duplicate settles too: the first delivery's settlement may not have been written.
    try {
      await settleByReport(env, notification.payload.data, event.id, "callback");
    } catch {
      // The event is kept; the reconciler settles the payment by a status read, as a duplicate of this.
      log.ledger = "not_recorded";
    }
  }
  return jsonResponse(200, { status: duplicate ? "duplicate" : "stored", id: event.id });
}

/**
 * The inbox's settings, or a 503 naming the one missing or malformed: a 5xx, so that K2 delivers
 * again once it is set.
 */
export function inboxSettingsOrRefusal(env: InboxEnv): InboxSettings | Response {
  try {
    return inboxSettings(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return configurationError(error.setting, error.message, 503);
  }
}
