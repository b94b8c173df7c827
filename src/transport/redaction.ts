/**
 * Redaction: what a server sent back is cleaned of the client's secrets before an error quotes it.
 * A hostile or echoing server may send a secret back in any encoding it met it in or likes, so
 * each secret is looked for in every form listed by {@link echoForms}.
 *
 * @module
 */

/** Removes secrets from text that came back from a server before it goes into an error. */
export type Redact = (text: string) => string;

/** Keeps text as it is: for answers to requests that carried no secret. */
export const noRedaction: Redact = (text) => text;

// Shorter strings would match ordinary words and numbers in every message.
const MIN_SECRET_LENGTH = 4;

/**
 * Builds a {@link Redact} that replaces every secret (ignoring empty and very short ones), in every
 * form of {@link echoForms}, with `[REDACTED]`. `secrets` is called, and the forms built, only when
 * text is first redacted: a client that never meets an error never pays for them.
 */
export function redactor(secrets: () => readonly (string | undefined)[]): Redact {
  let forms: string[] | undefined;
  return (text) => {
    forms ??= formsOf(secrets());
    let result = text;
    for (const form of forms) if (result.includes(form)) result = result.split(form).join("[REDACTED]");
    return result;
  };
}

/** `redact`, then `secrets` too: for a request that carried secrets of its own (a token, a code). */
export function alsoRedacting(redact: Redact, secrets: readonly (string | undefined)[]): Redact {
  if (!secrets.some((secret) => secret && secret.length >= MIN_SECRET_LENGTH)) return redact;
  const own = redactor(() => secrets);
  return (text) => own(redact(text));
}

function formsOf(secrets: readonly (string | undefined)[]): string[] {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (secret && secret.length >= MIN_SECRET_LENGTH) for (const form of echoForms(secret)) forms.add(form);
  }
  // Longest first, so that a form containing a shorter one is replaced whole.
  return [...forms].sort((a, b) => b.length - a.length);
}

/**
 * The forms a secret can come back in: as sent, form- and percent-encoded (either hex case),
 * JSON-escaped the ways servers escape (JavaScript's minimal escaping; Python's and PHP's `\uXXXX`
 * for non-ASCII; Rails' and Go's `\u003c` for `<>&`; PHP's `\/`; either hex case), HTML-escaped (the
 * apostrophe kept, `&#39;` or `&#x27;`), and base64 or base64url of its UTF-8 bytes, padded or not.
 */
export function echoForms(secret: string): string[] {
  const percent = encodeURIComponent(secret);
  const forms = [secret, new URLSearchParams([["", secret]]).toString().slice(1), percent, lowerHex(percent)];
  // JSON.stringify already escapes quotes, backslashes, control characters and lone surrogates.
  const json = JSON.stringify(secret).slice(1, -1);
  for (const ascii of [json, unicodeEscaped(json, /[^\x20-\x7e]/g)]) {
    for (const html of [ascii, unicodeEscaped(ascii, /[<>&\u2028\u2029]/g)]) {
      for (const slashed of [html, html.replaceAll("/", "\\/")]) forms.push(slashed, upperHex(slashed));
    }
  }
  // HTML-escaped: templates differ only in what they make of the apostrophe.
  const html = secret.replace(/[&<>"]/g, (c) => `&${{ "&": "amp", "<": "lt", ">": "gt", '"': "quot" }[c]};`);
  forms.push(html, html.replaceAll("'", "&#39;"), html.replaceAll("'", "&#x27;"));
  const base64 = btoa(Array.from(new TextEncoder().encode(secret), (byte) => String.fromCharCode(byte)).join(""));
  const unpadded = base64.replace(/=+$/, "");
  forms.push(base64, unpadded, unpadded.replaceAll("+", "-").replaceAll("/", "_"));
  return forms.filter((form) => form.length >= MIN_SECRET_LENGTH);
}

const unicodeEscaped = (text: string, pattern: RegExp) =>
  text.replace(pattern, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
const lowerHex = (text: string) => text.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase());
const upperHex = (text: string) => text.replace(/\\u[0-9a-f]{4}/g, (escape) => `\\u${escape.slice(2).toUpperCase()}`);
