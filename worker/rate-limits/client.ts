/**
 * The proxy's side of a scoped key's rate limits (object.ts): one check per request, after the
 * body limits and before anything is sent to K2. A request costs one round trip to the key's
 * Durable Object when its key has a limit that applies to it, and none otherwise.
 */
import { forbidden } from "../common/authorization.ts";
import type { Caller } from "../common/callers.ts";
import { destinationForm } from "../common/key-policies.ts";
import { configurationError, refusal } from "../common/responses.ts";
import { toHex } from "../common/sha256.ts";
import type { Admission, Limits, RateLimits } from "./object.ts";

export interface RateLimitEnv {
  /** The scoped keys' rate limits. Unbound, a key with a rate limit is refused (503), never unlimited. */
  RATE_LIMITS?: DurableObjectNamespace<RateLimits>;
}

/** An STK push: the only request that prompts a phone. */
const STK_PUSH = /^\/api\/v[12]\/incoming_payments$/;

/**
 * A 429 (over a limit), a 503 (the limits could not be checked) or a 403 (an STK push whose phone
 * cannot be read by a key limited per phone), or `undefined` when the request may go on. Nothing
 * is sent to K2 in the first three cases.
 */
export async function rateLimitRefusal(
  env: RateLimitEnv,
  caller: Caller,
  method: string,
  path: string,
  body: ArrayBuffer | undefined,
): Promise<Response | undefined> {
  const policy = caller.policy;
  if (!policy || caller.id === undefined) return undefined;
  const limits: Limits = {};
  if (policy.ratePerMinute !== undefined) limits.perMinute = policy.ratePerMinute;
  if (policy.phoneRatePerHour !== undefined && method === "POST" && STK_PUSH.test(path)) {
    const phone = phoneOf(body);
    // K2 would not prompt without a phone; refusing what cannot be counted keeps the limit whole.
    if (phone === undefined)
      return forbidden(
        caller,
        "phone_rate_per_hour",
        "its subscriber.phone_number cannot be read, so its limit cannot be checked",
      );
    limits.phone = { digest: await phoneDigest(caller.keyDigest, phone), perHour: policy.phoneRatePerHour };
  }
  if (limits.perMinute === undefined && limits.phone === undefined) return undefined;

  const namespace = env.RATE_LIMITS;
  // Fail closed: a key given a limit must never run without one (docs/keys.md).
  if (!namespace)
    return configurationError(
      "RATE_LIMITS",
      "RATE_LIMITS is not bound, so this key's rate limits cannot be kept; nothing was sent to K2",
      503,
    );
  let admission: Admission;
  try {
    admission = await namespace.get(namespace.idFromName(objectName(caller.id))).admit(limits);
  } catch {
    return refusal(
      503,
      "rate_limit_unavailable",
      "This key's rate limits could not be checked; nothing was sent to K2. Retry shortly",
      { key_id: caller.id },
      { "retry-after": "1" },
    );
  }
  if (admission.admitted) return undefined;
  const seconds = Math.max(1, Math.ceil(admission.retryAfterMs / 1000));
  const what =
    admission.rule === "rate_per_minute"
      ? `it sent ${policy.ratePerMinute} requests in the last minute`
      : `it prompted this phone ${policy.phoneRatePerHour} times in the last hour`;
  const message = `The key "${caller.id}" is over its limit (${admission.rule}): ${what}; nothing was sent to K2. Retry after ${seconds} s`;
  return refusal(
    429,
    "rate_limited",
    message,
    { rule: admission.rule, key_id: caller.id },
    { "retry-after": String(seconds) },
  );
}

/**
 * The object of a key id: every key under one id (two during a rotation) shares its limits, as
 * the limits belong to what the key is for, not to its bytes.
 */
export const objectName = (keyId: string): string => `rate-limits:${keyId}`;

/**
 * The phone an STK push prompts, as written (phoneDigest spells it one way), or `undefined` when
 * the body names none.
 */
function phoneOf(body: ArrayBuffer | undefined): string | undefined {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(body ?? new ArrayBuffer(0)));
  } catch {
    return undefined;
  }
  const subscriber = (json as { subscriber?: { phone_number?: unknown } } | null)?.subscriber;
  const phone = typeof subscriber === "object" && subscriber !== null ? subscriber.phone_number : undefined;
  if (typeof phone !== "string" && typeof phone !== "number") return undefined;
  const text = String(phone).trim();
  return text === "" ? undefined : text;
}

/**
 * What the object stores for a phone: an HMAC of its one spelling under the key's digest. The
 * digest lives only in PROXY_KEY_POLICIES (a secret), never in the object, so its storage alone
 * cannot be turned back into numbers by trying every phone.
 */
export async function phoneDigest(keyDigest: string, phone: string): Promise<string> {
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(`phone-rate\n${keyDigest}`),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign("HMAC", key, encoder.encode(destinationForm(phone)));
  return toHex(mac);
}
