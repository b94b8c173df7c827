/**
 * K2's token endpoint as a plain, uncached {@link TokenSource}.
 *
 * @module
 */
import { InvalidInputError } from "../errors.ts";
import { clientSecretPost, secretForms } from "../oauth/client-authentication.ts";
import { type EndpointClient, requestToken } from "../oauth/token-endpoint.ts";
import type { TokenSource } from "../tokens/token-source.ts";
import { checkedOrigin } from "../transport/origin.ts";
import { redactor } from "../transport/redaction.ts";
import { createTransport, type TransportOptions } from "../transport/transport.ts";
import { K2_BASE_URLS } from "./base-urls.ts";
import { k2ErrorDialect } from "./errors.ts";

/** Settings of {@link k2TokenSource}: the application's credentials and where K2 is. */
export interface K2TokenSourceOptions extends TransportOptions {
  clientId: string;
  clientSecret: string;
  /** `"sandbox"` (the default) or `"production"`; ignored when `baseUrl` is given. */
  environment?: keyof typeof K2_BASE_URLS;
  /**
   * Another origin, such as a local K2-shaped server: `"http://127.0.0.1:9999"`. It must be https,
   * except to localhost, and an origin only (no path).
   */
  baseUrl?: string;
  /** The clock, in epoch milliseconds; injectable for tests. */
  now?: () => number;
}

// K2 documents a one-hour lifetime; an answer without `expires_in` is taken to mean that.
const K2_TOKEN_LIFETIME_SECONDS = 3600;

/**
 * K2's client-credentials grant as a {@link TokenSource}: every `getToken` asks K2's token endpoint
 * for a new token, with nothing cached. Wrap it (a broker shared by many clients, a cache) and hand
 * the result to `K2ClientOptions.tokenSource`, as golang's `clientcredentials.Config.TokenSource`.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749#section-4.4 | RFC 6749, section 4.4 (client credentials)}
 * @see {@link https://developers.kopokopo.com/guides/auth/client-credentials-flow.html | K2: client credentials flow}
 * @example
 * ```ts
 * const direct = k2TokenSource({ clientId, clientSecret, environment: "sandbox" });
 * const { accessToken, expiresAt } = await direct.getToken();
 * ```
 */
export function k2TokenSource(options: K2TokenSourceOptions): TokenSource {
  return endpointTokenSource(k2Endpoint(options), options.now);
}

/** The token source of an endpoint already built (a `K2Client` shares its own with it). */
export function endpointTokenSource(
  { baseUrl, endpoint }: { baseUrl: string; endpoint: EndpointClient },
  now: () => number = Date.now,
): TokenSource {
  const tokenUrl = `${baseUrl}/oauth/token`;
  return {
    getToken: (call) =>
      requestToken(
        endpoint,
        tokenUrl,
        { grant_type: "client_credentials" },
        { signal: call?.signal, now, defaultExpiresIn: K2_TOKEN_LIFETIME_SECONDS },
      ),
  };
}

/** K2's origin and how to talk to its OAuth endpoints: the one place both the source and the client learn it. */
export function k2Endpoint(options: K2TokenSourceOptions): { baseUrl: string; endpoint: EndpointClient } {
  if (!options?.clientId) throw new InvalidInputError("clientId is required");
  if (!options.clientSecret) throw new InvalidInputError("clientSecret is required");
  return {
    baseUrl: k2Origin(options),
    // K2 takes the credentials in the form body (Doorkeeper's client_secret_post).
    endpoint: {
      transport: createTransport(options),
      authenticate: clientSecretPost(options.clientId, options.clientSecret),
      redact: redactor(() => secretForms(options.clientId, options.clientSecret)),
      dialect: k2ErrorDialect,
    },
  };
}

function k2Origin(options: K2TokenSourceOptions): string {
  if (options.baseUrl !== undefined) return checkedOrigin("baseUrl", options.baseUrl);
  const environment = options.environment ?? "sandbox";
  const origin = Object.hasOwn(K2_BASE_URLS, environment) ? K2_BASE_URLS[environment] : undefined;
  if (!origin)
    throw new InvalidInputError(`environment must be "sandbox" or "production", got ${JSON.stringify(environment)}`);
  return origin;
}
