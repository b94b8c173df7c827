/**
 * The edge's own signature on the events the proxy Worker forwards to a backend
 * (`X-K2-Edge-Signature`), so that the backend holds only the forwarding secret, never K2's API key.
 * It signs a timestamp with the body, `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, so
 * that a captured delivery cannot be replayed later.
 *
 * @module
 */
import { InvalidInputError } from "../errors.ts";
import { hmacHex, hmacMatches, type RawBody } from "./hmac.ts";

/** Options of {@link verifyEdgeSignature}. */
export interface EdgeSignatureOptions {
  /** How far the signature's time may be from now, in seconds (default 300). */
  toleranceSeconds?: number;
  /** The clock, in epoch milliseconds. */
  now?: number;
}

/**
 * The `X-K2-Edge-Signature` value for `rawBody`, signed now (or at `now`, epoch milliseconds).
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc2104 | RFC 2104 (HMAC)}
 * @example
 * ```ts
 * const body = JSON.stringify(event);
 * await fetch(env.FORWARD_URL, { method: "POST", body, headers: { "x-k2-edge-signature": await signEdgeEvent(body, env.FORWARD_SECRET) } });
 * ```
 */
export async function signEdgeEvent(
  rawBody: string | ArrayBuffer | ArrayBufferView,
  secret: string,
  now: number = Date.now(),
): Promise<string> {
  if (typeof secret !== "string" || secret === "") throw new InvalidInputError("A secret is required to sign events");
  const t = Math.floor(now / 1000);
  return `t=${t},v1=${await hmacHex(signedBytes(t, rawBody), secret)}`;
}

/**
 * Checks an `X-K2-Edge-Signature` over the raw body exactly as it arrived: the HMAC must match
 * (WebCrypto compares in constant time) and its time must be within `toleranceSeconds` of now.
 * Several `v1=` values (during a secret rotation, one per secret) are accepted if any matches. A
 * missing or malformed header gives `false`, never a throw.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc2104 | RFC 2104 (HMAC)}
 * @example
 * ```ts
 * const body = await request.arrayBuffer();
 * if (!(await verifyEdgeSignature(body, request.headers.get("x-k2-edge-signature"), env.FORWARD_SECRET))) {
 *   return new Response("bad signature", { status: 401 });
 * }
 * const event = JSON.parse(new TextDecoder().decode(body));
 * ```
 */
export async function verifyEdgeSignature(
  rawBody: string | ArrayBuffer | ArrayBufferView,
  header: string | null | undefined,
  secret: string,
  options: EdgeSignatureOptions = {},
): Promise<boolean> {
  if (typeof secret !== "string" || secret === "") throw new InvalidInputError("A secret is required to verify events");
  if (typeof header !== "string") return false;
  const fields = header.split(",").map((part) => part.trim().split("="));
  const t = Number(fields.find(([name]) => name === "t")?.[1]);
  const tolerance = options.toleranceSeconds ?? 300;
  if (!Number.isSafeInteger(t) || Math.abs((options.now ?? Date.now()) / 1000 - t) > tolerance) return false;
  const signed = signedBytes(t, rawBody);
  for (const [name, value] of fields)
    if (name === "v1" && value && (await hmacMatches(signed, value, secret))) return true;
  return false;
}

/** `<t>.` followed by the body's bytes: what the HMAC covers. */
function signedBytes(t: number, rawBody: RawBody): Uint8Array {
  const prefix = new TextEncoder().encode(`${t}.`);
  const body =
    typeof rawBody === "string"
      ? new TextEncoder().encode(rawBody)
      : rawBody instanceof ArrayBuffer
        ? new Uint8Array(rawBody)
        : new Uint8Array(rawBody.buffer, rawBody.byteOffset, rawBody.byteLength);
  const bytes = new Uint8Array(prefix.byteLength + body.byteLength);
  bytes.set(prefix);
  bytes.set(body, prefix.byteLength);
  return bytes;
}
