/**
 * A K2-shaped server on loopback, for running the whole flow without Kopo Kopo's hosts: OAuth
 * (oauth.ts), every API resource with K2's validation (validation.ts) and status shapes
 * (resources.ts), payments that end after a delay with an outcome chosen by test phone numbers
 * (lifecycle.ts, outcomes.ts), signed results and webhooks delivered with retries (callbacks.ts,
 * webhooks.ts), and a remote control for tests (control.ts). docs/sandbox.md is its manual.
 *
 * It records every request, and faults can be queued per path (a status, a delay, a hang, a dropped
 * connection, a truncated body) so that tests can watch a client meet them.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Deliveries, type Delivery } from "./callbacks.ts";
import {
  control,
  TriggerError,
  type Controls,
  type InFlight,
  type Fault,
  type RecordedRequest,
  type SettableOptions,
  type TriggerOptions,
} from "./control.ts";
import { DEV_API_KEY, DEV_CLIENT, type SandboxClient } from "./credentials.ts";
import { apiError, isoWithOffset, isRecord, json, type Answer, type Json } from "./http.ts";
import { Lifecycle, type LedgerEntry } from "./lifecycle.ts";
import type { TestOutcome } from "./outcomes.ts";
import { sandboxPage } from "./page.ts";
import { OAuthServer } from "./oauth.ts";
import {
  COLLECTIONS,
  initialState,
  resourceDocument,
  statusAttributes,
  type SandboxResource,
  type Version,
} from "./resources.ts";
import { problemsOf } from "./validation.ts";
import {
  darajaPayload,
  subscribersOf,
  WEBHOOK_TOPICS,
  webhookEvent,
  webhookResource,
  type Subscription,
} from "./webhooks.ts";

export type { Delivery, DeliveryAttempt } from "./callbacks.ts";
export type { Fault, RecordedRequest, SettableOptions, TriggerOptions } from "./control.ts";
export { TEST_PHONE_NUMBERS, type TestOutcome } from "./outcomes.ts";

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
  /**
   * Issuing a token revokes the client's previous ones (default false), as Doorkeeper's
   * `revoke_previous_client_credentials_token` does: clients that each fetch their own token then
   * refuse each other's. Also settable with `setOptions` (`POST /__sandbox/options`).
   */
  revokePreviousTokenOnIssue?: boolean;
  /** The server's clock, in epoch milliseconds (tokens and `created_at`; delays run on real timers). */
  now?: () => number;
  /** The application's API key, which signs results and webhooks (default `DEV_API_KEY`). */
  apiKey?: string;
  /** How long a payment stays Pending before it ends (default 2000 ms); `Infinity`: until `settle(id)`. */
  processingDelayMs?: number;
  /** Attempts after a failed delivery of a result or webhook (default 3). */
  callbackRetries?: number;
  /** Wait before the first retry, doubled before each next one (default 500 ms). */
  callbackBackoffMs?: number;
  /** How long one delivery attempt may take (default 5000 ms). */
  callbackTimeoutMs?: number;
  /**
   * Deliver results and webhooks to loopback receivers only (default false). Tests and benchmarks
   * set it, so that sample callback URLs such as https://example.com never leave the machine (a DNS
   * lookup cannot be cancelled, and would hold the test process open after close()).
   */
  loopbackCallbacksOnly?: boolean;
}

export class K2Sandbox implements Controls {
  readonly requests: RecordedRequest[] = [];
  readonly options: Required<Omit<K2SandboxOptions, "port" | "host">>;
  readonly #port: number | undefined;
  readonly #host: string | undefined;
  readonly #faults = new Map<string, Fault[]>();
  readonly #resources = new Map<string, SandboxResource>();
  readonly #ledger: LedgerEntry[] = [];
  readonly #oauth: OAuthServer;
  readonly #deliveries: Deliveries;
  readonly #lifecycle: Lifecycle;
  readonly #server: Server;
  /** New payments stay pending until settled (`setOptions`), whatever `processingDelayMs` says. */
  #holdPayments = false;
  /** The options as constructed, which `reset()` returns to after `setOptions`. */
  readonly #constructed: SettableOptions;
  url = "";

