/**
 * A K2-shaped server on loopback, for running the whole flow without Kopo Kopo's hosts. It
 * reproduces K2's documented shapes (token with created_at as ISO, Unix or absent;
 * revoke answering `{}` or nothing; introspection times as ISO or Unix; token info; API errors with
 * string or array messages; 401 on expired tokens; 201 + Location with or without `/api/vN`).
 *
 * It records every request, and faults can be queued per path (a status, a hang, a dropped
 * connection, a truncated body) so that tests can watch a client meet them.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { DEV_CLIENT, type SandboxClient } from "./credentials.js";
import { resourceAction, statusAttributes } from "./resources.js";

export interface K2SandboxOptions {
  port?: number;
  host?: string;
  clients?: SandboxClient[];
  /** `created_at` in token answers: ISO-8601 with offset, Unix seconds, or left out. */
  createdAt?: "iso" | "unix" | "absent";
  /** `exp`/`iat` in introspection answers. */
  introspectionTimes?: "iso" | "unix";
  /** What a successful revoke answers with. */
  revokeBody?: "{}" | "";
  /** `Location` of a created resource: `/api/vN/<resource>/<id>` or `/<resource>/<id>`, always absolute. */
  locationStyle?: "prefixed" | "unprefixed";
  tokenLifetimeSeconds?: number;
  /** The server's clock, in epoch milliseconds. */
  now?: () => number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

export type Fault = { status: number; headers?: Record<string, string>; body?: string } | "hang" | "drop" | "truncate";

interface IssuedToken {
  clientId: string;
  issuedAt: number;
  expiresAt: number;
  revoked: boolean;
}

interface StoredResource {
  id: string;
  type: string;
  version: string;
  body: unknown;
}

/** Resource path segment (v1 and v2) to the `data.type` K2 reports for it. */
const RESOURCE_TYPES: Record<string, string> = {
  incoming_payments: "incoming_payment",
  pay_recipients: "pay_recipient",
  external_recipients: "external_recipient",
  payments: "payment",
  send_money: "send_money",
  merchant_bank_accounts: "merchant_bank_account",
  merchant_wallets: "merchant_wallet",
  settlement_transfers: "settlement_transfer",
  polling: "polling",
  payment_links: "payment_link",
  reversals: "reversal",
  transaction_sms_notifications: "transaction_sms_notification",
  webhook_subscriptions: "webhook_subscription",
};

export class K2Sandbox {
  readonly requests: RecordedRequest[] = [];
  readonly options: Required<Omit<K2SandboxOptions, "port" | "host">>;
  readonly #faults = new Map<string, Fault[]>();
  readonly #tokens = new Map<string, IssuedToken>();
  readonly #resources = new Map<string, StoredResource>();
  readonly #server: Server;
  url = "";

