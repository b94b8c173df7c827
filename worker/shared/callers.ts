/**
 * Who may use the proxy: callers presenting one of the configured keys as a bearer token.
 */
const encoder = new TextEncoder();

/** SHA-256 of a key: keys are compared as digests, computed once per isolate for configured keys. */
export function keyDigest(key: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest("SHA-256", encoder.encode(key));
}

/**
 * Whether the `Authorization: Bearer <key>` header carries one of the keys whose digests are given.
 * Comparing digests of equal length in constant time reveals neither a key's bytes nor its length;
 * every configured key is compared, whichever matches.
 */
export async function isAuthorizedCaller(
  authorization: string | null,
  keyDigests: readonly ArrayBuffer[],
): Promise<boolean> {
  // RFC 9110 section 11.1: the scheme name is case-insensitive.
  const match = /^Bearer ([\x21-\x7e]+)$/i.exec(authorization ?? "");
  if (!match) return false;
  const presented = await keyDigest(match[1]!);
  let matches = 0;
  for (const digest of keyDigests) if (equalDigests(presented, digest)) matches++;
  return matches > 0;
}

function equalDigests(a: ArrayBuffer, b: ArrayBuffer): boolean {
  // Workers provide a constant-time comparison; elsewhere (tests under Node) an XOR fold does.
  const subtle = crypto.subtle as SubtleCrypto & { timingSafeEqual?: (a: ArrayBuffer, b: ArrayBuffer) => boolean };
  if (typeof subtle.timingSafeEqual === "function") return subtle.timingSafeEqual(a, b);
  const x = new Uint8Array(a);
  const y = new Uint8Array(b);
  let difference = x.length ^ y.length;
  for (let i = 0; i < x.length; i++) difference |= x[i]! ^ (y[i] ?? 0);
  return difference === 0;
}
