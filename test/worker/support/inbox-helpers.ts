/** Driving the inbox (worker/inbox/): K2-shaped bodies signed as K2 signs them, the stored rows, waits. */
import { runInDurableObject } from "cloudflare:test";
import { inject } from "vitest";
import { DEV_API_KEY } from "../../../sandbox/credentials.ts";
import { signWebhook } from "../../../src/index.ts";
import type { InboxEvent } from "../../../worker/inbox/events.ts";
import { inboxOf } from "../../../worker/inbox/client.ts";
import type { K2Inbox } from "../../../worker/inbox/object.ts";
import { k2Settings } from "../../../worker/common/k2-settings.ts";
import type { ForwardedDelivery, ReceivedCallback } from "./global-setup.ts";
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
 * A payment link's result as K2 posts it: `attributes.status` is the request's processing status,
 * "Processed" in both, while the link itself is Active (`payment_link.payment_link_status`) and
 * then Paid (`payment_link.status`).
 */
export function paymentLinkResult(id: string, link: "Active" | "Paid") {
  const paymentLink =
    link === "Active"
      ? {
          link: "/links/abc123",
          expires_at: "2026-12-08T10:00:00+03:00",
          initiator_name: "Jane Doe",
          payment_link_status: "Active",
        }
      : {
          status: "Paid",
          link: "https://sandbox.kopokopo.com/links/abc123",
          expires_at: "2026-12-08T10:00:00+03:00",
          transaction_reference: "OJM6Q1W84K",
          sender_phone_number: 254712345678,
          origination_time: "2026-12-01T10:05:00+03:00",
        };
  return {
    data: {
      id,
      type: "payment_link",
      attributes: {
        status: "Processed",
        amount: { currency: "KES", value: "100.0" },
        till_number: "K000000",
        payment_link: paymentLink,
        metadata: {},
        _links: { callback_url: "https://proxy.example/k2/callbacks", self: `https://x/${id}` },
      },
    },
  };
}

/**
 * A payment's result: `attributes.status` stays "Processed" while the status of its one
 * disbursement changes (Pending, then Transferred).
 */
export function paymentResult(id: string, disbursement: string) {
  return {
    data: {
      id,
      type: "payment",
      attributes: {
        status: "Processed",
        created_at: "2026-12-01T10:00:00+03:00",
        amount: { currency: "KES", value: "100.0" },
        transfer_batches: [
          {
            status: "Processed",
            disbursements: [{ amount: "100.0", status: disbursement, destination_type: "Mobile Wallet" }],
          },
        ],
        metadata: {},
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
    state.storage.sql.exec("DELETE FROM identities");
    await state.storage.deleteAlarm();
  });
}

/** Every identity the inbox remembers (its tombstones), every column. */
export async function storedIdentities(): Promise<Record<string, unknown>[]> {
  return runInDurableObject(await inboxStub(), (_: K2Inbox, state) =>
    state.storage.sql.exec("SELECT * FROM identities ORDER BY seen_at").toArray(),
  );
}

/** Runs SQL in the inbox, as a test's way to age rows or reshape its tables. */
export async function inboxSql(query: string, ...bindings: unknown[]): Promise<Record<string, unknown>[]> {
  return runInDurableObject(await inboxStub(), (_: K2Inbox, state) =>
    state.storage.sql.exec(query, ...bindings).toArray(),
  );
}

/** The inbox's alarm time, or `null` for none. */
export async function inboxAlarm(): Promise<number | null> {
  return runInDurableObject(await inboxStub(), (_: K2Inbox, state) => state.storage.getAlarm());
}

/**
 * Runs `during` with the inbox object sending to `queue` instead of its INBOX_QUEUE, then puts the
 * real one back: a queue that fails, or one that accepts a message and loses it.
 */
export async function withInboxQueue<T>(queue: { send: () => Promise<unknown> }, during: () => Promise<T>): Promise<T> {
  const stub = await inboxStub();
  const real = await runInDurableObject(stub, (instance: K2Inbox) => {
    const env = (instance as unknown as { env: typeof baseEnv }).env;
    (instance as unknown as { env: unknown }).env = { ...env, INBOX_QUEUE: queue };
    return env.INBOX_QUEUE;
  });
  try {
    return await during();
  } finally {
    await runInDurableObject(stub, (instance: K2Inbox) => {
      const patched = instance as unknown as { env: typeof baseEnv };
      patched.env = { ...patched.env, INBOX_QUEUE: real };
    });
  }
}

/** Every delivery the forwarding backend got for the K2 webhook `webhookId`. */
export async function deliveriesOf(webhookId: string): Promise<ForwardedDelivery[]> {
  const all = (await (await fetch(`${inject("forwardReceiverUrl")}/__received`)).json()) as ForwardedDelivery[];
  return all.filter((delivery) => JSON.parse(delivery.body).payload?.id === webhookId);
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
