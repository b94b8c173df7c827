/**
 * Scoped keys: `PROXY_KEY_POLICIES`, a JSON array of keys that may do only what they are for
 * (Stripe's restricted and publishable keys, for K2). Each key is stored as its SHA-256 digest
 * only, so a leaked configuration leaks no key. A malformed policy refuses to start, naming the
 * key id and the field, never a key.
 */
import { ConfigError } from "./settings.ts";

/** The K2 resources a capability names: the path segment after `/api/vN/`. */
export const K2_RESOURCES = [
  "incoming_payments",
  "send_money",
  "payments",
  "pay_recipients",
  "external_recipients",
  "merchant_bank_accounts",
  "merchant_wallets",
  "settlement_transfers",
  "polling",
  "payment_links",
  "reversals",
  "transaction_sms_notifications",
  "webhook_subscriptions",
] as const;

/** The edge's own resources a capability may name besides K2's. */
const EDGE_RESOURCES = ["events"] as const;

/** `<resource>:read` (GET, HEAD) or `<resource>:write` (POST, PUT, PATCH, DELETE), or `"*"` for all. */
export type Capability = `${(typeof K2_RESOURCES)[number] | (typeof EDGE_RESOURCES)[number]}:${"read" | "write"}`;

/** A scoped key's policy, checked. */
export interface KeyPolicy {
  readonly id: string;
  /** Lowercase hex SHA-256 of the key. */
  readonly sha256: string;
  /** What the key may do; `"*"` is everything. */
  readonly allow: ReadonlySet<Capability> | "*";
  /** The largest amount one request may move, in KES (for send money, the sum of its destinations). */
  readonly maxAmount?: number;
  /** Till numbers an STK push or payment link may name. */
  readonly tills?: ReadonlySet<string>;
  /** Hosts `_links.callback_url` may name. */
  readonly callbackHosts?: ReadonlySet<string>;
  /** What a send money or pay may pay: phone numbers (any spelling), till, paybill numbers, references. */
  readonly destinations?: ReadonlySet<string>;
  /** Requests per minute for the key, across isolates. */
  readonly ratePerMinute?: number;
  /** STK prompts per phone number per hour for the key. */
  readonly phoneRatePerHour?: number;
  /** Browser origins answered with CORS. */
  readonly origins?: readonly string[];
}

const SETTING = "PROXY_KEY_POLICIES";
const KEY_ID = /^[A-Za-z0-9_.-]{1,64}$/;
const FIELDS = new Set([
  "id",
  "sha256",
  "allow",
  "max_amount",
  "tills",
  "callback_hosts",
  "destinations",
  "rate_per_minute",
  "phone_rate_per_hour",
  "origins",
]);

/** The checked policies of `PROXY_KEY_POLICIES` (none when unset). */
export function parseKeyPolicies(raw: string | undefined): KeyPolicy[] {
  if (raw === undefined || raw.trim() === "") return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError(SETTING, `${SETTING} must be a JSON array of key policies`);
  }
  if (!Array.isArray(parsed)) throw new ConfigError(SETTING, `${SETTING} must be a JSON array of key policies`);
  const policies = parsed.map((entry, index) => policyOf(entry, index));
  const digests = new Set<string>();
  for (const policy of policies) {
    if (digests.has(policy.sha256)) throw problem(policy.id, "sha256", "is the digest of another policy's key");
    digests.add(policy.sha256);
  }
  return policies;
}

