/**
 * A user at oidc-provider's development login and consent pages, played in Node with fetch and a
 * cookie jar: follows the authorization request through login and consent (or "Cancel") until the
 * provider sends the browser back to the redirect URI, and returns that request as the browser
 * would make it: a GET with the query, or, for `response_mode=form_post`, the auto-submitted POST.
 */

export interface InteractionOptions {
  /** The account id to sign in as (the dev login accepts any). Default "alice". */
  login?: string;
  /** Press "Cancel" on the first page instead of signing in: the provider answers access_denied. */
  cancel?: boolean;
}

/** What the user went through on the way, for assertions about the flow itself. */
export interface InteractionResult {
  /** The request the browser makes to the redirect URI. */
  callback: Request;
  /** The pages shown, in order: "login", "consent". */
  prompts: string[];
}

export async function authorizeAsUser(
  authorizationUrl: URL | string,
  redirectUri: string,
  options: InteractionOptions = {},
): Promise<InteractionResult> {
  const jar = new Map<string, string>();
  const prompts: string[] = [];
  let url = new URL(authorizationUrl);
  let init: RequestInit = { method: "GET" };
  for (let step = 0; step < 20; step++) {
    const headers = new Headers(init.headers);
    if (jar.size > 0) headers.set("cookie", [...jar].map(([name, value]) => `${name}=${value}`).join("; "));
    const response = await fetch(url, { ...init, headers, redirect: "manual" });
    remember(jar, response);
    const location = response.headers.get("location");
    if (response.status >= 300 && response.status < 400 && location) {
      const next = new URL(location, url);
      if (isRedirectUri(next, redirectUri)) return { callback: new Request(next), prompts };
      url = next;
      init = { method: "GET" };
      continue;
    }
    const html = await response.text();
    const form = /<form[^>]*method="post"[^>]*action="([^"]+)"|<form[^>]*action="([^"]+)"[^>]*method="post"/i.exec(
      html,
    );
    const action = form && unescapeHtml(form[1] ?? form[2] ?? "");
    if (action && isRedirectUri(new URL(action, url), redirectUri)) {
      // response_mode=form_post: the page would auto-submit these hidden inputs to the client.
      const body = new URLSearchParams(hiddenInputs(html));
      return {
        callback: new Request(new URL(action, url), {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: body.toString(),
        }),
        prompts,
      };
    }
    const prompt = /name="prompt" value="([^"]+)"/.exec(html)?.[1];
    if (response.status !== 200 || !action || !prompt) {
      throw new Error(`Unexpected page at ${url.pathname} (HTTP ${response.status}): ${html.slice(0, 300)}`);
    }
    prompts.push(prompt);
    if (options.cancel) {
      const abort = /href="([^"]*\/abort)"/.exec(html)?.[1];
      if (!abort) throw new Error("No Cancel link on the interaction page");
      url = new URL(unescapeHtml(abort), url);
      init = { method: "GET" };
      continue;
    }
    const fields: Record<string, string> =
      prompt === "login" ? { prompt, login: options.login ?? "alice", password: "any" } : { prompt };
    url = new URL(action, url);
    init = {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(fields).toString(),
    };
  }
  throw new Error("The authorization flow did not come back to the redirect URI within 20 steps");
}

function isRedirectUri(url: URL, redirectUri: string): boolean {
  const target = new URL(redirectUri);
  return url.origin === target.origin && url.pathname === target.pathname;
}

function remember(jar: Map<string, string>, response: Response): void {
  for (const line of response.headers.getSetCookie()) {
    const [pair = "", ...attributes] = line.split(";");
    const separator = pair.indexOf("=");
    const name = pair.slice(0, separator).trim();
    const value = pair.slice(separator + 1).trim();
    const expired = attributes.some((attribute) => {
      const [key = "", date = ""] = attribute.split("=");
      return key.trim().toLowerCase() === "expires" && Date.parse(date) <= Date.now();
    });
    if (expired || value === "") jar.delete(name);
    else jar.set(name, value);
  }
}

function hiddenInputs(html: string): [string, string][] {
  return [...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"\/?>/g)].map((match) => [
    unescapeHtml(match[1]!),
    unescapeHtml(match[2]!),
  ]);
}

function unescapeHtml(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&#x27;|&#39;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}
