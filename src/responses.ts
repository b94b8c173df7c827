/**
 * Reading answers: JSON bodies, and the typed error for anything that is not a success.
 *
 * @module
 */
import { K2ApiError, OAuth2Error, UnexpectedResponseError } from "./errors.ts";
import type { Exchange } from "./http.ts";

/** Removes secrets from text that came back from a server before it goes into an error. */
export type Redact = (text: string) => string;

/** Keeps text as it is: for answers to requests that carried no secret. */
export const noRedaction: Redact = (text) => text;

/** Builds a {@link Redact} that replaces every given secret (ignoring empty ones) with `[REDACTED]`. */
export function redactor(secrets: readonly (string | undefined)[]): Redact {
  const present = secrets.filter((secret): secret is string => !!secret && secret.length >= 4);
  if (present.length === 0) return noRedaction;
  return (text) => present.reduce((result, secret) => result.split(secret).join("[REDACTED]"), text);
}

const EXCERPT_LENGTH = 200;

/** An {@link UnexpectedResponseError} for this exchange, with a short, redacted excerpt of the body. */
export function unexpected(reason: string, exchange: Exchange, redact: Redact, cause?: unknown): UnexpectedResponseError {
  const fields = {
    status: exchange.response.status,
    contentType: exchange.response.headers.get("content-type") ?? "",
    excerpt: redact(exchange.text.slice(0, EXCERPT_LENGTH * 2)).slice(0, EXCERPT_LENGTH),
  };
  return new UnexpectedResponseError(reason, fields, cause === undefined ? undefined : { cause });
}

/** The body parsed as a JSON object, or an {@link UnexpectedResponseError} saying why not. */
export function jsonObject(exchange: Exchange, redact: Redact): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(exchange.text);
  } catch (error) {
    throw unexpected(`Expected a JSON body from ${exchange.url}`, exchange, redact, error);
  }
  if (!isRecord(value)) throw unexpected(`Expected a JSON object from ${exchange.url}`, exchange, redact);
  return value;
}

/**
 * The typed error an unsuccessful answer stands for: {@link OAuth2Error} for an RFC 6749 error body,
 * {@link K2ApiError} for K2's `error_code`/`error_message` body, {@link UnexpectedResponseError} for
 * anything else.
 */
export function errorFromExchange(exchange: Exchange, redact: Redact): Error {
  let body: unknown;
  try {
    body = JSON.parse(exchange.text);
  } catch {
    body = undefined;
  }
  const status = exchange.response.status;
  if (isRecord(body)) {
    const oauth = oauthErrorIn(body, status, redact);
    if (oauth) return oauth;
    if ("error_code" in body || "error_message" in body) {
      return new K2ApiError({
        status,
        errorCode: typeof body.error_code === "number" || typeof body.error_code === "string" ? body.error_code : undefined,
        messages: messagesOf(body.error_message).map(redact),
      });
    }
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

function messagesOf(message: unknown): string[] {
  if (typeof message === "string") return [message];
  if (Array.isArray(message)) return message.map((item) => (typeof item === "string" ? item : JSON.stringify(item)));
  if (message === undefined || message === null) return [];
  return [JSON.stringify(message)];
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
