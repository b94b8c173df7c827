/**
 * Polling: asks K2 for the till's or company's transactions in a time window, delivered to a
 * callback URL. For catching up on webhooks that did not arrive.
 *
 * @module
 */
import {
  create,
  type K2Attributes,
  readStatus,
  versioned,
  type K2Connection,
  type K2Resource,
  type K2Status,
  type K2VersionedCallOptions,
} from "./resource.ts";
import type { K2BuygoodsTransaction } from "./transactions.ts";
import { across, all, callbackLinks, isoTime, scoped, validate } from "./validation.ts";

/**
 * `word` in every mix of upper and lower case: `AnyCase<"till">` takes `"till"`, `"Till"`,
 * `"TILL"`...
 */
export type AnyCase<Word extends string> = Word extends `${infer First}${infer Rest}`
  ? `${Uppercase<First> | Lowercase<First>}${AnyCase<Rest>}`
  : "";

/**
 * Whose transactions: one till (named by `scope_reference`), or the whole company (whose
 * `scope_reference`, `""` or `null` as the SDKs send it, is left out). Any case is taken (PHP's
 * tests send `"Company"`); K2 receives it in lower case, as its docs write it.
 */
export type K2Scope =
  | { scope: AnyCase<"till">; scope_reference: string | number }
  | { scope: AnyCase<"company">; scope_reference?: "" | null };

/** The body of `POST /api/v2/polling`, as K2's docs and the official SDKs write it. */
export type PollingRequest = K2Scope & {
  /** ISO-8601 with offset: `"2026-11-22T08:00:00+03:00"`. */
  from_time: string;
  to_time: string;
  _links: { callback_url: string };
};

/**
 * One transaction found by polling: an envelope naming its kind (`"Buygoods Transaction"`) around
 * the transaction itself.
 */
export interface K2PollingTransaction {
  type?: string;
  resource?: K2BuygoodsTransaction;
  [field: string]: unknown;
}

/** A polling request's status, and the result posted to its callback URL. */
export interface PollingAttributes extends K2Attributes {
  status?: K2Status<"Pending" | "Success" | "Failed">;
  /** Echoed capitalised: `"Till"`, `"Company"`. */
  scope?: string;
  scope_reference?: string | null;
  from_time?: string;
  to_time?: string;
  /** The transactions found, each `{ type, resource }`. */
  transactions?: K2PollingTransaction[] | null;
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
  const window = across((value, check) => {
    if (typeof value.from_time !== "string" || typeof value.to_time !== "string") return;
    if (Date.parse(value.from_time) >= Date.parse(value.to_time))
      check.problems.push({ path: "to_time", message: "must be after from_time" });
  });
  const rule = all(scoped({ from_time: isoTime, to_time: isoTime, _links: callbackLinks }, {}), window);
  return create(k2, versioned("polling", options), validate("polling", rule, request, options), options);
}

/**
 * A polling request's status (with the transactions once done), by location or id.
 *
 * @see {@link https://api-docs.kopokopo.com | K2 API reference: Polling}
 * @example
 * ```ts
 * const { data } = await getPollingStatus(k2, location);
 * for (const transaction of data.attributes.transactions ?? []) record(transaction.resource?.reference);
 * ```
 */
export async function getPollingStatus(
  k2: K2Connection,
  locationOrId: string,
  options: K2VersionedCallOptions = {},
): Promise<Polling> {
  return readStatus(k2, versioned("polling", options), locationOrId, ["polling"], options);
}
