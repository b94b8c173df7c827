/**
 * Polling: asks K2 for the till's or company's transactions in a time window, delivered to a
 * callback URL. For catching up on webhooks that did not arrive.
 *
 * @module
 */
import { isRecord } from "../transport/answer.ts";
import {
  create,
  readStatus,
  type K2Connection,
  type K2Links,
  type K2Resource,
  type K2Status,
  type K2VersionedCallOptions,
} from "./resource.ts";
import type { K2BuygoodsTransaction } from "./transactions.ts";
import {
  all,
  checkedByScope,
  callbackLinks,
  isoTime,
  object,
  oneOf,
  scopeRule,
  validate,
  type Rule,
} from "./validation.ts";

/** Whose transactions: one till (named by `scope_reference`), or the whole company (none). */
export type K2Scope = { scope: "till"; scope_reference: string } | { scope: "company"; scope_reference?: undefined };

/** The body of `POST /api/v2/polling`, exactly as K2 receives it. */
export type PollingRequest = K2Scope & {
  /** ISO-8601 with offset: `"2026-11-22T08:00:00+03:00"`. */
  from_time: string;
  to_time: string;
  _links: { callback_url: string };
};

/** A polling request's status, and the result posted to its callback URL. */
export interface PollingAttributes {
  status?: K2Status<"Pending" | "Success" | "Failed">;
  created_at?: string;
  scope?: string;
  scope_reference?: string | null;
  from_time?: string;
  to_time?: string;
  /** The transactions found, as Buy Goods resources. */
  transactions?: K2BuygoodsTransaction[];
  _links?: K2Links;
  [field: string]: unknown;
}

/**
 * A polling request as {@link getPollingStatus} answers it, and as its result is posted to the
 * callback URL: the transactions of the window, once K2 has gathered them.
 */
export type Polling = K2Resource<"polling", PollingAttributes>;

/**
 * Asks for the transactions in a time window (`POST /api/v2/polling`, or v1) and answers the
 * polling request's location. `from_time` must come before `to_time`.
 *
 * @see {@link https://api-docs.kopokopo.com | K2 API reference: Polling}
 * @example
 * ```ts
 * const location = await pollTransactions(k2, {
 *   scope: "till",
 *   scope_reference: "K000000",
 *   from_time: "2026-11-22T08:00:00+03:00",
 *   to_time: "2026-11-22T18:00:00+03:00",
 *   _links: { callback_url: "https://example.com/k2/results" },
 * });
 * ```
 */
export async function pollTransactions(
  k2: K2Connection,
  request: PollingRequest,
  options: K2VersionedCallOptions = {},
): Promise<string> {
  const window: Rule = (value, _path, problems) => {
    if (!isRecord(value) || typeof value.from_time !== "string" || typeof value.to_time !== "string") return;
    if (Date.parse(value.from_time) >= Date.parse(value.to_time))
      problems.push({ path: "to_time", message: "must be after from_time" });
  };
  const rule = all(
    object(
      { scope: oneOf("till", "company"), from_time: isoTime, to_time: isoTime, _links: callbackLinks },
      { scope_reference: checkedByScope },
    ),
    scopeRule,
    window,
  );
  return create(
    k2,
    { name: "polling", version: options?.version ?? "v2" },
    validate("polling", rule, request),
    options,
  );
}

/**
 * A polling request's status (with the transactions once done), by location or id.
 *
 * @see {@link https://api-docs.kopokopo.com | K2 API reference: Polling}
 * @example
 * ```ts
 * const { data } = await getPollingStatus(k2, location);
 * for (const transaction of data.attributes.transactions ?? []) record(transaction.reference);
 * ```
 */
export async function getPollingStatus(
  k2: K2Connection,
  locationOrId: string,
  options: K2VersionedCallOptions = {},
): Promise<Polling> {
  return readStatus(k2, { name: "polling", version: options?.version ?? "v2" }, locationOrId, ["polling"], options);
}
