/**
 * A Copper-shaped server on loopback: Copper's hosts cannot be reached from here, so this stands in
 * for app.copper.com (OAuth) and api.copper.com (Developer API), reproducing Copper's documented
 * behaviour:
 * - `GET /oauth/authorize` (response_type=code, client_id, redirect_uri, scope=developer/v1/all,
 *   optional state): the user approves at once (or denies, when told to) and the answer goes back
 *   to redirect_uri as a form POST (an auto-submitting HTML form), with `state` only when asked to;
 * - `POST /oauth/token`: form body with client_id and client_secret, codes single-use and bound to
 *   their redirect_uri; answers `access_token`, `token_type: "Bearer"`, `scope` and nothing else
 *   (no `expires_in`, no `refresh_token`);
 * - no revocation endpoint (404);
 * - `/developer_api/v1/*` with `Authorization: Bearer` and `X-PW-Application: developer_api`,
 *   180 requests per rolling minute per token, 429 beyond.
 * Every request is recorded, so tests can see exactly what a client sent.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export const COPPER_TEST_CLIENT = {
  clientId: "copper-test-client",
  clientSecret: "copper-test-secret-+/%&=",
  redirectUri: "https://crm-app.example.test/copper/callback",
};

export interface CopperServerOptions {
  /** Whether the authorization answer carries `state` (Copper may leave it out). Default false. */
  returnsState?: boolean;
  /** API requests allowed per rolling minute per token. Default 180, as Copper documents. */
  ratePerMinute?: number;
  /** The server's clock, in epoch milliseconds. */
  now?: () => number;
}

export interface CopperRecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: string;
}

interface IssuedCode {
  redirectUri: string;
  used: boolean;
}

export class CopperServer {
  readonly requests: CopperRecordedRequest[] = [];
  readonly #options: Required<CopperServerOptions>;
  readonly #codes = new Map<string, IssuedCode>();
  readonly #tokens = new Map<string, { calls: number[] }>();
  #server: Server | undefined;
  #origin = "";
  #denyNext = false;

  constructor(options: CopperServerOptions = {}) {
    this.#options = { returnsState: false, ratePerMinute: 180, now: Date.now, ...options };
  }

  get origin(): string {
    return this.#origin;
  }

  get authorizationEndpoint(): string {
    return `${this.#origin}/oauth/authorize`;
  }

  get tokenEndpoint(): string {
    return `${this.#origin}/oauth/token`;
  }

  get apiBaseUrl(): string {
    return `${this.#origin}/developer_api/v1/`;
  }

  /** The next authorization is refused by the user ("Cancel"): Copper posts `error=access_denied`. */
  denyNext(): void {
    this.#denyNext = true;
  }

  /** How many access tokens have been issued. */
  get issuedTokens(): number {
    return this.#tokens.size;
  }

