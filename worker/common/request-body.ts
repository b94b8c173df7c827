/**
 * Reading the caller's body before anything is sent to K2: under a size limit and a deadline, and
 * only for methods that may carry one. Holding it whole also lets the body be replayed after a 401.
 */
import { refusal } from "./responses.ts";
import { settingsOf, wholeNumber } from "./settings.ts";

/** The body setting every feature that reads a body shares. */
export interface BodyEnv {
  /** How long a request body may take to arrive in full, in milliseconds. Default 5 000. */
  BODY_TIMEOUT_MS?: string;
}

const readBodyTimeout = (env: BodyEnv) => wholeNumber(env.BODY_TIMEOUT_MS, "BODY_TIMEOUT_MS", 5_000);

/** `BODY_TIMEOUT_MS`, checked once per isolate. */
export const bodyTimeoutMs = (env: BodyEnv): number => settingsOf(env, readBodyTimeout);

export class BodyTooLargeError extends Error {
  override name = "BodyTooLargeError";
  constructor(readonly limit: number) {
    super(`Request body exceeds ${limit} bytes`);
  }
}

/** The body did not arrive in full within the deadline (a trickle, or a chunked body never ended). */
export class BodyTimeoutError extends Error {
  override name = "BodyTimeoutError";
  constructor(readonly timeoutMs: number) {
    super(`Request body did not arrive within ${timeoutMs} ms`);
  }
}

/** A GET or HEAD carrying a body: fetch cannot send one, and K2 would not read it. */
export class BodyNotAllowedError extends Error {
  override name = "BodyNotAllowedError";
  constructor(readonly method: string) {
    super(`A ${method} request cannot carry a body`);
  }
}

export interface BodyRules {
  /** The largest body accepted, in bytes. */
  maxBytes: number;
  /** How long the whole body may take to arrive, in milliseconds. */
  timeoutMs: number;
}

const BODYLESS_METHODS = new Set(["GET", "HEAD"]);

/**
 * The body as bytes (`undefined` when there is none, or it is empty), else a
 * {@link BodyTooLargeError}, {@link BodyTimeoutError} or {@link BodyNotAllowedError}.
 */
export async function readRequestBody(request: Request, rules: BodyRules): Promise<ArrayBuffer | undefined> {
  const bodyless = BODYLESS_METHODS.has(request.method);
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > rules.maxBytes) throw new BodyTooLargeError(rules.maxBytes);
  if (bodyless && declared !== null && Number(declared) > 0) throw new BodyNotAllowedError(request.method);
  if (!request.body) return undefined;

  // One deadline for the whole body, not per chunk: a body trickled a byte at a time is bounded too.
  let expire!: (error: BodyTimeoutError) => void;
  const expired = new Promise<never>((_, reject) => (expire = reject));
  const timer = setTimeout(() => expire(new BodyTimeoutError(rules.timeoutMs)), rules.timeoutMs);
  if (declared !== null && !bodyless) {
    // A declared length bounds what the runtime reads, so the body is read whole inside it: reading
    // chunk by chunk from JavaScript costs several times the CPU. A body longer than declared
    // (possible only for a Request built in JavaScript) is still refused by its size.
    const reading = request.arrayBuffer();
    // Past the deadline the read goes on unawaited: its failure, if any, is nobody's to hear.
    reading.catch(() => {});
    try {
      const whole = await Promise.race([reading, expired]);
      if (whole.byteLength > rules.maxBytes) throw new BodyTooLargeError(rules.maxBytes);
      return whole.byteLength === 0 ? undefined : whole;
    } finally {
      clearTimeout(timer);
    }
  }

  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await Promise.race([reader.read(), expired]);
      if (done) break;
      if (value.byteLength === 0) continue;
      if (bodyless) throw new BodyNotAllowedError(request.method);
      size += value.byteLength;
      // A missing or false Content-Length must not let a larger body through: count what arrives.
      if (size > rules.maxBytes) throw new BodyTooLargeError(rules.maxBytes);
      chunks.push(value);
    }
  } catch (error) {
    // Stop reading what is left; the caller's stream may never end, so the cancel is not awaited.
    reader.cancel().catch(() => {});
    throw error;
  } finally {
    clearTimeout(timer);
  }
  if (size === 0) return undefined;
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body.buffer;
}

/** 413, 408 or 400 for a body that is refused; nothing has been sent on. Other errors are thrown again. */
export function bodyRefusal(error: unknown): Response {
  if (error instanceof BodyTooLargeError)
    return refusal(413, "payload_too_large", `Request bodies are limited to ${error.limit} bytes`);
  if (error instanceof BodyTimeoutError)
    return refusal(408, "request_body_timeout", `The request body did not arrive in full within ${error.timeoutMs} ms`);
  if (error instanceof BodyNotAllowedError)
    return refusal(400, "body_not_allowed", `A ${error.method} request cannot carry a body; nothing was sent to K2`);
  throw error;
}
