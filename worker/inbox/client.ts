/** The isolate's way to the inbox (object.ts) of the K2 application the Worker speaks for. */
import { sha256Hex } from "../common/sha256.ts";
import type { K2Inbox } from "./object.ts";

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
