/**
 * The isolate's way to the owners of K2 resources (object.ts): recorded when a named key creates
 * one, read when a scoped key reads one or lists events.
 */
import type { Caller } from "../common/callers.ts";
import { k2Settings, type K2Env } from "../common/k2-settings.ts";
import { sha256Hex } from "../common/sha256.ts";
import type { ResourceOwners } from "./object.ts";

export interface OwnershipEnv extends K2Env {
  /** The owners of K2 resources. Unbound, scoped keys cannot read resources by id (they are refused). */
  OWNERS?: DurableObjectNamespace<ResourceOwners>;
}

/** Whether the caller reads only what it created: a scoped key that is not `"*"`. */
export const readsOnlyItsOwn = (caller: Caller): boolean => caller.policy !== undefined && caller.policy.allow !== "*";

async function ownersOf(env: OwnershipEnv): Promise<DurableObjectStub<ResourceOwners> | undefined> {
  const namespace = env.OWNERS;
  if (!namespace) return undefined;
  const name = (await sha256Hex(`k2-owners\n${k2Settings(env).clientId}`)).slice(0, 32);
  return namespace.get(namespace.idFromName(name));
}

/** Records that the caller created the resource at `location` (a caller-facing path or URL). */
export async function recordOwner(env: OwnershipEnv, caller: Caller, location: string): Promise<void> {
  if (caller.id === undefined) return;
  const found = /\/api\/v[12]\/([A-Za-z0-9_-]+)\/([A-Za-z0-9_-]+)(?:[?#]|$)/.exec(location);
  const owners = await ownersOf(env);
  if (!found || !owners) return;
  await owners.record(found[2]!, found[1]!, caller.id);
}

/** Whether the caller created resource `id` (any caller that is not restricted to its own does). */
export async function owns(env: OwnershipEnv, caller: Caller, id: string): Promise<boolean> {
  if (!readsOnlyItsOwn(caller)) return true;
  const owners = await ownersOf(env);
  if (!owners) return false;
  return (await owners.owners([id]))[id] === caller.id;
}

/** Of `ids`, those the caller created. */
export async function ownedOf(env: OwnershipEnv, caller: Caller, ids: string[]): Promise<Set<string>> {
  if (!readsOnlyItsOwn(caller)) return new Set(ids);
  const owners = await ownersOf(env);
  if (!owners || ids.length === 0) return new Set();
  const found = await owners.owners([...new Set(ids)]);
  return new Set(ids.filter((id) => found[id] === caller.id));
}
