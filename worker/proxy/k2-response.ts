/**
 * K2's response body on its way to the caller, checked whole when it is small enough to hold, so that
 * a response cut short (shorter than its Content-Length, or the connection dropped mid-body) becomes
 * a 502 instead of a `200 OK` whose body breaks off.
 */

/** The largest K2 response held in memory to check its length: K2's responses are small JSON documents. */
export const CHECKED_RESPONSE_BYTES = 1024 * 1024;

/** K2's response ended before the length it announced, or its connection failed while it was read. */
export class UpstreamTruncatedError extends Error {
  override name = "UpstreamTruncatedError";
  constructor(options?: ErrorOptions) {
    super("K2's response ended before the length it announced", options);
  }
}

/**
 * The body to give the caller: K2's bytes, read whole and checked against their `Content-Length`
 * when it announces at most {@link CHECKED_RESPONSE_BYTES} of unencoded content; otherwise K2's
 * stream as it comes (a cut there ends the caller's stream with an error, not a clean end). Throws
 * an {@link UpstreamTruncatedError} when a checked body is short.
 */
export async function checkedBody(response: Response, method: string): Promise<BodyInit | null> {
  if (!response.body || method === "HEAD") return response.body;
  const declared = announcedLength(response.headers);
  if (declared === undefined || declared > CHECKED_RESPONSE_BYTES) return response.body;
  let bytes: ArrayBuffer;
  try {
    bytes = await response.arrayBuffer();
  } catch (error) {
    throw new UpstreamTruncatedError({ cause: error });
  }
  if (bytes.byteLength < declared) throw new UpstreamTruncatedError();
  return bytes;
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
