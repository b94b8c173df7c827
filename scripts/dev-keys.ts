/**
 * The caller keys `npm start` gives the Worker when it runs against the embedded sandbox: a
 * full-access key, and a scoped `checkout` key for the browser page in examples/ (docs/keys.md).
 * Both are fixed development keys (sandbox/credentials.ts) that work nowhere but that local loop.
 * The scoped key reaches the Worker as its policy, which holds only the key's SHA-256 digest, as a
 * deployed Worker holds it.
 */
import { createHash } from "node:crypto";
import { DEV_CHECKOUT_KEY, DEV_PROXY_KEY } from "../sandbox/credentials.ts";

/** The full-access key's id: what the Worker's log lines, the ledger and the owners name it by. */
export const DEV_KEY_ID = "dev";
/** The scoped key's id. */
export const CHECKOUT_KEY_ID = "checkout";
/** The till the sandbox's samples and the README's curl lines name. */
export const SANDBOX_TILL = "K000000";

/**
 * What the checkout key may do beyond its capabilities. Limits a newcomer meets only on purpose
 * (a large amount, a burst of clicks), set so that the page shows what a leaked browser key is held to.
 */
export const CHECKOUT_LIMITS = Object.freeze({ maxAmount: 1000, ratePerMinute: 30, phoneRatePerHour: 5 });

/** `PROXY_KEYS`: the full-access development key, under its id. */
export const devProxyKeys = (): string => `${DEV_KEY_ID}:${DEV_PROXY_KEY}`;

/**
 * The checkout key's policy, for `PROXY_KEY_POLICIES`. STK pushes on the sandbox's till and reading
 * them back (the page polls its payment's Location); no `events:read` or `payments:read`, since a
 * page learns its own payment's end from its status and needs nobody else's; callbacks only to the
 * Worker's inbox on loopback; answered with CORS for `pageOrigins` alone.
 */
export function checkoutPolicy(pageOrigins: readonly string[]): Record<string, unknown> {
  return {
    id: CHECKOUT_KEY_ID,
    sha256: createHash("sha256").update(DEV_CHECKOUT_KEY).digest("hex"),
    allow: ["incoming_payments:write", "incoming_payments:read"],
    tills: [SANDBOX_TILL],
    max_amount: CHECKOUT_LIMITS.maxAmount,
    callback_hosts: ["127.0.0.1"],
    rate_per_minute: CHECKOUT_LIMITS.ratePerMinute,
    phone_rate_per_hour: CHECKOUT_LIMITS.phoneRatePerHour,
    origins: [...pageOrigins],
  };
}
