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
 * apostrophe kept, `&#39;` or `&#x27;`),
 * and base64 or base64url of its UTF-8 bytes, padded or not.
 */
export function echoForms(secret: string): string[] {
  const forms = [secret, new URLSearchParams([["", secret]]).toString().slice(1)];
  const percent = encodeURIComponent(secret);
  forms.push(
    percent,
    percent.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase()),
  );
  for (let variant = 0; variant < 16; variant++) {
    forms.push(
      jsonEscaped(secret, {
        nonAscii: (variant & 1) !== 0,
        html: (variant & 2) !== 0,
        slash: (variant & 4) !== 0,
        upperHex: (variant & 8) !== 0,
      }),
    );
  }
  // HTML-escaped: templates differ only in what they make of the apostrophe.
  const html = secret.replace(/[&<>"]/g, (c) => `&${{ "&": "amp", "<": "lt", ">": "gt", '"': "quot" }[c]};`);
  forms.push(html, html.replaceAll("'", "&#39;"), html.replaceAll("'", "&#x27;"));
  const base64 = btoa(Array.from(new TextEncoder().encode(secret), (byte) => String.fromCharCode(byte)).join(""));
  const unpadded = base64.replace(/=+$/, "");
  forms.push(base64, unpadded, unpadded.replace(/\+/g, "-").replace(/\//g, "_"));
  return forms.filter((form) => form.length >= MIN_SECRET_LENGTH);
}

const SHORT_ESCAPES: Record<string, string> = {
  '"': '\\"',
  "\\": "\\\\",
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
};

function jsonEscaped(
  secret: string,
  style: { nonAscii: boolean; html: boolean; slash: boolean; upperHex: boolean },
): string {
  const unicode = (code: number) => {
    const hex = code.toString(16).padStart(4, "0");
    return `\\u${style.upperHex ? hex.toUpperCase() : hex}`;
  };
  let out = "";
  for (let i = 0; i < secret.length; i++) {
    const char = secret[i]!;
    const code = secret.charCodeAt(i);
    if (SHORT_ESCAPES[char]) out += SHORT_ESCAPES[char];
    else if (code < 0x20) out += unicode(code);
    else if (style.slash && char === "/") out += "\\/";
    else if (style.html && (char === "<" || char === ">" || char === "&" || code === 0x2028 || code === 0x2029))
      out += unicode(code);
    else if ((style.nonAscii && code > 0x7e) || (code >= 0xd800 && code <= 0xdfff && !pairedAt(secret, i)))
      out += unicode(code);
    else out += char;
  }
  return out;
}

/** Whether the surrogate at `i` is half of a well-formed pair (JSON.stringify escapes lone ones). */
function pairedAt(text: string, i: number): boolean {
  const code = text.charCodeAt(i);
  if (code <= 0xdbff) {
    const next = text.charCodeAt(i + 1);
    return next >= 0xdc00 && next <= 0xdfff;
  }
  const previous = text.charCodeAt(i - 1);
  return previous >= 0xd800 && previous <= 0xdbff;
}
