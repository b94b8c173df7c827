/**
 * K2's response body on its way to the caller, read whole when it is small enough to hold, so that
 * a response cut short (shorter than its Content-Length, or the connection dropped mid-body) becomes
 * a 502 instead of a `200 OK` whose body breaks off, and so that its links can be rewritten
 * (links.ts) from bytes already in hand: in workerd, reading a body from JavaScript chunk by chunk
 * costs several times what reading it whole does.
 */

/** The largest K2 response held in memory to check its length: K2's responses are small JSON documents. */
export const CHECKED_RESPONSE_BYTES = 1024 * 1024;

/** K2's response ended before the length it announced, or its connection failed while it was read whole. */
export class UpstreamTruncatedError extends Error {
  override name = "UpstreamTruncatedError";
  constructor(options?: ErrorOptions) {
    super("K2's response broke off before its end", options);
  }
}

/**
 * The body to give the caller: K2's bytes, read whole, when K2 announced at most
 * {@link CHECKED_RESPONSE_BYTES} of unencoded content (and then checked against that length) or
 * when it sent JSON without a length it can be held to (chunked, or compressed): K2's JSON answers
 * are documents of a few KiB, which every SDK reads whole too. Anything else, K2's stream as it
 * comes (a cut there ends the caller's stream with an error, not a clean end). Throws an
 * {@link UpstreamTruncatedError} when a body read whole is short or breaks off.
 */
export async function checkedBody(response: Response, method: string): Promise<BodyInit | null> {
  if (!response.body || method === "HEAD") return response.body;
  const declared = announcedLength(response.headers);
  const whole =
    declared === undefined ? isJson(response.headers.get("content-type")) : declared <= CHECKED_RESPONSE_BYTES;
  if (!whole) return response.body;
  let bytes: ArrayBuffer;
  try {
    bytes = await response.arrayBuffer();
  } catch (error) {
    throw new UpstreamTruncatedError({ cause: error });
  }
  if (declared !== undefined && bytes.byteLength < declared) throw new UpstreamTruncatedError();
  return bytes;
}

/** Whether a content type is JSON (`application/json`, `application/vnd.api+json`, with any parameters). */
export function isJson(contentType: string | null): boolean {
  return contentType !== null && /\bjson\b/i.test(contentType);
}

/**
 * The length K2 announced for the bytes the Worker reads, when it can be trusted: a content coding
 * (gzip) is undone by the runtime, so the bytes read no longer match the header.
 */
function announcedLength(headers: Headers): number | undefined {
  const encoding = headers.get("content-encoding");
  if (encoding && encoding.trim().toLowerCase() !== "identity") return undefined;
  const value = headers.get("content-length");
  return value !== null && /^\d+$/.test(value.trim()) ? Number(value) : undefined;
}
