/** The isolate's way to the inbox (object.ts) of the K2 application the Worker speaks for. */
import { sha256Hex } from "../common/sha256.ts";
import { identityId, resultIdentity } from "./identity.ts";
import type { K2Inbox, NewEvent } from "./object.ts";
import { inboxSettings, type InboxEnv } from "./settings.ts";

/**
 * The inbox of the K2 application `clientId`, named by a hash of it (no identifier in the name).
 * Not by the K2 origin too: the local sandbox's origin changes from one `npm start` to the next,
 * and its events must still be there.
 */
export async function inboxOf(
  namespace: DurableObjectNamespace<K2Inbox>,
  clientId: string,
): Promise<DurableObjectStub<K2Inbox>> {
  const name = (await sha256Hex(`k2-inbox\n${clientId}`)).slice(0, 32);
  return namespace.get(namespace.idFromName(name));
}

/** What another feature keeps in the inbox: K2's account of a resource it read itself. */
export interface StatusRead {
  data: { id: string; type: string; attributes?: unknown };
}

/**
 * Keeps K2's status of a payment, read because its callback never came, as a `reconciled` event
 * with a result's identity: K2's callback of the same state, arriving late, is then a duplicate,
 * and the backend gets one final event either way. Delivered like any event.
 */
export function recordReconciled(env: InboxEnv, status: StatusRead, payload: string) {
  return keep(env, resultIdentity(status.data), { kind: "reconciled", topic: null, type: status.data.type, payload });
}

/** Keeps the word that no status read settled a payment in time (it is now `unknown`): once per payment. */
export function recordUnreconciled(env: InboxEnv, payment: { id: string; type: string }, payload: string) {
  return keep(env, JSON.stringify(["unreconciled", payment.id]), {
    kind: "unreconciled",
    topic: null,
    type: payment.type,
    payload,
  });
}

async function keep(
  env: InboxEnv,
  identity: string,
  event: Omit<NewEvent, "id">,
): Promise<{ id: string; duplicate: boolean }> {
  const settings = inboxSettings(env);
  const id = await identityId(identity);
  const inbox = await inboxOf(settings.namespace, settings.clientId);
  const { duplicate } = await inbox.record({ id, ...event }, settings.forward !== undefined);
  return { id, duplicate };
}
export type { InboxEnv } from "./settings.ts";