  constructor(options: K2SandboxOptions = {}) {
    this.options = {
      clients: options.clients ?? [DEV_CLIENT],
      createdAt: options.createdAt ?? "iso",
      introspectionTimes: options.introspectionTimes ?? "iso",
      revokeBody: options.revokeBody ?? "{}",
      locationStyle: options.locationStyle ?? "prefixed",
      tokenLifetimeSeconds: options.tokenLifetimeSeconds ?? 3600,
      now: options.now ?? Date.now,
    };
    this.#server = createServer((request, response) => {
      void this.#handle(request, response);
    });
  }

  async listen(port = 0, host = "127.0.0.1"): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(port, host, resolve));
    const address = this.#server.address() as AddressInfo;
    this.url = `http://${host}:${address.port}`;
    return this;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** Queues a fault for the next request to `path` (pathname only); faults are used once each. */
  inject(path: string, ...faults: Fault[]): void {
    this.#faults.set(path, [...(this.#faults.get(path) ?? []), ...faults]);
  }

  /** The requests received for one pathname. */
  requestsTo(path: string): RecordedRequest[] {
    return this.requests.filter((request) => new URL(request.path, "http://x").pathname === path);
  }

  /** Makes every token issued so far expire now, as if an hour had passed on K2's side. */
  expireAllTokens(): void {
    for (const token of this.#tokens.values()) token.expiresAt = this.options.now() - 1;
  }

  reset(): void {
    this.requests.length = 0;
    this.#faults.clear();
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    const url = new URL(request.url ?? "/", "http://sandbox");
    // The browser leg of the runtime matrix calls the sandbox from another origin. Preflights are
    // the browser's, not the client's, so they are answered without being recorded.
    response.setHeader("access-control-allow-origin", "*");
    response.setHeader("access-control-expose-headers", "location, retry-after");
    if (request.method === "OPTIONS") {
      response.writeHead(204, {
        "access-control-allow-methods": "GET, POST, OPTIONS",
        "access-control-allow-headers": "authorization, content-type, accept, x-request-id",
      });
      response.end();
      return;
    }
    if (url.pathname.startsWith("/__sandbox/")) {
      const answer = this.#control(request.method ?? "GET", url.pathname, body);
      response.writeHead(answer.status, answer.headers);
      response.end(answer.body);
      return;
    }
    const headers = Object.fromEntries(
      Object.entries(request.headers).map(([name, value]) => [
        name,
        Array.isArray(value) ? value.join(", ") : (value ?? ""),
      ]),
    );
    this.requests.push({ method: request.method ?? "GET", path: url.pathname + url.search, headers, body });

    const fault = this.#faults.get(url.pathname)?.shift();
    if (fault === "hang") return; // never answers; close() ends the connection
    if (fault === "drop") {
      request.socket.destroy();
      return;
    }
    if (fault === "truncate") {
      response.writeHead(200, { "content-type": "application/json", "content-length": "200" });
      response.write('{"access_token":"abc","token_ty');
      setTimeout(() => response.socket?.destroy(), 10);
      return;
    }
    if (fault) {
      response.writeHead(fault.status, fault.headers ?? {});
      response.end(fault.body ?? "");
      return;
    }

    const answer = this.#route(request.method ?? "GET", url, headers, body);
    response.writeHead(answer.status, answer.headers);
    response.end(answer.body);
  }

  /**
   * Remote control for tests that run elsewhere (inside workerd): read the record, reset, queue
   * faults, expire tokens. Control requests are not recorded.
   */
  #control(method: string, path: string, body: string): Answer {
    if (method === "GET" && path === "/__sandbox/requests") return json(200, this.requests);
    if (method === "POST" && path === "/__sandbox/reset") {
      this.reset();
      return json(200, {});
    }
    if (method === "POST" && path === "/__sandbox/expire") {
      this.expireAllTokens();
      return json(200, {});
    }
    if (method === "POST" && path === "/__sandbox/inject") {
      const { path: target, faults } = JSON.parse(body) as { path: string; faults: Fault[] };
      this.inject(target, ...faults);
      return json(200, {});
    }
    return json(404, { error: "unknown control path" });
  }

  #route(method: string, url: URL, headers: Record<string, string>, body: string): Answer {
    const path = url.pathname;
    if (method === "POST" && path === "/oauth/token") return this.#token(headers, body);
    if (method === "POST" && path === "/oauth/revoke") return this.#revoke(headers, body);
    if (method === "POST" && path === "/oauth/introspect") return this.#introspect(headers, body);
    if (method === "GET" && path === "/oauth/token/info") return this.#tokenInfo(headers);
    const api = /^(?:\/api\/(v1|v2))?\/([a-z_]+)(?:\/([0-9a-f-]{36})(?:\/([a-z_]+))?)?$/.exec(path);
    if (api && RESOURCE_TYPES[api[2]!] && (api[1] || api[3])) return this.#api(method, api, headers, body);
    return json(404, { error_code: 404, error_message: "Not found" });
  }

  #token(headers: Record<string, string>, body: string): Answer {
    const form = new URLSearchParams(body);
    const client = this.#authenticate(headers, form);
    if (!client) return invalidClient();
    if (form.get("grant_type") !== "client_credentials") {
      return json(400, {
        error: "unsupported_grant_type",
        error_description: "The authorization grant type is not supported by the authorization server.",
      });
    }
    const token = randomBytes(24).toString("base64url");
    const now = this.options.now();
    this.#tokens.set(token, {
      clientId: client.clientId,
      issuedAt: now,
      expiresAt: now + this.options.tokenLifetimeSeconds * 1000,
      revoked: false,
    });
    const answer: Record<string, unknown> = {
      access_token: token,
      token_type: "Bearer",
      expires_in: this.options.tokenLifetimeSeconds,
    };
    if (this.options.createdAt === "iso") answer.created_at = isoWithOffset(now);
    if (this.options.createdAt === "unix") answer.created_at = Math.floor(now / 1000);
    return json(200, answer);
  }

  #revoke(headers: Record<string, string>, body: string): Answer {
    const form = new URLSearchParams(body);
    if (!this.#authenticate(headers, form)) return invalidClient();
    const token = this.#tokens.get(form.get("token") ?? "");
    if (token) token.revoked = true;
    return this.options.revokeBody === "{}" ? json(200, {}) : { status: 200, headers: {}, body: "" };
  }

  #introspect(headers: Record<string, string>, body: string): Answer {
    const form = new URLSearchParams(body);
    if (!this.#authenticate(headers, form)) return invalidClient();
    const token = this.#tokens.get(form.get("token") ?? "");
    if (!token || token.revoked || token.expiresAt <= this.options.now()) return json(200, { active: false });
    const time = (ms: number) =>
      this.options.introspectionTimes === "iso" ? isoWithOffset(ms) : Math.floor(ms / 1000);
    return json(200, {
      active: true,
      scope: "",
      client_id: token.clientId,
      token_type: "Bearer",
      exp: time(token.expiresAt),
      iat: time(token.issuedAt),
    });
  }

  #tokenInfo(headers: Record<string, string>): Answer {
    const found = this.#bearer(headers);
    if (!found.token) return json(401, { error: "invalid_token", error_description: "The access token is invalid" });
    return json(200, {
      resource_owner_id: null,
      scope: [],
      expires_in: Math.floor((found.token.expiresAt - this.options.now()) / 1000),
      application: { uid: found.token.clientId },
      created_at: Math.floor(found.token.issuedAt / 1000),
    });
  }

  #api(method: string, match: RegExpExecArray, headers: Record<string, string>, body: string): Answer {
    const found = this.#bearer(headers);
    if (!found.token) return json(401, { error_code: 401, error_message: found.problem });
    const [path, version = "v2", resource = "", id, action] = match;
    if (id && method === (action ? "POST" : "GET")) {
      const stored = this.#resources.get(id);
      if (!stored) return json(404, { error_code: 404, error_message: "Resource not found" });
      if (action) {
        const answer = resourceAction(stored, action);
        return json(answer.status, answer.body);
      }
      const attributes = statusAttributes(stored, `http://${headers.host}${path}`);
      return json(200, { data: { id: stored.id, type: stored.type, attributes } });
    }
    if (method !== "POST" || id) return json(405, { error_code: 405, error_message: "Method not allowed" });
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return json(400, { error_code: 400, error_message: "Request body is not valid JSON" });
    }
    const problems = validate(resource, parsed);
    if (problems.length > 0) return json(400, { error_code: 400, error_message: problems });
    const newId = randomUUID();
    this.#resources.set(newId, { id: newId, type: RESOURCE_TYPES[resource]!, version, body: parsed });
    const origin = `http://${headers.host}`;
    const location =
      this.options.locationStyle === "prefixed"
        ? `${origin}/api/${version}/${resource}/${newId}`
        : `${origin}/${resource}/${newId}`;
    return { status: 201, headers: { location }, body: "" };
  }

  /** Doorkeeper reads client credentials from the body or from HTTP Basic. */
  #authenticate(headers: Record<string, string>, form: URLSearchParams): SandboxClient | undefined {
    let id = form.get("client_id");
    let secret = form.get("client_secret");
    const basic = /^Basic (.+)$/i.exec(headers.authorization ?? "");
    if (basic) {
      const [user = "", pass = ""] = Buffer.from(basic[1]!, "base64").toString("utf8").split(":");
      id = decodeURIComponent(user.replace(/\+/g, " "));
      secret = decodeURIComponent(pass.replace(/\+/g, " "));
    }
    return this.options.clients.find((client) => client.clientId === id && client.clientSecret === secret);
  }

  #bearer(headers: Record<string, string>): { token?: IssuedToken; problem: string } {
    const match = /^Bearer (.+)$/.exec(headers.authorization ?? "");
    const token = match ? this.#tokens.get(match[1]!) : undefined;
    if (!token || token.revoked) return { problem: "InvalidAccessToken" };
    if (token.expiresAt <= this.options.now()) return { problem: "ExpiredAccessToken" };
    return { token, problem: "" };
  }
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

