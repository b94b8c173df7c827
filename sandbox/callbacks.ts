/**
 * Signed delivery of results and webhooks, with retries: K2 signs every POST with the
 * application's API key and tries again when a receiver fails, so a receiver that answers 500 or
 * is briefly down must see the same body again. Bounded (a few attempts, doubling waits), and every
 * timer and request in flight is dropped by {@link Deliveries.close}, so that a test ends clean.
 */
import { createHmac, randomUUID } from "node:crypto";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { railsJson } from "./http.ts";

export interface DeliveryAttempt {
  /** The receiver's status, when it answered. */
  status?: number;
  /** Why there was no answer (`ECONNREFUSED`, `TimeoutError`...), when it did not. */
  error?: string;
}

/** One result or webhook the sandbox sent (or is still sending). */
export interface Delivery {
  id: string;
  kind: "result" | "webhook";
  /** The webhook topic, or the result's `data.type`. */
  topic: string;
  url: string;
  /** The raw body, exactly as signed. */
  body: string;
  /** `X-KopoKopo-Signature`: lowercase hex HMAC-SHA256 of `body` keyed with the API key. */
  signature: string;
  attempts: DeliveryAttempt[];
  state: "pending" | "delivered" | "failed";
}

export interface DeliveryOptions {
  apiKey: string;
  /** Attempts after the first one failed. */
  retries: number;
  /** Wait before the first retry; each later one waits twice as long as the one before. */
  backoffMs: number;
  /** How long one attempt may take. */
  timeoutMs: number;
  /** Send only to loopback hosts; any other delivery fails at once with `error: "NOT_LOOPBACK"`. */
  loopbackOnly: boolean;
}

/** The lowercase hex HMAC-SHA256 of `body`, keyed with `apiKey`: K2's `X-KopoKopo-Signature`. */
export function signature(body: string, apiKey: string): string {
  return createHmac("sha256", apiKey).update(body).digest("hex");
}

export class Deliveries {
  readonly record: Delivery[] = [];
  readonly #options: DeliveryOptions;
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  readonly #requests = new Set<AbortController>();
  readonly #pending = new Set<Delivery>();
  #idle: (() => void)[] = [];
  #closed = false;

  constructor(options: DeliveryOptions) {
    this.#options = options;
  }

  /**
   * Serialises `payload` as Rails does, signs those exact bytes and POSTs them to `url`, retrying
   * in the background; answers the record at once.
   */
  send(kind: Delivery["kind"], topic: string, url: string, payload: unknown): Delivery {
    const body = railsJson(payload);
    const delivery: Delivery = {
      id: randomUUID(),
      kind,
      topic,
      url,
      body,
      signature: signature(body, this.#options.apiKey),
      attempts: [],
      state: "pending",
    };
    this.record.push(delivery);
    if (this.#options.loopbackOnly && !isLoopback(url)) {
      delivery.attempts.push({ error: "NOT_LOOPBACK" });
      delivery.state = "failed";
      return delivery;
    }
    if (this.#closed) {
      delivery.state = "failed";
      return delivery;
    }
    this.#pending.add(delivery);
    void this.#attempt(delivery);
    return delivery;
  }

  /** Resolves once no delivery is pending. */
  idle(): Promise<void> {
    if (this.#pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Forgets the record; deliveries still pending go on. */
  clearRecord(): void {
    this.record.length = 0;
  }

  /** Stops every retry and request in flight; later sends are recorded as failed and not sent. */
  close(): void {
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    for (const request of this.#requests) request.abort();
    for (const delivery of this.#pending) delivery.state = "failed";
    this.#pending.clear();
    this.#wakeIdle();
  }

  async #attempt(delivery: Delivery): Promise<void> {
    const controller = new AbortController();
    this.#requests.add(controller);
    const timeout = this.#later(
      () => controller.abort(new DOMException("timed out", "TimeoutError")),
      this.#options.timeoutMs,
    );
    let attempt: DeliveryAttempt;
    try {
      attempt = { status: await post(delivery, controller.signal) };
    } catch (error) {
      attempt = { error: reason(error) };
    } finally {
      clearTimeout(timeout);
      this.#timers.delete(timeout);
      this.#requests.delete(controller);
    }
    if (this.#closed) return;
    delivery.attempts.push(attempt);
    if (attempt.status !== undefined && attempt.status >= 200 && attempt.status < 300)
      return this.#finish(delivery, "delivered");
    const retry = delivery.attempts.length - 1;
    if (retry >= this.#options.retries) return this.#finish(delivery, "failed");
    this.#later(() => void this.#attempt(delivery), this.#options.backoffMs * 2 ** retry);
  }

  #finish(delivery: Delivery, state: Delivery["state"]): void {
    delivery.state = state;
    this.#pending.delete(delivery);
    if (this.#pending.size === 0) this.#wakeIdle();
  }

  #wakeIdle(): void {
    const waiting = this.#idle;
    this.#idle = [];
    for (const resolve of waiting) resolve();
  }

  #later(run: () => void, ms: number): ReturnType<typeof setTimeout> {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      run();
    }, ms);
    this.#timers.add(timer);
    return timer;
  }
}

/**
 * POSTs the delivery and answers the receiver's status. Plain node:http without keep-alive: a
 * pooled connection (fetch keeps them) would hold the process open after close().
 */
function post(delivery: Delivery, signal: AbortSignal): Promise<number> {
  const target = new URL(delivery.url);
  const send = target.protocol === "https:" ? httpsRequest : httpRequest;
  const headers = {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(delivery.body),
    "user-agent": "k2-connect-edge-sandbox",
    "x-kopokopo-signature": delivery.signature,
  };
  return new Promise((resolve, reject) => {
    const request = send(target, { method: "POST", headers, agent: false, signal }, (response) => {
      response.on("error", reject);
      response.on("end", () => resolve(response.statusCode ?? 0));
      response.resume();
    });
    request.on("error", reject);
    request.end(delivery.body);
  });
}

function isLoopback(url: string): boolean {
  const host = URL.canParse(url) ? new URL(url).hostname : "";
  return host === "localhost" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** A failure's kind only: an error message may quote the receiver's URL, and with it a secret. */
function reason(error: unknown): string {
  const { code, cause } = error as { code?: unknown; cause?: { code?: unknown } };
  if (typeof code === "string" && code !== "ABORT_ERR") return code;
  if (cause && typeof cause.code === "string") return cause.code;
  const abortReason = (error as { cause?: unknown })?.cause;
  if (abortReason instanceof DOMException) return abortReason.name;
  return (error as Error)?.name ?? "Error";
}
