/**
 * Reading answers: the one JSON reader, and the typed error for anything that is not a success.
 * Which error bodies are recognised beyond RFC 6749's is the caller's to say (an {@link ErrorDialect}),
 * so that this layer knows no provider.
 *
 * @module
 */
import { OAuth2Error, UnexpectedResponseError } from "../errors.ts";
import type { Redact } from "./redaction.ts";
import type { Exchange } from "./transport.ts";

/**
 * A provider's own error body (K2's `{ error_code, error_message }`) as its typed error, or
 * `undefined` when the body is not in that dialect.
 */
export type ErrorDialect = (body: Record<string, unknown>, status: number, redact: Redact) => Error | undefined;

const EXCERPT_LENGTH = 200;

/** Reads a response's whole body into an {@link Exchange}. */
export async function readExchange(response: Response, url: string = response.url): Promise<Exchange> {
  return { url, response, text: await response.text() };
}

/** An {@link UnexpectedResponseError} for this exchange, with a short, redacted excerpt of the body. */
export function unexpected(
  reason: string,
  exchange: Exchange,
  redact: Redact,
  cause?: unknown,
): UnexpectedResponseError {
  const fields = {
    status: exchange.response.status,
    contentType: redact(exchange.response.headers.get("content-type") ?? ""),
    excerpt: redact(exchange.text.slice(0, EXCERPT_LENGTH * 2)).slice(0, EXCERPT_LENGTH),
  };
  return new UnexpectedResponseError(reason, fields, cause === undefined ? undefined : { cause });
}

/**
 * The body parsed as JSON, or an {@link UnexpectedResponseError} saying why not. The parser's own
 * error is not kept as the cause: its message quotes the body, unredacted.
 */
export function readJson(exchange: Exchange, redact: Redact): unknown {
  try {
    return JSON.parse(exchange.text);
  } catch {
    throw unexpected(`Expected a JSON body from ${exchange.url}`, exchange, redact);
  }
}

/** The body parsed as a JSON object, or an {@link UnexpectedResponseError} saying why not. */
export function jsonObject(exchange: Exchange, redact: Redact): Record<string, unknown> {
  const value = readJson(exchange, redact);
  if (!isRecord(value)) throw unexpected(`Expected a JSON object from ${exchange.url}`, exchange, redact);
  return value;
}

/**
 * The typed error an unsuccessful answer stands for: {@link OAuth2Error} for an RFC 6749 error body,
 * the `dialect`'s error for a body in the provider's own dialect, {@link UnexpectedResponseError}
 * for anything else.
 */
export function errorFromExchange(exchange: Exchange, redact: Redact, dialect?: ErrorDialect): Error {
  let body: unknown;
  try {
    body = JSON.parse(exchange.text);
  } catch {
    body = undefined;
  }
  const status = exchange.response.status;
  if (isRecord(body)) {
    const error = oauthErrorIn(body, status, redact) ?? dialect?.(body, status, redact);
    if (error) return error;
  }
  return unexpected(`Unexpected answer from ${exchange.url}`, exchange, redact);
}

/** An {@link OAuth2Error} when the body carries an RFC 6749 `error`, else `undefined`. */
export function oauthErrorIn(body: Record<string, unknown>, status: number, redact: Redact): OAuth2Error | undefined {
  if (typeof body.error !== "string") return undefined;
  return new OAuth2Error({
    error: redact(body.error),
    errorDescription: typeof body.error_description === "string" ? redact(body.error_description) : undefined,
    errorUri: typeof body.error_uri === "string" ? redact(body.error_uri) : undefined,
    status,
  });
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A point in time given as Unix seconds (number or digit string) or as an ISO-8601 string, in
 * milliseconds since the epoch; `undefined` when absent or unreadable.
 */
export function instantMs(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? value * 1000 : undefined;
  if (typeof value !== "string" || value.trim() === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Number(value) * 1000;
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) ? undefined : parsed;
}