function policyOf(entry: unknown, index: number): KeyPolicy {
  if (typeof entry !== "object" || entry === null || Array.isArray(entry))
    throw new ConfigError(SETTING, `${SETTING}[${index}] must be an object`);
  const fields = entry as Record<string, unknown>;
  const id = fields.id;
  if (typeof id !== "string" || !KEY_ID.test(id))
    throw new ConfigError(SETTING, `${SETTING}[${index}].id must be 1 to 64 of A-Z a-z 0-9 _ . -`);
  for (const name of Object.keys(fields))
    if (!FIELDS.has(name)) throw problem(id, name, "is not a policy field (a typo would widen or narrow the key)");
  const sha256 = fields.sha256;
  if (typeof sha256 !== "string" || !/^[0-9a-f]{64}$/.test(sha256))
    throw problem(id, "sha256", "must be the lowercase hex SHA-256 of the key (64 characters)");
  return {
    id,
    sha256,
    allow: allowOf(id, fields.allow),
    maxAmount: optional(fields.max_amount, () => positiveAmount(id, fields.max_amount)),
    tills: optional(fields.tills, () => textSet(id, "tills", fields.tills)),
    callbackHosts: optional(fields.callback_hosts, () =>
      textSet(id, "callback_hosts", fields.callback_hosts, (host) => host.toLowerCase()),
    ),
    destinations: optional(fields.destinations, () =>
      textSet(id, "destinations", fields.destinations, destinationForm),
    ),
    ratePerMinute: optional(fields.rate_per_minute, () => count(id, "rate_per_minute", fields.rate_per_minute)),
    phoneRatePerHour: optional(fields.phone_rate_per_hour, () =>
      count(id, "phone_rate_per_hour", fields.phone_rate_per_hour),
    ),
    origins: optional(fields.origins, () => [...textSet(id, "origins", fields.origins, originForm(id))]),
  };
}

function allowOf(id: string, allow: unknown): KeyPolicy["allow"] {
  if (!Array.isArray(allow) || allow.length === 0)
    throw problem(id, "allow", 'must be a non-empty array of capabilities, such as "incoming_payments:write", or "*"');
  if (allow.includes("*")) return "*";
  const known = new Set<string>(
    [...K2_RESOURCES, ...EDGE_RESOURCES].flatMap((resource) => [`${resource}:read`, `${resource}:write`]),
  );
  for (const capability of allow)
    if (typeof capability !== "string" || !known.has(capability))
      throw problem(id, "allow", `names ${JSON.stringify(String(capability)).slice(0, 80)}, which is not a capability`);
  return new Set(allow as Capability[]);
}

const optional = <T>(value: unknown, read: () => T): T | undefined =>
  value === undefined || value === null ? undefined : read();

function positiveAmount(id: string, value: unknown): number {
  const amount = typeof value === "number" ? value : typeof value === "string" ? Number(value.trim()) : Number.NaN;
  if (!Number.isFinite(amount) || amount <= 0) throw problem(id, "max_amount", "must be a positive amount in KES");
  return amount;
}

function count(id: string, field: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1)
    throw problem(id, field, "must be a whole number of at least 1");
  return value;
}

function textSet(id: string, field: string, value: unknown, form = (text: string) => text): ReadonlySet<string> {
  if (!Array.isArray(value) || value.length === 0) throw problem(id, field, "must be a non-empty array of strings");
  return new Set(
    value.map((item) => {
      if ((typeof item !== "string" && typeof item !== "number") || String(item).trim() === "")
        throw problem(id, field, "must hold only strings");
      return form(String(item).trim());
    }),
  );
}

function originForm(id: string): (origin: string) => string {
  return (origin) => {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      throw problem(id, "origins", "must hold origins such as https://shop.example.com");
    }
    if (url.origin !== origin.replace(/\/$/, "") || (url.protocol !== "https:" && url.protocol !== "http:"))
      throw problem(id, "origins", "must hold origins such as https://shop.example.com (no path)");
    return url.origin;
  };
}

/**
 * One spelling per destination: a Kenyan phone number in any form K2 accepts becomes its nine
 * digits after 254 (`+254712345678`, `0712345678`, `712345678` are one phone); anything else (a
 * till, a paybill number, a reference) is compared as written, without case.
 */
export function destinationForm(value: string): string {
  const phone = /^(?:\+254|254|0)?(\d{9})$/.exec(value.replace(/\s/g, ""));
  return phone ? `254${phone[1]}` : value.trim().toLowerCase();
}

function problem(id: string, field: string, message: string): ConfigError {
  return new ConfigError(SETTING, `${SETTING}: the key "${id}": ${field} ${message}`);
}
