/**
 * Client authentication at the token, revocation and introspection endpoints: a small strategy
 * function that adds credentials to a request. The secret lives only in the strategy's closure, so
 * it never shows up when a client object is logged or inspected.
 *
 * @module
 */
import { InvalidInputError } from "../errors.ts";

/**
 * Adds a client's credentials to a token-endpoint request, in the form body or the headers.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749#section-2.3 | RFC 6749, section 2.3}
 */
export type ClientAuthentication = (body: URLSearchParams, headers: Headers) => void;

/** The client authentication methods registered by name in OAuth 2.0 metadata. */
export type ClientAuthenticationMethod = "client_secret_post" | "client_secret_basic" | "none";

/**
 * `client_secret_post` (RFC 6749, section 2.3.1): `client_id` and `client_secret` in the form body,
 * as Kopo Kopo and Copper expect.
 */
export function clientSecretPost(clientId: string, clientSecret: string): ClientAuthentication {
  return (body) => {
    body.set("client_id", clientId);
    body.set("client_secret", clientSecret);
  };
}

/**
 * `client_secret_basic` (RFC 6749, section 2.3.1): HTTP Basic credentials. Id and secret are
 * form-encoded before Base64, as the RFC requires and many libraries forget, so a secret containing
 * `:`, `+`, `/`, `%`, `&` or `=` still works.
 */
export function clientSecretBasic(clientId: string, clientSecret: string): ClientAuthentication {
  const header = `Basic ${basicCredentials(clientId, clientSecret)}`;
  return (_body, headers) => {
    headers.set("authorization", header);
  };
}

/** `none` (RFC 6749, section 2.1): a public client, identified by `client_id` alone. */
function noClientSecret(clientId: string): ClientAuthentication {
  return (body) => {
    body.set("client_id", clientId);
  };
}

/** The strategy for a method name, checking that a secret is there when the method needs one. */
export function clientAuthenticationFor(
  method: ClientAuthenticationMethod | ClientAuthentication,
  clientId: string,
  clientSecret: string | undefined,
): ClientAuthentication {
  if (typeof method === "function") return method;
  if (method === "none") return noClientSecret(clientId);
  if (!clientSecret) throw new InvalidInputError(`clientSecret is required for ${method}`);
  if (method === "client_secret_post") return clientSecretPost(clientId, clientSecret);
  if (method === "client_secret_basic") return clientSecretBasic(clientId, clientSecret);
  throw new InvalidInputError(`Unknown clientAuthentication "${String(method)}"`);
}

/**
 * The secrets a client's requests carry (the secret, and the Basic credentials built from it), so
 * that an answer echoing a request can be cleaned before it is quoted in an error.
 */
export function secretForms(clientId: string, clientSecret: string | undefined): string[] {
  // The secret's own encodings are the redactor's; the Basic credentials are a secret of their own.
  return clientSecret ? [clientSecret, basicCredentials(clientId, clientSecret)] : [];
}

function basicCredentials(clientId: string, clientSecret: string): string {
  // Form-encoding leaves only ASCII, which btoa accepts.
  return btoa(`${formEncode(clientId)}:${formEncode(clientSecret)}`);
}

/** application/x-www-form-urlencoded serialisation of one value, as RFC 6749 appendix B defines it. */
function formEncode(value: string): string {
  return new URLSearchParams([["", value]]).toString().slice(1);
}
