/**
 * What every part of the sandbox answers with, and K2's way of writing times. No Node imports:
 * the routing parts are plain functions from a request to an {@link Answer}.
 */

/** One HTTP answer, written by the server as is. */
export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export function json(status: number, value: unknown, headers: Record<string, string> = {}): Answer {
  return {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
    body: railsJson(value),
  };
}

const RAILS_ESCAPES: Record<string, string> = {
  "<": "\\u003c",
  ">": "\\u003e",
  "&": "\\u0026",
  "\u2028": "\\u2028",
  "\u2029": "\\u2029",
};

/**
 * JSON as K2 (Rails, ActiveSupport) writes it: compact, with `<`, `>`, `&` and the JavaScript line
 * separators escaped as `\u003c`, `\u003e`, `\u0026`, `\u2028`, `\u2029`. So a receiver that
 * verifies a signature over re-serialised JSON instead of the raw bytes fails here as it would
 * against K2. Those characters never occur outside strings in JSON, so replacing them in the text is
 * safe.
 */
export function railsJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (character) => RAILS_ESCAPES[character]!);
}

/** K2's API error shape; a list of problems is sent as an array, as K2 (Rails) does. */
export function apiError(status: number, message: string | string[]): Answer {
  return json(status, { error_code: status, error_message: message });
}

/** ISO-8601 with an explicit offset, as K2 (Rails, Nairobi time) writes it: 2026-11-22T13:12:52+03:00. */
export function isoWithOffset(ms: number): string {
  const eat = new Date(ms + 3 * 3600_000);
  return `${eat.toISOString().slice(0, 19)}+03:00`;
}

export type Json = Record<string, any>;

export const isRecord = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);
