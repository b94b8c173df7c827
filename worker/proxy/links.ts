/**
 * K2's JSON answers name resources in `_links` (a status read's `self`), on K2's origin. Like a
 * `Location`, such a link is rewritten to the proxy's origin, so that a caller following it stays
 * behind the proxy, where its proxy key belongs, instead of sending that key to K2.
 */
import { isJson } from "./k2-response.ts";
import { locationForCaller } from "./location.ts";

/**
 * The largest body searched for links. K2's status answers are a few KiB; anything bigger passes
 * as it is, so that no caller's large answer is parsed on the hot path.
 */
export const LINKED_BODY_BYTES = 64 * 1024;

// One of each per isolate: decoding a whole buffer and encoding keep no state between calls.
const decoder = new TextDecoder();
const encoder = new TextEncoder();

/**
 * `body` with every `_links` URL on K2's origin rewritten by the `Location` rule (location.ts), or
 * `body` itself (the same bytes) when it is not small JSON naming K2's origin in a `_links`. Only a
 * body read whole (k2-response.ts) is looked at: a streamed one is large, or not JSON.
 */
export function bodyWithProxyLinks(
  body: ArrayBuffer,
  contentType: string | null,
  k2Origin: string,
  proxyOrigin: string | undefined,
  version: "v1" | "v2",
): ArrayBuffer {
  if (body.byteLength > LINKED_BODY_BYTES || !isJson(contentType)) return body;
  const text = decoder.decode(body);
  if (!text.includes('"_links"') || !text.includes(k2Origin)) return body;
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    return body; // not JSON after all: K2's bytes, untouched
  }
  const changed = rewriteLinks(document, (link) =>
    onOrigin(link, k2Origin) ? locationForCaller(link, k2Origin, proxyOrigin, version) : undefined,
  );
  return changed ? (encoder.encode(JSON.stringify(document)).buffer as ArrayBuffer) : body;
}

/** Rewrites, in place, every string of every `_links` object at any depth that `rewrite` maps; whether any was. */
function rewriteLinks(value: unknown, rewrite: (link: string) => string | undefined): boolean {
  if (typeof value !== "object" || value === null) return false;
  let changed = false;
  if (Array.isArray(value)) {
    for (const item of value) changed = rewriteLinks(item, rewrite) || changed;
    return changed;
  }
  const record = value as Record<string, unknown>;
  for (const key in record) {
    const child = record[key];
    if (key !== "_links" || typeof child !== "object" || child === null || Array.isArray(child)) {
      changed = rewriteLinks(child, rewrite) || changed;
      continue;
    }
    const links = child as Record<string, unknown>;
    for (const name in links) {
      const link = links[name];
      const rewritten = typeof link === "string" ? rewrite(link) : undefined;
      if (rewritten === undefined) continue;
      links[name] = rewritten;
      changed = true;
    }
  }
  return changed;
}

/**
 * Only absolute links on K2's origin move: a callback URL is the caller's own, and stays. A link
 * spelled as K2's origin is K2's at once; one that does not name K2's host at all is not; only the
 * rest (another case, a default port written out) needs the URL parser.
 */
function onOrigin(link: string, k2Origin: string): boolean {
  if (link.startsWith(k2Origin)) {
    const next = link[k2Origin.length];
    if (next === undefined || next === "/" || next === "?" || next === "#") return true;
  }
  if (!link.toLowerCase().includes(hostOf(k2Origin))) return false;
  try {
    return new URL(link).origin === k2Origin;
  } catch {
    return false;
  }
}

/** The host (with its port) of an origin such as `https://api.kopokopo.com`: what follows `//`. */
const hostOf = (origin: string) => origin.slice(origin.indexOf("//") + 2);
