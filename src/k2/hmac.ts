/**
 * HMAC-SHA256 over raw bytes with WebCrypto, as hex: the one implementation behind K2's webhook
 * signatures and the edge's forward signatures.
 *
 * @module
 */

const encoder = new TextEncoder();

/** A body as the bytes that were (or will be) sent. */
export type RawBody = string | ArrayBuffer | ArrayBufferView;

/** The lowercase hex HMAC-SHA256 of `body`, keyed with `secret`. */
export async function hmacHex(body: RawBody, secret: string): Promise<string> {
  const key = await importKey(secret, "sign");
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, bytesOf(body)));
  return Array.from(mac, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/**
 * Whether `hex` is the HMAC-SHA256 of `body` keyed with `secret`. WebCrypto's own verification
 * compares in constant time; anything that is not 64 hex digits is `false`, never a throw.
 */
export async function hmacMatches(body: RawBody, hex: string, secret: string): Promise<boolean> {
  const expected = hexBytes(hex);
  if (!expected) return false;
  return crypto.subtle.verify("HMAC", await importKey(secret, "verify"), expected, bytesOf(body));
}

function importKey(secret: string, use: "sign" | "verify"): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [use]);
}

function bytesOf(body: RawBody): BufferSource {
  return typeof body === "string" ? encoder.encode(body) : (body as BufferSource);
}

/** 32 bytes from 64 hex digits (either case), or `undefined` for anything else. */
function hexBytes(hex: string): Uint8Array<ArrayBuffer> | undefined {
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) return undefined;
  const bytes = new Uint8Array(32);
  for (let i = 0; i < 32; i++) bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}
