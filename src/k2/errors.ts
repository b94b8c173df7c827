/**
 * K2's error dialect: API errors arrive as `{ "error_code": 400, "error_message": ... }`, beside the
 * RFC 6749 `{ "error": ... }` bodies of its OAuth endpoints. Only `K2Client` and the K2 API calls
 * hand this dialect to the transport: a generic `OAuth2Client` never reads a body as K2's.
 *
 * @module
 */
import { InvalidInputError, K2EdgeError } from "../errors.ts";
import { type ErrorDialect, errorFromExchange, readExchange } from "../transport/answer.ts";
import { noRedaction, type Redact } from "../transport/redaction.ts";

/**
 * The K2 API answered with its own error body, `{ "error_code": 400, "error_message": ... }`, where
 * the message is a string or an array of strings; {@link K2ApiError.messages} is always an array.
 *
 * @see {@link https://developers.kopokopo.com/guides/auth/using-an-access-token.html | K2 Connect: using an access token}
 * @example
 * ```ts
 * catch (e) { if (e instanceof K2ApiError) e.messages.forEach((m) => console.warn(m)); }
 * ```
 */
export class K2ApiError extends K2EdgeError {
  override name = "K2ApiError";
  /** The HTTP status of the answer. */
  declare readonly status: number;
  /** K2's `error_code` (usually equal to the status), when present. */
  declare readonly errorCode: number | string | undefined;
  /** K2's `error_message`, as a list even when K2 sent a single string. */
  declare readonly messages: readonly string[];

  constructor(
    fields: { status: number; errorCode?: number | string; messages: readonly string[] },
    options?: ErrorOptions,
  ) {
    const text = fields.messages.length > 0 ? fields.messages.join("; ") : "no message";
    super(`K2 API error ${fields.errorCode ?? fields.status}: ${text} (HTTP ${fields.status})`, options);
    Object.assign(this, { errorCode: undefined }, fields, { messages: Object.freeze([...fields.messages]) });
  }
}

/** A `{ error_code, error_message }` body as a {@link K2ApiError}; anything else is not K2's dialect. */
export const k2ErrorDialect: ErrorDialect = (body, status, redact: Redact) => {
  if (!("error_code" in body || "error_message" in body)) return undefined;
  const code = body.error_code;
  return new K2ApiError({
    status,
    errorCode: typeof code === "number" ? code : typeof code === "string" ? redact(code) : undefined,
    messages: messagesOf(body.error_message).map(redact),
  });
};

/**
 * The typed error for a K2 API answer that is not a success: {@link K2ApiError} for K2's
 * `error_code`/`error_message` bodies, `OAuth2Error` for token errors, `UnexpectedResponseError`
 * otherwise. Reads the body.
 *
 * @see {@link https://api-docs.kopokopo.com | K2 API reference: Errors}
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749#section-5.2 | RFC 6749, section 5.2}
 * @example
 * ```ts
 * const response = await k2.fetch("/api/v2/send_money", { method: "POST", body });
 * if (!response.ok) throw await readK2Error(response);
 * ```
 */
export async function readK2Error(response: Response): Promise<Error> {
  if (typeof response?.text !== "function") throw new InvalidInputError("readK2Error reads a Response");
  return errorFromExchange(await readExchange(response), noRedaction, k2ErrorDialect);
}

function messagesOf(message: unknown): string[] {
  if (typeof message === "string") return [message];
  if (Array.isArray(message)) return message.map((item) => (typeof item === "string" ? item : JSON.stringify(item)));
  if (message === undefined || message === null) return [];
  return [JSON.stringify(message)];
}
