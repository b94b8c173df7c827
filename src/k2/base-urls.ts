/**
 * Where Kopo Kopo's two environments live.
 *
 * @module
 */

/**
 * The hosts of the two K2 environments. Credentials issued for one do not work on the other.
 *
 * @see {@link https://api-docs.kopokopo.com | K2 API reference: Introduction}
 * @example
 * ```ts
 * const k2 = new K2Client({ clientId, clientSecret, baseUrl: K2_BASE_URLS.production });
 * console.log(k2.baseUrl); // "https://api.kopokopo.com"
 * ```
 */
export const K2_BASE_URLS: Readonly<{ sandbox: string; production: string }> = Object.freeze({
  sandbox: "https://sandbox.kopokopo.com",
  production: "https://api.kopokopo.com",
});