function json(status: number, value: unknown): Answer {
  return { status, headers: { "content-type": "application/json; charset=utf-8" }, body: JSON.stringify(value) };
}

function invalidClient(): Answer {
  return json(401, {
    error: "invalid_client",
    error_description:
      "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.",
  });
}

/** ISO-8601 with an explicit offset, as K2 (Rails) writes it: 2026-11-22T13:12:52+03:00. */
function isoWithOffset(ms: number): string {
  const eat = new Date(ms + 3 * 3600_000);
  return `${eat.toISOString().slice(0, 19)}+03:00`;
}

/** The few rules K2 enforces that tests rely on; K2's own answer lists every problem. */
function validate(resource: string, body: unknown): string[] {
  if (typeof body !== "object" || body === null) return ["Request body must be a JSON object"];
  if (resource !== "incoming_payments") return [];
  const payment = body as Record<string, any>;
  const problems: string[] = [];
  if (!payment.till_number) problems.push("Till number can't be blank");
  if (!payment.subscriber?.phone_number) problems.push("Phone number can't be blank");
  if (payment.amount?.currency !== "KES") problems.push("Currency must be KES");
  if (!(Number(payment.amount?.value) > 0)) problems.push("Amount must be greater than 0");
  if (!payment._links?.callback_url) problems.push("Callback url can't be blank");
  return problems;
}
