/**
 * PKCE (RFC 7636) and the random values of an authorization request, on WebCrypto alone: the same
 * code runs in Workers, Deno, Bun, Node 20+ and browsers.
 *
 * @module
 */

/** How the code challenge is derived from the verifier (RFC 7636, section 4.2). */
export type CodeChallengeMethod = "S256" | "plain";

/**
 * A fresh, high-entropy code verifier: 32 random bytes from `crypto.getRandomValues`, base64url
 * encoded to 43 characters of the unreserved set, as RFC 7636 section 4.1 recommends.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc7636#section-4.1 | RFC 7636, section 4.1}
 * @example
 * ```ts
 * const verifier = generateCodeVerifier(); // e.g. "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
 * ```
 */
export function generateCodeVerifier(): string {
  return randomBase64url(32);
}

/**
 * A fresh `state`: 256 random bits (RFC 6749 asks for a value an attacker cannot guess; 128 bits is
 * the usual floor), base64url encoded.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749#section-10.12 | RFC 6749, section 10.12}
 * @example
 * ```ts
 * const state = generateState();
 * ```
 */
export function generateState(): string {
  return randomBase64url(32);
}

/**
 * The code challenge for a verifier: `BASE64URL(SHA-256(ASCII(verifier)))` for `S256`, the verifier
 * itself for `plain`.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc7636#section-4.2 | RFC 7636, section 4.2}
 * @example
 * ```ts
 * await codeChallenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"); // "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
 * ```
 */
export async function codeChallenge(verifier: string, method: CodeChallengeMethod = "S256"): Promise<string> {
  if (method === "plain") return verifier;
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

function randomBase64url(byteLength: number): string {
  return base64url(crypto.getRandomValues(new Uint8Array(byteLength)));
}

/** Base64url without padding (RFC 4648 section 5), with `btoa`, which every runtime has. */
function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
