/**
 * What every resource call shares: the connection it goes through, creating (POST + `Location`),
 * reading a status (GET on the location), and the typed `{ data: { id, type, attributes } }` answer.
 *
 * @module
 */
import { InvalidInputError } from "../errors.ts";
import { readK2Error } from "../k2/errors.ts";
import type { Exchange } from "../transport/transport.ts";
import { isRecord, readExchange, readJson, unexpected } from "../transport/answer.ts";
import { checkedUrl, originGuard } from "../transport/origin.ts";
import { noRedaction } from "../transport/redaction.ts";
import { K2ValidationError } from "./validation.ts";

/**
 * What the resource calls need of a client: its origin and an authenticated `fetch` on it. A
 * `K2Client` is one; so is a small adapter that sends requests through the proxy Worker with a
 * proxy key (see docs/k2-api.md).
 */
export interface K2Connection {
  /** The origin requests go to; a location on any other origin is refused. */
  readonly baseUrl: string;
  /**
   * `fetch` with K2 authentication added; called as a method of the connection, with absolute URLs
   * on `baseUrl`. Wrap a native or service-binding `fetch` in an arrow function rather than storing
   * it here as is.
   */
  fetch(url: string, init: RequestInit): Promise<Response>;
}

/** K2's API versions: `/api/v1/...` and `/api/v2/...`. */
export type K2ApiVersion = "v1" | "v2";

/** Options of every call. */
export interface K2CallOptions {
  signal?: AbortSignal;
  /**
   * Refuse what K2 is only thought to ignore: a field K2 does not have (`tillNumber` for
   * `till_number`, `is not a K2 field`), a v2-only field on v1, the Daraja payload for events that
   * have none. Off by default: TypeScript already catches misspelt fields, and K2 ignores extra ones.
   * Status reads ignore it.
   */
  strict?: boolean;
  /**
   * Sent as `Idempotency-Key` on the POST a create or an action makes (reads ignore it): 1 to 255
   * visible ASCII characters, such as your order id. K2 itself has no such header; the proxy Worker
   * (docs/proxy-worker.md) uses it to send the request to K2 at most once, however often it is retried.
   */
  idempotencyKey?: string;
}

/** Options of a call to a resource that exists on both versions. v2 is the default. */
export interface K2VersionedCallOptions extends K2CallOptions {
  version?: K2ApiVersion;
}

/** A K2 resource as a status read answers it and as a result is posted to a callback URL. */
export interface K2Resource<Type extends string, Attributes> {
  data: { id: string; type: Type; attributes: Attributes };
}

/**
 * A status as K2 writes it: the known values are offered (`string & {}` keeps them in editor
 * completion), and any other string K2 may send is accepted.
 */
export type K2Status<Known extends string> = Known | (string & {});

/** `_links` of a resource. */
export interface K2Links {
  self?: string;
  callback_url?: string;
  [link: string]: unknown;
}

/**
 * `{ currency, value }` as K2 answers it (`value` usually a string such as `"20.0"`; `null` in a
 * whole-balance settlement transfer).
 */
export interface K2Amount {
  currency?: string;
  value?: string | number | null;
  [field: string]: unknown;
}

/** The metadata sent with a request (at most 5 pairs). */
export type K2Metadata = Record<string, unknown>;

/**
 * What the attributes of K2's statuses and results share; every field is optional, and fields K2
 * adds are kept.
 */
export interface K2Attributes {
  created_at?: string;
  /** Why processing failed, when it did (`null` when it did not). */
  errors?: unknown;
  /** The request's metadata, echoed (`null` when none was sent). */
  metadata?: K2Metadata | null;
  _links?: K2Links;
  [field: string]: unknown;
}

/** Where a resource lives when given by id: `/api/<version>/<collection>`. */
export interface Collection {
  readonly name: string;
  readonly version: K2ApiVersion;
}

/** A collection on both versions: the call's `version`, v2 by default. */
export const versioned = (name: string, options: K2VersionedCallOptions | undefined): Collection => ({
  name,
  version: options?.version ?? "v2",
});

const JSON_HEADERS = { "content-type": "application/json", accept: "application/json" };

/** The headers of a POST, with the call's `Idempotency-Key`, checked before anything is sent. */
function postHeaders(collection: Collection, options: K2CallOptions | undefined): Record<string, string> {
  const key = options?.idempotencyKey;
  if (key === undefined) return JSON_HEADERS;
  if (typeof key !== "string" || !/^[\x21-\x7e]{1,255}$/.test(key)) {
    throw new K2ValidationError(collection.name, [
      { path: "idempotencyKey", message: "must be 1 to 255 visible ASCII characters (no spaces)" },
    ]);
  }
  return { ...JSON_HEADERS, "idempotency-key": key };
}

