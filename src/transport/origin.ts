/**
 * The one origin guard. A bearer token or a client secret goes only where it was configured to go:
 * every base URL the package is given is checked here by one rule, and every URL a token is sent
 * to is resolved here against its base and refused when it leaves the base's origin.
 *
 * The rule: an absolute URL, `https:` (plain `http:` only to a loopback host, where nothing crosses
 * a network), with no credentials and no fragment.
 *
 * @module
 */
import { InvalidInputError } from "../errors.ts";

/** `localhost`, `127.0.0.0/8` and `[::1]`: this machine. */
function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/**
 * `value` as a base URL under the guard's rule. `name` is the setting the error names; the value
 * itself is never quoted, since a misplaced secret is a common mistake.
 */
export function checkedUrl(name: string, value: unknown): URL {
  if (typeof value !== "string" || value.trim() === "") throw new InvalidInputError(`${name} is required`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidInputError(`${name} is not an absolute URL`);
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopback(url.hostname))) {
    throw new InvalidInputError(`${name} must be an https URL (plain http only to localhost)`);
  }
  if (url.username || url.password) throw new InvalidInputError(`${name} must not carry credentials`);
  if (url.hash) throw new InvalidInputError(`${name} must not have a fragment`);
  return url;
}

/** `value` as an origin: a {@link checkedUrl} with no path or query, such as `https://api.kopokopo.com`. */
export function checkedOrigin(name: string, value: unknown): string {
  const url = checkedUrl(name, value);
  if (url.pathname !== "/" || url.search) {
    throw new InvalidInputError(`${name} must be an origin only (scheme, host and port), without a path or query`);
  }
  return url.origin;
}

/**
 * A path of plain segments and a query of plain characters, with at most one leading slash: the
 * URL parser would give it back unchanged below the base, so it is joined without parsing (every
 * API call's path is one).
 */
const PLAIN_PATH = /^\/?(?:[A-Za-z0-9_-]+\/)*[A-Za-z0-9_-]+(?:\?[A-Za-z0-9_.~=&%+-]*)?$/;

/**
 * The guard of one base: a function that gives the absolute URL a request carrying a token goes
 * to, `target` resolved against `base`, or throws an {@link InvalidInputError} when it would leave
 * `base`'s origin. Made once per client, so a request parses only its own URL. Absolute and
 * protocol-relative targets are read as URLs; any other path lands below `base`, with or without
 * its leading slash (`"people"` and `"/people"` both give
 * `https://api.copper.com/developer_api/v1/people`). Whatever the spelling (`//host`, `https:host`,
 * `%2F%2Fhost`), the resolved origin decides; a backslash, which URL parsers read as a slash, is
 * refused outright.
 */
export function originGuard(base: string | URL): (target: string | URL) => string {
  const root = new URL(base);
  if (!root.pathname.endsWith("/")) root.pathname += "/";
  const { href: rootHref, origin } = root;
  return (target) => {
    let url: URL;
    try {
      if (target instanceof URL) url = new URL(target.href);
      else if (typeof target !== "string" || target === "") throw new TypeError("not a string");
      else if (PLAIN_PATH.test(target)) return rootHref + (target.startsWith("/") ? target.slice(1) : target);
      else if (target.includes("\\"))
        throw new InvalidInputError("A path or URL with a backslash is refused: URL parsers read it as a slash");
      else if (/^[a-z][a-z\d+.-]*:/i.test(target) || target.startsWith("//")) url = new URL(target, rootHref);
      else url = new URL(target.replace(/^\/+/, ""), rootHref);
    } catch (error) {
      if (error instanceof InvalidInputError) throw error;
      throw new InvalidInputError("Expected a path or an absolute URL", { cause: error });
    }
    if (url.origin !== origin)
      throw new InvalidInputError(`Refusing ${url.origin}: the token is only sent to ${origin}`);
    return url.href;
  };
}