  async start(): Promise<this> {
    const server = createServer((request, response) => {
      this.#handle(request, response).catch((error: unknown) => {
        response.writeHead(500, { "content-type": "application/json" });
        response.end(JSON.stringify({ error: "server_error", error_description: String(error) }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.#server = server;
    this.#origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", this.#origin);
    const body = await readBody(request);
    this.requests.push({
      method: request.method ?? "GET",
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k, String(v)])),
      body,
    });
    if (url.pathname === "/oauth/authorize" && request.method === "GET") return this.#authorize(url, response);
    if (url.pathname === "/oauth/token" && request.method === "POST") return this.#token(request, body, response);
    if (url.pathname.startsWith("/developer_api/v1/")) return this.#api(request, url, body, response);
    json(response, 404, { error: "not_found" });
  }

  #authorize(url: URL, response: ServerResponse): void {
    const query = url.searchParams;
    const redirectUri = query.get("redirect_uri");
    if (query.get("client_id") !== COPPER_TEST_CLIENT.clientId || redirectUri !== COPPER_TEST_CLIENT.redirectUri) {
      // Never redirect to an unregistered URI: show an error page, as any provider must.
      response.writeHead(400, { "content-type": "text/html" });
      response.end("<p>Unknown client or redirect_uri</p>");
      return;
    }
    const fields: Record<string, string> = {};
    if (query.get("response_type") !== "code") fields.error = "unsupported_response_type";
    else if (query.get("scope") !== "developer/v1/all") fields.error = "invalid_scope";
    else if (this.#denyNext) fields.error = "access_denied";
    else {
      const code = randomBytes(16).toString("hex");
      this.#codes.set(code, { redirectUri, used: false });
      fields.code = code;
    }
    this.#denyNext = false;
    const state = query.get("state");
    if (this.#options.returnsState && state !== null) fields.state = state;
    const inputs = Object.entries(fields)
      .map(([name, value]) => `<input type="hidden" name="${name}" value="${escapeHtml(value)}">`)
      .join("");
    response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    response.end(
      `<!DOCTYPE html><html><body onload="document.forms[0].submit()">` +
        `<form method="post" action="${escapeHtml(redirectUri)}">${inputs}</form></body></html>`,
    );
  }

  #token(request: IncomingMessage, body: string, response: ServerResponse): void {
    if (!String(request.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded")) {
      return json(response, 400, { error: "invalid_request", error_description: "form body expected" });
    }
    const form = new URLSearchParams(body);
    if (
      form.get("client_id") !== COPPER_TEST_CLIENT.clientId ||
      form.get("client_secret") !== COPPER_TEST_CLIENT.clientSecret
    ) {
      return json(response, 401, { error: "invalid_client", error_description: "Client authentication failed" });
    }
    if (form.get("grant_type") !== "authorization_code")
      return json(response, 400, { error: "unsupported_grant_type" });
    const issued = this.#codes.get(form.get("code") ?? "");
    if (!issued || issued.used || issued.redirectUri !== form.get("redirect_uri")) {
      return json(response, 400, { error: "invalid_grant", error_description: "The authorization code is invalid" });
    }
    issued.used = true;
    const accessToken = randomBytes(24).toString("base64url");
    this.#tokens.set(accessToken, { calls: [] });
    json(response, 200, { access_token: accessToken, token_type: "Bearer", scope: "developer/v1/all" });
  }

  #api(request: IncomingMessage, url: URL, body: string, response: ServerResponse): void {
    const token = /^Bearer (.+)$/.exec(String(request.headers.authorization ?? ""))?.[1];
    const usage = token === undefined ? undefined : this.#tokens.get(token);
    if (!usage) return json(response, 401, { success: false, status: 401, message: "Invalid token" });
    if (request.headers["x-pw-application"] !== "developer_api") {
      return json(response, 400, { success: false, status: 400, message: "X-PW-Application must be developer_api" });
    }
    const now = this.#options.now();
    usage.calls = usage.calls.filter((at) => at > now - 60_000);
    if (usage.calls.length >= this.#options.ratePerMinute) {
      return json(response, 429, { success: false, status: 429, message: "Rate limit exceeded" });
    }
    usage.calls.push(now);
    const path = url.pathname.slice("/developer_api/v1".length);
    if (path === "/account" && request.method === "GET") return json(response, 200, { id: 4242, name: "Example Ltd" });
    if (path === "/people/search" && request.method === "POST") {
      const criteria = body ? (JSON.parse(body) as { page_size?: number }) : {};
      return json(response, 200, [{ id: 1, name: "Jane Doe", page_size: criteria.page_size ?? 20 }]);
    }
    json(response, 404, { success: false, status: 404, message: "Resource not found" });
  }
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify(body));
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/**
 * What a browser does with the authorization page: submits its form to the redirect URI. Returns
 * that POST as a `Request`, so tests hand it to the application as a Worker would receive it.
 */
export function submitAuthorizationPage(html: string, cookie?: string): Request {
  const action = /<form method="post" action="([^"]+)">/.exec(html)?.[1];
  if (!action) throw new Error(`No form on the authorization page: ${html.slice(0, 200)}`);
  const fields = [...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map(
    (match) => [match[1]!, unescapeHtml(match[2]!)] as [string, string],
  );
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" };
  if (cookie) headers.cookie = cookie;
  return new Request(unescapeHtml(action), { method: "POST", headers, body: new URLSearchParams(fields).toString() });
}

function unescapeHtml(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}
