/** Driving the inbox (worker/inbox/): K2-shaped bodies signed as K2 signs them, the stored rows, waits. */
import { runInDurableObject } from "cloudflare:test";
import { inject } from "vitest";
import { DEV_API_KEY } from "../../../sandbox/credentials.ts";
import { signWebhook } from "../../../src/index.ts";
import type { InboxEvent } from "../../../worker/inbox/events.ts";
import { inboxOf } from "../../../worker/inbox/client.ts";
import type { K2Inbox } from "../../../worker/inbox/object.ts";
import { k2Settings } from "../../../worker/common/k2-settings.ts";
import type { ReceivedCallback } from "./global-setup.ts";
import { baseEnv, KEY, proxyRequest } from "./harness.ts";

/** The test Worker's env with forwarding off: events are only kept. */
export const keepOnlyEnv = { ...baseEnv, FORWARD_URL: undefined, FORWARD_SECRET: undefined };

/** A buygoods webhook as K2 posts it, with its own event id. */
export function webhook(id: string = crypto.randomUUID(), topic = "buygoods_transaction_received") {
  return {
    topic,
    id,
    created_at: "2026-12-01T10:00:00+03:00",
    event: {
      type: "Buygoods Transaction",
      resource: {
        id: crypto.randomUUID(),
        amount: "100.0",
        status: "Received",
        system: "Lipa Na M-PESA",
        currency: "KES",
        reference: "OJM6Q1W84K",
        till_number: "K000000",
        sender_phone_number: "+254712345678",
        origination_time: "2026-12-01T10:00:00+03:00",
        sender_first_name: "Jane",
        sender_last_name: "Doe",
      },
    },
    _links: { self: `https://sandbox.kopokopo.com/webhook_events/${id}`, resource: "https://sandbox.kopokopo.com/x" },
  };
}

/** An incoming payment's result as K2 posts it to the request's callback_url. */
export function result(id: string, status: string) {
  return {
    data: {
      id,
      type: "incoming_payment",
      attributes: {
        initiation_time: "2026-12-01T10:00:00+03:00",
        status,
        event: { type: "Incoming Payment Request", resource: null, errors: null },
        metadata: {},
        _links: { callback_url: "https://proxy.example/k2/callbacks", self: `https://x/${id}` },
      },
    },
  };
}

/**
 * A POST to /k2/callbacks as K2 sends it: no proxy key, signed with the sandbox application's API
 * key unless `signature` is given (`null`: no signature header).
 */
export async function callback(body: string, signature?: string | null): Promise<Request> {
  const headers = new Headers({ "content-type": "application/json" });
  const value = signature === undefined ? await signWebhook(body, DEV_API_KEY) : signature;
  if (value !== null) headers.set("x-kopokopo-signature", value);
  return proxyRequest("/k2/callbacks", { method: "POST", key: null, headers, body });
}

/** The inbox the proxy under test writes to. */
export async function inboxStub(): Promise<DurableObjectStub<K2Inbox>> {
  return inboxOf(baseEnv.INBOX!, k2Settings(baseEnv).clientId);
}

/** Every stored row, every column. */
export async function storedRows(): Promise<Record<string, unknown>[]> {
  return runInDurableObject(await inboxStub(), (_: K2Inbox, state) =>
    state.storage.sql.exec("SELECT * FROM events ORDER BY seq").toArray(),
  );
}

export async function emptyInbox(): Promise<void> {
  await runInDurableObject(await inboxStub(), async (_: K2Inbox, state) => {
    state.storage.sql.exec("DELETE FROM events");
    await state.storage.deleteAlarm();
  });
}

/** `GET /k2/events/<id>` with a proxy key. */
export function eventRequest(id: string): Request {
  return proxyRequest(`/k2/events/${id}`, { key: KEY });
}

/** `fn()` once `done` holds for it, polling (bounded: 10 s). */
export async function eventually<T>(fn: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  let value = await fn();
  for (let attempt = 0; attempt < 100 && !done(value); attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = await fn();
  }
  if (!done(value)) throw new Error(`still not done after 10 s: ${JSON.stringify(value).slice(0, 500)}`);
  return value;
}

/** The event as `GET /k2/events/<id>` answers it, through a proxy handler. */
export async function readEvent(
  proxy: (request: Request, env: typeof baseEnv) => Promise<Response>,
  id: string,
): Promise<InboxEvent> {
  const response = await proxy(eventRequest(id), baseEnv);
  if (response.status !== 200) throw new Error(`GET /k2/events/${id}: ${response.status}`);
  return response.json();
}

/** The delivery the sandbox sent to the callback receiver at `path`, waiting for it. */
export async function sandboxDeliveryTo(path: string): Promise<ReceivedCallback> {
  const received = await eventually(
    async () => (await (await fetch(`${inject("callbackReceiverUrl")}/received`)).json()) as ReceivedCallback[],
    (all) => all.some((delivery) => delivery.path === path),
  );
  return received.find((delivery) => delivery.path === path)!;
}
