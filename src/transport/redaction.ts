/**
 * Redaction: what a server sent back is cleaned of the client's secrets before an error quotes it.
 *
 * @module
 */

/** Removes secrets from text that came back from a server before it goes into an error. */
export type Redact = (text: string) => string;

/** Keeps text as it is: for answers to requests that carried no secret. */
export const noRedaction: Redact = (text) => text;

/** Builds a {@link Redact} that replaces every given secret (ignoring empty ones) with `[REDACTED]`. */
export function redactor(secrets: readonly (string | undefined)[]): Redact {
  const present = secrets.filter((secret): secret is string => !!secret && secret.length >= 4);
  if (present.length === 0) return noRedaction;
  return (text) => present.reduce((result, secret) => result.split(secret).join("[REDACTED]"), text);
}