/**
 * POSTs an already validated body and answers the created resource's absolute location. Any 2xx
 * with a `Location` is success; anything else throws the typed K2 error.
 */
export async function create(
  k2: K2Connection,
  collection: Collection,
  body: unknown,
  options: K2CallOptions = {},
): Promise<string> {
  const target = `${originOf(k2)}/api/${collection.version}/${collection.name}`;
  const response = await k2.fetch(target, {
    method: "POST",
    headers: postHeaders(collection, options),
    body: JSON.stringify(body),
    signal: options?.signal,
  });
  const answer = await successOf(response, target);
  const location = response.headers.get("location");
  if (!location) {
    throw unexpected(
      `K2 accepted the request to ${target} (HTTP ${response.status}) but named no Location`,
      answer,
      noRedaction,
    );
  }
  return new URL(location, response.url || target).href;
}

/**
 * POSTs `{}` as JSON to an action of a location (payment link cancel), as the SDKs do, and answers
 * the JSON body, if any.
 */
export async function postAction(
  k2: K2Connection,
  collection: Collection,
  locationOrId: string,
  action: string,
  options: K2CallOptions = {},
): Promise<Record<string, unknown>> {
  const url = new URL(resourceUrl(k2, collection, locationOrId));
  url.pathname = `${url.pathname.replace(/\/+$/, "")}/${action}`;
  const target = url.href;
  const response = await k2.fetch(target, {
    method: "POST",
    headers: postHeaders(collection, options),
    body: "{}",
    signal: options?.signal,
  });
  const answer = await successOf(response, target);
  if (answer.text.trim() === "") return {};
  const body = readJson(answer, noRedaction);
  if (!isRecord(body)) throw unexpected(`Expected a JSON object from ${target}`, answer, noRedaction);
  return body;
}

/**
 * GETs a resource by location or id and checks that it is `{ data: { id, type, attributes } }` of one
 * of the expected types; the JSON is returned as K2 sent it, unknown fields included.
 */
export async function readStatus<R extends K2Resource<string, unknown>>(
  k2: K2Connection,
  collection: Collection,
  locationOrId: string,
  types: readonly string[],
  options: K2CallOptions = {},
): Promise<R> {
  const target = resourceUrl(k2, collection, locationOrId);
  const response = await k2.fetch(target, {
    method: "GET",
    headers: { accept: "application/json" },
    signal: options?.signal,
  });
  const answer = await successOf(response, target);
  const body = readJson(answer, noRedaction);
  const problem = resourceProblem(body, types);
  if (problem) throw unexpected(`${problem} in the answer from ${target}`, answer, noRedaction);
  return body as R;
}

/**
 * Why `body` is not a K2 resource of one of `types` (any type when `types` is empty), or
 * `undefined` when it is one.
 */
export function resourceProblem(body: unknown, types: readonly string[]): string | undefined {
  const data = isRecord(body) ? body.data : undefined;
  if (!isRecord(data)) return "No data object";
  if (typeof data.id !== "string" || typeof data.type !== "string" || !isRecord(data.attributes)) {
    return "data without a string id, a string type and an attributes object";
  }
  if (types.length > 0 && !types.includes(data.type)) {
    const expected = types.map((type) => JSON.stringify(type)).join(" or ");
    return `data.type ${JSON.stringify(data.type)} where ${expected} was expected`;
  }
  return undefined;
}

/**
 * The absolute URL of a resource given by location (absolute, or a path) or by id. A location on
 * another origin is refused before anything is sent, so the token never leaves for another host.
 */
function resourceUrl(k2: K2Connection, collection: Collection, locationOrId: string): string {
  const origin = originOf(k2);
  if (typeof locationOrId !== "string" || locationOrId.trim() === "")
    throw new InvalidInputError("A location or id is required");
  const path = /^[A-Za-z0-9_-]+$/.test(locationOrId)
    ? `/api/${collection.version}/${collection.name}/${locationOrId}`
    : locationOrId;
  return originGuard(origin)(path);
}

function originOf(k2: K2Connection): string {
  return checkedUrl("The connection's baseUrl", k2?.baseUrl).origin;
}

/** The whole answer, or the typed K2 error it stands for. */
async function successOf(response: Response, target: string): Promise<Exchange> {
  if (!response.ok) throw await readK2Error(response);
  return readExchange(response, target);
}