  constructor(options: K2SandboxOptions = {}) {
    this.options = {
      clients: options.clients ?? [DEV_CLIENT],
      createdAt: options.createdAt ?? "iso",
      introspectionTimes: options.introspectionTimes ?? "iso",
      revokeBody: options.revokeBody ?? "{}",
      locationStyle: options.locationStyle ?? "prefixed",
      tokenLifetimeSeconds: options.tokenLifetimeSeconds ?? 3600,
      revokePreviousTokenOnIssue: options.revokePreviousTokenOnIssue ?? false,
      now: options.now ?? Date.now,
      apiKey: options.apiKey ?? DEV_API_KEY,
      processingDelayMs: options.processingDelayMs ?? 2000,
      callbackRetries: options.callbackRetries ?? 3,
      callbackBackoffMs: options.callbackBackoffMs ?? 500,
      callbackTimeoutMs: options.callbackTimeoutMs ?? 5000,
      loopbackCallbacksOnly: options.loopbackCallbacksOnly ?? false,
    };
    this.#constructed = { revokePreviousTokenOnIssue: this.options.revokePreviousTokenOnIssue, holdPayments: false };
    this.#port = options.port;
    this.#host = options.host;
    this.#oauth = new OAuthServer(this.options);
    this.#deliveries = new Deliveries({
      apiKey: this.options.apiKey,
      retries: this.options.callbackRetries,
      backoffMs: this.options.callbackBackoffMs,
      timeoutMs: this.options.callbackTimeoutMs,
      loopbackOnly: this.options.loopbackCallbacksOnly,
    });
    this.#lifecycle = new Lifecycle(
      {
        now: () => this.options.now(),
        ledger: this.#ledger,
        sendResult: (stored, document) =>
          this.#deliveries.send("result", stored.type, String(stored.body._links.callback_url), document),
        fireWebhook: (topic, resource, till) => this.#fire(topic, resource, till),
      },
      // Read at each payment's start: holding payments applies from the next one on.
      () => (this.#holdPayments ? Infinity : this.options.processingDelayMs),
    );
    this.#server = createServer((request, response) => {
      void this.#handle(request, response);
    });
  }

  async listen(port = this.#port ?? 0, host = this.#host ?? "127.0.0.1"): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(port, host, resolve));
    const address = this.#server.address() as AddressInfo;
    this.url = `http://${host}:${address.port}`;
    return this;
  }

  /** Stops the server, every pending payment and every delivery (and its retries). */
  async close(): Promise<void> {
    this.#lifecycle.close();
    this.#deliveries.close();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** Every result and webhook sent so far, with its attempts; `reset()` empties it. */
  get deliveries(): Delivery[] {
    return this.#deliveries.record;
  }

  /** Resolves once no payment is still pending and no delivery is still being tried. */
  async idle(): Promise<void> {
    await this.#lifecycle.idle();
    await this.#deliveries.idle();
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
    this.#oauth.expireAll();
  }

  /** Revokes every token issued so far: API calls with them get 401 InvalidAccessToken. */
  revokeAllTokens(): void {
    this.#oauth.revokeAll();
  }

  /** Changes options of a running sandbox (the OAuth side reads them on each request). */
  setOptions(options: Partial<SettableOptions>): void {
    if (options.revokePreviousTokenOnIssue !== undefined)
      this.options.revokePreviousTokenOnIssue = options.revokePreviousTokenOnIssue;
    if (options.holdPayments !== undefined) this.#holdPayments = options.holdPayments;
  }

  /**
   * Forgets the requests, the queued faults and the deliveries, and undoes `setOptions`. Resources,
   * subscriptions and tokens stay (a client keeps using them), unless `state` is set: then
   * resources, subscriptions, pending payments and received payments go too.
   */
  reset(options: { state?: boolean } = {}): void {
    this.setOptions(this.#constructed);
    this.requests.length = 0;
    this.#faults.clear();
    this.#deliveries.clearRecord();
    if (options.state) {
      this.#lifecycle.close();
      this.#resources.clear();
      this.#ledger.length = 0;
    }
  }

  /**
   * Ends the payment `id` now, with its outcome, result and webhooks; `false` if there is none.
   * With `as`, a test number's outcome: it ends as if its payer's phone were that number.
   */
  settle(id: string, as?: TestOutcome): boolean {
    const stored = this.#resources.get(id);
    if (!stored) return false;
    this.#lifecycle.settle(stored, as);
    return true;
  }

  /** The payments (and other resources that end by themselves) started and not yet ended. */
  inFlight(): InFlight[] {
    return this.#lifecycle.inFlight().map((stored) => ({
      id: stored.id,
      type: stored.type,
      createdAt: stored.createdAt,
      amount: amountOf(stored.body),
      phone: phoneOf(stored.body),
    }));
  }

  /**
   * Sends a signed, K2-shaped event of `topic` (sample values, `resource` laid over them) to `url`,
   * or to every subscription to the topic, like `stripe trigger`.
   */
  trigger(topic: string, options: TriggerOptions = {}): { event: Json; deliveries: Delivery[] } {
    if (!Object.hasOwn(WEBHOOK_TOPICS, topic))
      throw new TriggerError(`unknown topic "${topic}"; known: ${Object.keys(WEBHOOK_TOPICS).join(", ")}`);
    if (options.url !== undefined && !/^https?:\/\/[^/?#]+/.test(options.url))
      throw new TriggerError("url must be an absolute http(s) URL");
    const resource = webhookResource(topic, {}, this.options.now(), options.resource);
    if (options.url !== undefined) {
      const event = webhookEvent(topic, resource, this.#origin(), this.options.now());
      return { event, deliveries: [this.#deliveries.send("webhook", topic, options.url, event)] };
    }
    if (subscribersOf(this.#subscriptions(), topic).length === 0)
      throw new TriggerError(`no url given and no subscription to ${topic}`);
    return this.#fire(topic, resource);
  }

  #origin(): string {
    return this.url || "http://127.0.0.1";
  }

  *#subscriptions(): Iterable<Subscription> {
    for (const stored of this.#resources.values()) if (stored.subscription) yield stored.subscription;
  }

  /** One event, to every subscription to `topic` on `till` (or the company); Daraja-flat where asked. */
  #fire(topic: string, resource: Json, till?: string): { event: Json; deliveries: Delivery[] } {
    const event = webhookEvent(topic, resource, this.#origin(), this.options.now());
    const deliveries = subscribersOf(this.#subscriptions(), topic, till).map((subscription) => {
      const payload = (subscription.enable_daraja_payload && darajaPayload(topic, resource)) || event;
      return this.#deliveries.send("webhook", topic, subscription.url, payload);
    });
    return { event, deliveries };
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
    const page = request.method === "GET" ? sandboxPage(url.pathname) : undefined;
    if (page) {
      response.writeHead(200, page.headers);
      response.end(page.body);
      return;
    }
    if (url.pathname.startsWith("/__sandbox/")) {
      const answer = control(this, request.method ?? "GET", url.pathname, body);
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
    if (fault === "cut") {
      response.writeHead(200, { "content-type": "application/json; charset=utf-8" });
      response.write('{"data":{"id":"x","type":"incoming_pay');
      setTimeout(() => response.socket?.destroy(), 10);
      return;
    }
    if (typeof fault === "object" && "delayMs" in fault) {
      await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
    } else if (fault) {
      response.writeHead(fault.status, fault.headers ?? {});
      response.end(fault.body ?? "");
      return;
    }

    const answer = this.#route(request.method ?? "GET", url, headers, body);
    response.writeHead(answer.status, answer.headers);
    response.end(answer.body);
  }

  #route(method: string, url: URL, headers: Record<string, string>, body: string): Answer {
    const oauth = this.#oauth.handle(method, url, headers, body);
    if (oauth) return oauth;
    const api = /^(?:\/api\/(v1|v2))?\/([a-z_]+)(?:\/([0-9a-f-]{36})(?:\/([a-z_]+))?)?$/.exec(url.pathname);
    const collection = api && Object.hasOwn(COLLECTIONS, api[2]!) ? COLLECTIONS[api[2]!]! : undefined;
    // K2 has each resource on the versions its endpoint map gives, and paths without /api/vN only
    // as the Locations it hands out.
    if (!api || !collection || !(api[1] || api[3])) return apiError(404, "Not found");
    if (api[1] && !api[3] && !collection.versions.includes(api[1] as Version)) return apiError(404, "Not found");
    const refusal = this.#oauth.refusal(headers);
    if (refusal) return refusal;
    const [path, version, name, id, action] = api as unknown as [string, Version | undefined, string, string?, string?];
    if (id) return this.#existing(method, path, headers, name, id, action);
    if (method !== "POST") return apiError(405, "Method not allowed");
    return this.#create(headers, version ?? collection.versions.at(-1)!, name, body);
  }

  #create(headers: Record<string, string>, version: Version, collection: string, body: string): Answer {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return apiError(400, "Request body is not valid JSON");
    }
    const problems = problemsOf(collection, version, parsed);
    if (problems.length > 0) return apiError(400, problems);
    const request = parsed as Json;
    const id = randomUUID();
    const origin = `http://${headers.host}`;
    const location =
      this.options.locationStyle === "prefixed"
        ? `${origin}/api/${version}/${collection}/${id}`
        : `${origin}/${collection}/${id}`;
    const createdMs = this.options.now();
    const type = COLLECTIONS[collection]!.type;
    const stored: SandboxResource = {
      id,
      type,
      collection,
      version,
      body: request,
      createdAt: isoWithOffset(createdMs),
      createdMs,
      location,
      state: initialState(type, request, id, createdMs),
    };
    if (type === "webhook_subscription") {
      stored.subscription = {
        id,
        event_type: request.event_type,
        url: request.url,
        scope: request.scope,
        scope_reference: request.scope_reference || null,
        enable_daraja_payload: request.enable_daraja_payload === true,
      };
    }
    this.#resources.set(id, stored);
    this.#lifecycle.start(stored);
    return { status: 201, headers: { location }, body: "" };
  }

  #existing(
    method: string,
    path: string,
    headers: Record<string, string>,
    collection: string,
    id: string,
    action: string | undefined,
  ): Answer {
    const stored = this.#resources.get(id);
    if (method !== (action ? "POST" : "GET")) return apiError(405, "Method not allowed");
    if (!stored || stored.collection !== collection) return apiError(404, "Resource not found");
    if (!action) return json(200, resourceDocument(stored, statusAttributes(stored, `http://${headers.host}${path}`)));
    if (stored.type !== "payment_link" || action !== "cancel") return apiError(404, "Not found");
    const link = stored.state.payment_link as Json;
    if (link.payment_link_status === "Cancelled") return apiError(400, "Payment link is already cancelled");
    if (link.payment_link_status === "Paid") return apiError(400, "Payment link has already been paid");
    this.#lifecycle.stop(stored);
    stored.state = { ...stored.state, payment_link: { ...link, payment_link_status: "Cancelled" } };
    return json(200, { message: "Payment link cancelled." });
  }
}

/** What a request says it moves, as the sandbox's page shows it ("KES 20"), when it says. */
function amountOf(body: Json): string | null {
  const amount = isRecord(body.amount) ? body.amount : undefined;
  const value = amount ? amount.value : body.amount;
  if (value === undefined || value === null) return null;
  return `${amount?.currency ?? "KES"} ${String(value)}`;
}

/** The payer's or payee's phone a request names (an STK push's subscriber, a wallet destination). */
function phoneOf(body: Json): string | null {
  const subscriber = isRecord(body.subscriber) ? body.subscriber : undefined;
  const destination = Array.isArray(body.destinations) ? body.destinations.find(isRecord) : undefined;
  const phone = subscriber?.phone_number ?? destination?.phone_number;
  return typeof phone === "string" ? phone : null;
}
