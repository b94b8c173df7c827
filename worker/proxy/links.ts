/**
 * K2's JSON answers name resources in `_links` (a status read's `self`), on K2's origin. Like a
 * `Location`, such a link is rewritten to the proxy's origin, so that a caller following it stays
 * behind the proxy, where its proxy key belongs, instead of sending that key to K2.
 */
import { locationForCaller } from "./location.ts";

/**
 * The largest body searched for links. K2's status answers are a few KiB; anything bigger passes
 * as it is, so that no caller's large answer is parsed on the hot path.
 */
export const LINKED_BODY_BYTES = 64 * 1024;

export interface LinkRule {
  k2Origin: string;
  /** `undefined`: links are written relative, as the Location is (location.ts). */
  proxyOrigin: string | undefined;
  version: "v1" | "v2";
}

/**
 * K2's body for the caller with its links rewritten. A body k2-response.ts already holds is looked at
 * as it is; a streamed one only when it is JSON that may be small (no length, or a small one): at
 * most {@link LINKED_BODY_BYTES} are read, and a longer body goes on as the same bytes, then the rest
 * of K2's stream (or its error, if K2 cut it).
 */
export async function withProxyLinks(
  body: BodyInit | null,
  headers: Headers,
  rule: LinkRule,
): Promise<BodyInit | null> {
  const contentType = headers.get("content-type");
  if (body instanceof ArrayBuffer)
    return bodyWithProxyLinks(body, contentType, rule.k2Origin, rule.proxyOrigin, rule.version);
  if (!(body instanceof ReadableStream) || !isJson(contentType)) return body;
  const declared = Number(headers.get("content-length") ?? 0);
  if (declared > LINKED_BODY_BYTES) return body;
  const reader = (body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
      if (size > LINKED_BODY_BYTES) return replay(chunks, reader);
    }
  } catch (error) {
    return replay(chunks, reader, error);
  }
  const whole = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    whole.set(chunk, at);
    at += chunk.byteLength;
  }
  return bodyWithProxyLinks(whole.buffer, contentType, rule.k2Origin, rule.proxyOrigin, rule.version);
}

/** What was read, then the rest of K2's stream: the caller gets K2's bytes, or K2's cut, unchanged. */
function replay(read: Uint8Array[], rest: ReadableStreamDefaultReader<Uint8Array>, failed?: unknown): ReadableStream {
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = read.shift();
      if (next) return controller.enqueue(next);
      if (failed !== undefined) return controller.error(failed);
      const { done, value } = await rest.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel: (reason) => rest.cancel(reason),
  });
}

/**
 * `body` with every `_links` URL on K2's origin rewritten by the `Location` rule (location.ts), or
 * `body` itself (the same bytes) when it is not small JSON naming K2's origin in a `_links`.
 */
export function bodyWithProxyLinks(
  body: ArrayBuffer,
  contentType: string | null,
  k2Origin: string,
  proxyOrigin: string | undefined,
  version: "v1" | "v2",
): ArrayBuffer {
  if (body.byteLength > LINKED_BODY_BYTES || !isJson(contentType)) return body;
  const text = new TextDecoder().decode(body);
  if (!text.includes('"_links"') || !text.includes(k2Origin)) return body;
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    return body; // not JSON after all: K2's bytes, untouched
  }
  let changed = false;
  const rewrite = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(rewrite);
    if (!isRecord(value)) return;
    for (const [key, child] of Object.entries(value)) {
      if (key === "_links" && isRecord(child)) {
        for (const [name, link] of Object.entries(child)) {
          if (typeof link !== "string" || !onOrigin(link, k2Origin)) continue;
          child[name] = locationForCaller(link, k2Origin, proxyOrigin, version);
          changed = true;
        }
      } else rewrite(child);
    }
  };
  rewrite(document);
  return changed ? (new TextEncoder().encode(JSON.stringify(document)).buffer as ArrayBuffer) : body;
}

/** Only absolute links on K2's origin move: a callback URL is the caller's own, and stays. */
function onOrigin(link: string, k2Origin: string): boolean {
  try {
    return new URL(link).origin === k2Origin;
  } catch {
    return false;
  }
}

function isJson(contentType: string | null): boolean {
  return contentType !== null && /\bjson\b/i.test(contentType);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
