/**
 * Kopo Kopo webhook signatures: `X-KopoKopo-Signature` is the lowercase hex HMAC-SHA256 of the
 * request body, keyed with the application's API key.
 *
 * @module
 */
import { InvalidInputError } from "../errors.ts";

const encoder = new TextEncoder();

/**
 * Checks a webhook signature over the raw body exactly as it arrived. Hash the bytes you received:
 * re-serialising parsed JSON (as the official SDKs do) changes pretty-printed or non-ASCII bodies
 * and rejects genuine webhooks. The comparison is WebCrypto's own HMAC verification, which runs in
 * constant time. A missing or malformed header gives `false`, never a throw.
 *
 * @see {@link https://developers.kopokopo.com/guides/webhooks/ | K2: webhooks}
 * @see {@link https://www.rfc-editor.org/rfc/rfc2104 | RFC 2104 (HMAC)}
 * @example
 * ```ts
 * const body = await request.arrayBuffer();
 * if (!(await verifyWebhookSignature(body, request.headers.get("x-kopokopo-signature"), env.K2_API_KEY))) {
 *   return new Response("bad signature", { status: 401 });
 * }
 * ```
 */
export async function verifyWebhookSignature(
  rawBody: string | ArrayBuffer | ArrayBufferView,
  signature: string | null | undefined,
  apiKey: string,
): Promise<boolean> {
  if (typeof apiKey !== "string" || apiKey === "") throw new InvalidInputError("apiKey is required to verify webhooks");
  const expected = typeof signature === "string" ? hexBytes(signature.trim()) : undefined;
  if (!expected) return false;
  const key = await crypto.subtle.importKey("raw", encoder.encode(apiKey), { name: "HMAC", hash: "SHA-256" }, false, [
    "verify",
  ]);
  return crypto.subtle.verify("HMAC", key, expected, bytesOf(rawBody));
}

/**
 * The signature K2 would send for `rawBody`: for tests and for local senders of webhooks.
 *
 * @see {@link https://developers.kopokopo.com/guides/webhooks/ | K2: webhooks}
 * @see {@link https://www.rfc-editor.org/rfc/rfc2104 | RFC 2104 (HMAC)}
 * @example
 * ```ts
 * const signature = await signWebhook(JSON.stringify(event), apiKey);
 * ```
 */
export async function signWebhook(rawBody: string | ArrayBuffer | ArrayBufferView, apiKey: string): Promise<string> {
  if (typeof apiKey !== "string" || apiKey === "") throw new InvalidInputError("apiKey is required to sign webhooks");
  const key = await crypto.subtle.importKey("raw", encoder.encode(apiKey), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, bytesOf(rawBody)));
  return Array.from(mac, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

function bytesOf(body: string | ArrayBuffer | ArrayBufferView): BufferSource {
  if (typeof body === "string") return encoder.encode(body);
  return body as BufferSource;
}

/** 32 bytes from 64 hex digits (either case), or `undefined` for anything else. */
function hexBytes(hex: string): Uint8Array<ArrayBuffer> | undefined {
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) return undefined;
  const bytes = new Uint8Array(32);
  for (let i = 0; i < 32; i++) bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}
