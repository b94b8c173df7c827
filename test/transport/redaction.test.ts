/**
 * A hostile or echoing token endpoint sends the client secret back in every place an error can
 * quote and in every encoding servers use; no error may carry any of them. The secrets are random
 * and full of the characters encoders treat specially. The encoders here are written apart from
 * the package's, as each server family writes its JSON.
 */
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { K2Client, OAuth2Client } from "../../src/index.ts";

const ALPHABET = [..."aZ09_-.~", ..."\"\\/<>&'+%=:;?# ", "\n", "\t", "\u0001", "é", "ß", "中", "😀", "\u2028"];

/** A small seeded generator, so that a failure names a secret that can be run again. */
function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomSecrets(count: number): string[] {
  const random = mulberry32(20261201);
  return Array.from({ length: count }, () => {
    const length = 8 + Math.floor(random() * 20);
    // At least one letter pair so that no secret is all separators.
    return `s${Array.from({ length }, () => ALPHABET[Math.floor(random() * ALPHABET.length)]).join("")}Q`;
  });
}

function escapeUnicode(text: string, test: (code: number) => boolean): string {
  return [...text]
    .flatMap((char) => (char.length === 2 ? [char[0]!, char[1]!] : [char]))
    .map((unit) => {
      const code = unit.charCodeAt(0);
      return test(code) ? `\\u${code.toString(16).padStart(4, "0")}` : unit;
    })
    .join("");
}

const inner = (text: string) => JSON.stringify(text).slice(1, -1);

/** Each way a server family writes the secret inside a JSON string or a page. */
const ENCODINGS: Record<string, (secret: string) => string> = {
  raw: (s) => s,
  "JSON (JavaScript)": inner,
  "JSON (Python ensure_ascii)": (s) => escapeUnicode(inner(s), (code) => code > 0x7e),
  "JSON (Rails, Go)": (s) => escapeUnicode(inner(s), (code) => [0x3c, 0x3e, 0x26, 0x2028, 0x2029].includes(code)),
  "JSON (PHP)": (s) => escapeUnicode(inner(s), (code) => code > 0x7e).replaceAll("/", "\\/"),
  "form-encoded": (s) => new URLSearchParams({ s }).toString().slice(2),
  "percent-encoded": encodeURIComponent,
  "percent-encoded, lowercase hex": (s) => encodeURIComponent(s).replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase()),
  "HTML-escaped (ERB)": (s) =>
    s
      .replaceAll("&", "&amp;")
      .replaceAll("<", "&lt;")
      .replaceAll(">", "&gt;")
      .replaceAll('"', "&quot;")
      .replaceAll("'", "&#39;"),
  "HTML-escaped (Python html.escape)": (s) =>
    s
      .replaceAll("&", "&amp;")
      .replaceAll("<", "&lt;")
      .replaceAll(">", "&gt;")
      .replaceAll('"', "&quot;")
      .replaceAll("'", "&#x27;"),
  base64: (s) => Buffer.from(s, "utf8").toString("base64"),
  "base64url, unpadded": (s) => Buffer.from(s, "utf8").toString("base64url"),
};

const headerSafe = (text: string) => /^[\x20-\x7e]*$/.test(text);

/** Where the echo goes: each answer a token endpoint might give. */
const PLACES: Record<string, (echo: string) => Response | undefined> = {
  "K2 error_code": (echo) => Response.json({ error_code: `E-${echo}`, error_message: "refused" }, { status: 400 }),
  "K2 error_message": (echo) => Response.json({ error_code: 400, error_message: `bad ${echo}` }, { status: 400 }),
  "an object inside K2's error_message array": (echo) =>
    Response.json(
      { error_code: 400, error_message: ["first", { field: "client_secret", value: echo }] },
      { status: 400 },
    ),
  error_description: (echo) =>
    Response.json({ error: "invalid_client", error_description: `unknown ${echo}` }, { status: 401 }),
  "error (the code itself)": (echo) => Response.json({ error: echo }, { status: 400 }),
  "Content-Type": (echo) =>
    headerSafe(echo)
      ? new Response("<h1>Bad gateway</h1>", { status: 502, headers: { "content-type": `text/html; echo=${echo}` } })
      : undefined,
  "an HTML page": (echo) =>
    new Response(`<pre>client_secret=${echo}</pre>`, { status: 502, headers: { "content-type": "text/html" } }),
  "a body that is not JSON (the parser would quote it)": (echo) =>
    new Response(echo, { status: 200, headers: { "content-type": "application/json" } }),
  "a 200 without access_token": (echo) => Response.json({ note: echo }),
};

/** Every string reachable from an error: message, stack, own fields (deep), the cause chain. */
function everyTextOf(error: unknown): string {
  const seen = new Set<unknown>();
  const texts: string[] = [];
  const visit = (value: unknown) => {
    if (typeof value === "string") texts.push(value);
    if (typeof value !== "object" || value === null || seen.has(value)) return;
    seen.add(value);
    if (value instanceof Error) texts.push(value.message, value.stack ?? "", String(value));
    for (const key of Reflect.ownKeys(value)) visit((value as Record<PropertyKey, unknown>)[key]);
    if (value instanceof Error) visit(value.cause);
  };
  visit(error);
  texts.push(inspect(error, { depth: 8, showHidden: true }));
  return texts.join("\n");
}

const secrets = randomSecrets(40);

describe("the client secret, in any encoding, never reaches an error", () => {
  for (const [place, answer] of Object.entries(PLACES)) {
    it(`is redacted when a hostile server echoes it in ${place}`, async () => {
      let checked = 0;
      for (const secret of secrets) {
        for (const [encoding, encode] of Object.entries(ENCODINGS)) {
          const response = answer(encode(secret));
          if (!response) continue;
          const k2 = new K2Client({
            clientId: "id",
            clientSecret: secret,
            baseUrl: "https://k2.example",
            retries: 0,
            fetch: async () => response.clone(),
          });
          const error = await k2.getAccessToken().then(
            () => expect.unreachable(),
            (e: unknown) => e,
          );
          const text = everyTextOf(error);
          for (const [name, form] of Object.entries(ENCODINGS)) {
            if (text.includes(form(secret))) {
              expect.fail(`${JSON.stringify(secret)} echoed ${encoding} is still there ${name} in: ${text}`);
            }
          }
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(secrets.length);
    });
  }

  it("is redacted from a refresh token, an authorization code and a revoked token echoed back", async () => {
    for (const secret of secrets.slice(0, 10)) {
      const echoing = async (_url: string | URL | Request, init?: RequestInit) =>
        Response.json({ error: "invalid_grant", error_description: `echo ${String(init?.body)}` }, { status: 400 });
      const oauth = new OAuth2Client({
        clientId: "id",
        clientAuthentication: "none",
        tokenEndpoint: "https://as.example/token",
        revocationEndpoint: "https://as.example/revoke",
        retries: 0,
        fetch: echoing,
      });
      const failures = await Promise.all([
        oauth.refreshToken(secret).catch((e: unknown) => e),
        oauth
          .exchangeAuthorizationCode({
            code: secret,
            codeVerifier: `${secret}-verifier`,
            redirectUri: "https://app/cb",
          })
          .catch((e: unknown) => e),
        oauth.revokeToken(secret).catch((e: unknown) => e),
      ]);
      for (const error of failures) {
        const text = everyTextOf(error);
        expect(text).toContain("[REDACTED]");
        for (const form of Object.values(ENCODINGS)) expect(text).not.toContain(form(secret));
      }
    }
  });
});
