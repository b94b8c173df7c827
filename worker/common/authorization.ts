/**
 * What a caller may do: the capability a request needs, and the limits a scoped key's policy puts
 * on a request's body, checked before anything is sent to K2. A full-access key (PROXY_KEYS) may
 * do everything K2 allows.
 */
import type { Caller } from "./callers.ts";
import { destinationForm, K2_RESOURCES, type Capability, type KeyPolicy } from "./key-policies.ts";
import { refusal } from "./responses.ts";

const READ_METHODS = new Set(["GET", "HEAD"]);
const RESOURCES = new Set<string>(K2_RESOURCES);

/** The capability a request needs, from its path and method; `undefined` for a path no capability names. */
export function capabilityOf(method: string, pathname: string): Capability | undefined {
  const access = READ_METHODS.has(method) ? "read" : "write";
  if (pathname === "/k2/events" || pathname.startsWith("/k2/events/")) return `events:${access}`;
  // The ledger's reads share the name of K2's v1 pay resource: reading payments, either way.
  if (pathname === "/payments" || pathname.startsWith("/payments/")) return `payments:${access}`;
  const resource = /^\/api\/v[12]\/([A-Za-z0-9_-]+)/.exec(pathname)?.[1];
  return resource && RESOURCES.has(resource) ? (`${resource}:${access}` as Capability) : undefined;
}

/** Whether the caller may use `capability` (a full-access key may use any). */
export function allows(caller: Caller, capability: Capability | undefined): boolean {
  const allow = caller.policy?.allow;
  if (allow === undefined || allow === "*") return true;
  return capability !== undefined && allow.has(capability);
}

/** 403 naming the rule and the key id, never the key: nothing was sent to K2. */
export function forbidden(caller: Caller, rule: string, message: string): Response {
  const text = `The key "${caller.id}" may not do this (${rule}): ${message}; nothing was sent to K2`;
  return refusal(403, "forbidden", text, { rule, key_id: caller.id ?? null });
}

/** The capability refusal for `capability`. */
export function notAllowed(caller: Caller, capability: Capability | undefined): Response {
  return forbidden(caller, "allow", `it is not allowed ${capability ?? "this path"}`);
}

/** The parts of a payment request the limits read. */
interface Reading {
  /** The amount moved, in KES; `null` when the request moves an amount that cannot be known. */
  amount?: number | null;
  tills: string[];
  callbackUrls: string[];
  destinations: string[];
}

/**
 * The first limit of the caller's policy the request breaks, as a 403, or `undefined` when it
 * breaks none. Only a POST's JSON body is read, and only when the policy sets a body limit.
 */
export function bodyLimitRefusal(
  caller: Caller,
  method: string,
  pathname: string,
  body: ArrayBuffer | undefined,
): Response | undefined {
  const policy = caller.policy;
  if (!policy || method !== "POST" || !hasBodyLimit(policy)) return undefined;
  const resource = /^\/api\/v[12]\/([A-Za-z0-9_-]+)$/.exec(pathname)?.[1];
  if (resource === undefined) return undefined; // a cancel, on a resource whose creation was checked
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(body ?? new ArrayBuffer(0)));
  } catch {
    return forbidden(caller, "body", "its body is not JSON, so its limits cannot be checked");
  }
  const reading = read(resource, json);
  if (policy.maxAmount !== undefined && reading.amount !== undefined) {
    if (reading.amount === null)
      return forbidden(caller, "max_amount", "the amount it moves cannot be known (a whole-balance transfer)");
    if (reading.amount > policy.maxAmount)
      return forbidden(caller, "max_amount", `it moves ${reading.amount} KES, above ${policy.maxAmount}`);
  }
  if (policy.tills)
    for (const till of reading.tills)
      if (!policy.tills.has(till)) return forbidden(caller, "tills", `it names till ${till.slice(0, 20)}`);
  if (policy.callbackHosts)
    for (const url of reading.callbackUrls) {
      const host = hostOf(url);
      if (host === undefined || !policy.callbackHosts.has(host))
        return forbidden(caller, "callback_hosts", `its callback goes to ${host ?? "an unreadable URL"}`);
    }
  if (policy.destinations && reading.destinations.length > 0)
    for (const destination of reading.destinations)
      if (!policy.destinations.has(destinationForm(destination)))
        return forbidden(caller, "destinations", "it pays a destination the key may not pay");
  if (policy.destinations && resource === "send_money" && reading.destinations.length === 0)
    return forbidden(caller, "destinations", "a transfer to the merchant's own accounts names no destination");
  return undefined;
}

function hasBodyLimit(policy: KeyPolicy): boolean {
  return (
    policy.maxAmount !== undefined ||
    policy.tills !== undefined ||
    policy.callbackHosts !== undefined ||
    policy.destinations !== undefined
  );
}

/** What each K2 create moves and names, read as K2 reads it (numbers or strings, any nesting the docs show). */
function read(resource: string, json: unknown): Reading {
  const body = record(json);
  const reading: Reading = { tills: [], callbackUrls: [], destinations: [] };
  const callback = text(record(body._links).callback_url);
  if (callback !== undefined) reading.callbackUrls.push(callback);
  switch (resource) {
    case "incoming_payments":
      reading.amount = amount(record(body.amount).value);
      pushText(reading.tills, body.till_number);
      break;
    case "payment_links":
      reading.amount = amount(body.amount);
      pushText(reading.tills, body.till_number);
      break;
    case "send_money": {
      const destinations = Array.isArray(body.destinations) ? body.destinations.map(record) : [];
      reading.amount =
        destinations.length === 0
          ? null
          : destinations.reduce<number | null>((sum, destination) => {
              const value = amount(destination.amount);
              return sum === null || value === null ? null : sum + value;
            }, 0);
      for (const destination of destinations)
        for (const field of ["phone_number", "till_number", "paybill_number", "account_number", "reference"])
          pushText(reading.destinations, destination[field]);
      break;
    }
    case "payments":
      reading.amount = amount(record(body.amount).value);
      pushText(reading.destinations, body.destination_reference);
      break;
    case "settlement_transfers":
      reading.amount = body.amount === undefined || body.amount === null ? null : amount(record(body.amount).value);
      pushText(reading.destinations, body.destination_reference);
      break;
    case "webhook_subscriptions": {
      // A subscription's URL is where events go: a stolen key must not redirect them either.
      const url = text(body.url);
      if (url !== undefined) reading.callbackUrls.push(url);
      break;
    }
  }
  return reading;
}

const record = (value: unknown): Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};

function text(value: unknown): string | undefined {
  return typeof value === "string" || typeof value === "number" ? String(value).trim() || undefined : undefined;
}

function pushText(into: string[], value: unknown): void {
  const found = text(value);
  if (found !== undefined) into.push(found);
}

/** An amount as K2 reads it (a number or numeric string); `null` when absent or unreadable. */
function amount(value: unknown): number | null {
  const parsed = typeof value === "number" ? value : typeof value === "string" ? Number(value.trim()) : Number.NaN;
  return Number.isFinite(parsed) ? parsed : null;
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}
