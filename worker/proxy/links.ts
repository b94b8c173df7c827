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

/**
 * `body` with every `_links` URL on K2's origin rewritten by the `Location` rule (location.ts), or
 * `body` itself (the same bytes) when it is not small JSON naming K2's origin in a `_links`. Only a
 * body read whole (k2-response.ts) is looked at: a streamed one is large, or not JSON. The links are
 * found by reading the bytes' structure and replaced where they stand, so everything else stays
 * K2's very bytes (its numbers, spacing and escapes), and nothing is parsed into objects and
 * written again on every status read.
 */
export function bodyWithProxyLinks(
  body: ArrayBuffer,
  contentType: string | null,
  k2Origin: string,
  proxyOrigin: string | undefined,
  version: "v1" | "v2",
): ArrayBuffer {
  if (body.byteLength > LINKED_BODY_BYTES || !isJson(contentType)) return body;
  const bytes = new Uint8Array(body);
  const tokens = linkTokens(bytes);
  if (!tokens) return body; // not JSON after all: K2's bytes, untouched
  const parts: Uint8Array[] = [];
  let size = 0;
  let copied = 0;
  for (const [start, end] of tokens) {
    const link = stringValue(bytes, start, end);
    if (!onOrigin(link, k2Origin)) continue;
    const token = encoder.encode(JSON.stringify(locationForCaller(link, k2Origin, proxyOrigin, version)));
    parts.push(bytes.subarray(copied, start), token);
    size += start - copied + token.byteLength;
    copied = end;
  }
  if (parts.length === 0) return body;
  parts.push(bytes.subarray(copied));
  const out = new Uint8Array(size + bytes.byteLength - copied);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out.buffer;
}

// One of each per isolate: decoding and encoding a whole buffer keep no state between calls.
const decoder = new TextDecoder();
const encoder = new TextEncoder();

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const LINKS_KEY = Array.from('"_links"', (char) => char.charCodeAt(0));

/** What an open bracket holds: an array, an object, or the object that is a `_links` key's value. */
type Open = "array" | "object" | "links";

/**
 * Where the string values directly inside every `_links` object are, as `[start, end)` byte ranges
 * quotes included, or `undefined` when the brackets do not balance or a string never ends. JSON's
 * structural characters are ASCII, and no byte of a multi-byte UTF-8 character is ASCII, so the
 * bytes are read as they are.
 */
function linkTokens(bytes: Uint8Array): [number, number][] | undefined {
  const found: [number, number][] = [];
  const outer: (Open | undefined)[] = [];
  let open: Open | undefined;
  let expectKey = false;
  let afterLinksKey = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (byte === QUOTE) {
      const end = stringEnd(bytes, i);
      if (end === undefined) return undefined;
      if (expectKey) afterLinksKey = isLinksKey(bytes, i, end);
      else if (open === "links") found.push([i, end]);
      expectKey = false;
      i = end - 1;
    } else if (byte === OPEN_OBJECT) {
      outer.push(open);
      open = afterLinksKey ? "links" : "object";
      expectKey = true;
      afterLinksKey = false;
    } else if (byte === OPEN_ARRAY) {
      outer.push(open);
      open = "array";
      expectKey = afterLinksKey = false;
    } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
      if (outer.length === 0) return undefined;
      open = outer.pop();
      expectKey = afterLinksKey = false;
    } else if (byte === COMMA) {
      expectKey = open === "object" || open === "links";
      afterLinksKey = false;
    }
  }
  return outer.length === 0 && open === undefined ? found : undefined;
}

/** The index just past the string that opens at `start`, or `undefined` when it never closes. */
function stringEnd(bytes: Uint8Array, start: number): number | undefined {
  for (let i = start + 1; i < bytes.length; i++) {
    if (bytes[i] === BACKSLASH) i++;
    else if (bytes[i] === QUOTE) return i + 1;
  }
  return undefined;
}

function isLinksKey(bytes: Uint8Array, start: number, end: number): boolean {
  if (end - start !== LINKS_KEY.length) return false;
  for (let i = 0; i < LINKS_KEY.length; i++) if (bytes[start + i] !== LINKS_KEY[i]) return false;
  return true;
}

/** The text of the JSON string token at `[start, end)`. */
function stringValue(bytes: Uint8Array, start: number, end: number): string {
  const token = decoder.decode(bytes.subarray(start, end));
  return token.includes("\\") ? (JSON.parse(token) as string) : token.slice(1, -1);
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
