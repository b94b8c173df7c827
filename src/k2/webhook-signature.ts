/**
 * Kopo Kopo webhook signatures: `X-KopoKopo-Signature` is the lowercase hex HMAC-SHA256 of the
 * request body, keyed with the application's API key.
 *
 * @module
 */
import { InvalidInputError } from "../errors.ts";
import { hmacHex, hmacMatches } from "./hmac.ts";

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
  return typeof signature === "string" && hmacMatches(rawBody, signature.trim(), apiKey);
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
  return hmacHex(rawBody, apiKey);
}
