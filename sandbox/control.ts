/**
 * The sandbox's remote control under `/__sandbox/`, for tests and tools that drive it from
 * elsewhere (inside workerd, another process, a shell with curl). Control requests are not
 * recorded, so that they never show among the requests a test counts. docs/sandbox.md lists them.
 */
import type { Delivery } from "./callbacks.ts";
import { json, type Answer, type Json, isRecord } from "./http.ts";
import { normalisedPhone, TEST_PHONE_NUMBERS, type TestOutcome } from "./outcomes.ts";
import { WEBHOOK_TOPICS } from "./webhooks.ts";

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

export type Fault =
  | { status: number; headers?: Record<string, string>; body?: string }
  /** Answers as usual, but only after `delayMs`: a slow endpoint that does answer. */
  | { delayMs: number }
  | "hang"
  | "drop"
  /** A body cut off before its `Content-Length`. */
  | "truncate"
  /** A JSON body without a length (chunked) whose connection breaks off midway. */
  | "cut";

export interface TriggerOptions {
  /** Where to send it; without it, to every subscription to the topic. */
  url?: string;
  /** Fields laid over the sample `event.resource`. */
  resource?: Json;
}

/** The options `POST /__sandbox/options` changes on a running sandbox. */
export interface SettableOptions {
  revokePreviousTokenOnIssue: boolean;
  /** New payments stay pending until settled (`POST /__sandbox/settle`): time to watch them, or to choose how they end. */
  holdPayments: boolean;
}

/** A payment started and not yet ended, as `GET /__sandbox/payments` lists it. */
export interface InFlight {
  id: string;
  type: string;
  createdAt: string;
  amount: string | null;
  phone: string | null;
}

/** A trigger that cannot be sent, told to the caller as a 400. */
export class TriggerError extends Error {}

/** What the control paths act on: the sandbox itself. */
export interface Controls {
  readonly requests: RecordedRequest[];
  readonly deliveries: Delivery[];
  reset(options?: { state?: boolean }): void;
  expireAllTokens(): void;
  revokeAllTokens(): void;
  inject(path: string, ...faults: Fault[]): void;
  trigger(topic: string, options?: TriggerOptions): { event: Json; deliveries: Delivery[] };
  settle(id: string, as?: TestOutcome): boolean;
  inFlight(): InFlight[];
  setOptions(options: Partial<SettableOptions>): void;
}

export function control(sandbox: Controls, method: string, path: string, body: string): Answer {
  const name = path.slice("/__sandbox/".length);
  if (method === "GET") {
    if (name === "requests") return json(200, sandbox.requests);
    if (name === "deliveries") return json(200, sandbox.deliveries);
    if (name === "outcomes") return json(200, TEST_PHONE_NUMBERS);
    if (name === "payments") return json(200, sandbox.inFlight());
    if (name === "topics") return json(200, Object.keys(WEBHOOK_TOPICS));
    return json(404, { error: "unknown control path" });
  }
  if (method !== "POST") return json(405, { error: "control paths take GET or POST" });
  let input: Json = {};
  try {
    const parsed: unknown = body.trim() === "" ? {} : JSON.parse(body);
    if (!isRecord(parsed)) return json(400, { error: "the body must be a JSON object" });
    input = parsed;
  } catch {
    return json(400, { error: "the body is not JSON" });
  }
  switch (name) {
    case "reset":
      sandbox.reset({ state: input.state === true });
      return json(200, {});
    case "expire":
      sandbox.expireAllTokens();
      return json(200, {});
    case "revoke":
      sandbox.revokeAllTokens();
      return json(200, {});
    case "inject":
      if (typeof input.path !== "string" || !Array.isArray(input.faults))
        return json(400, { error: "inject takes { path, faults: [...] }" });
      sandbox.inject(input.path, ...(input.faults as Fault[]));
      return json(200, {});
    case "options":
      if (
        (input.revokePreviousTokenOnIssue !== undefined && typeof input.revokePreviousTokenOnIssue !== "boolean") ||
        (input.holdPayments !== undefined && typeof input.holdPayments !== "boolean")
      )
        return json(400, { error: "options takes { revokePreviousTokenOnIssue?: boolean, holdPayments?: boolean }" });
      sandbox.setOptions({
        revokePreviousTokenOnIssue: input.revokePreviousTokenOnIssue,
        holdPayments: input.holdPayments,
      });
      return json(200, {});
    case "settle": {
      if (typeof input.id !== "string") return json(400, { error: "settle takes { id, phone? }" });
      // `phone`: a number of the test-number table, whose outcome the payment ends with.
      const as = input.phone === undefined ? undefined : TEST_PHONE_NUMBERS[normalisedPhone(input.phone) ?? ""];
      if (input.phone !== undefined && !as)
        return json(400, { error: "phone must be one of the test numbers (GET /__sandbox/outcomes)" });
      return sandbox.settle(input.id, as) ? json(200, {}) : json(404, { error: "no such resource" });
    }
    case "trigger":
      try {
        const { event, deliveries } = sandbox.trigger(String(input.topic), {
          url: typeof input.url === "string" ? input.url : undefined,
          resource: isRecord(input.resource) ? input.resource : undefined,
        });
        return json(200, { event, deliveries: deliveries.map(({ id, url }) => ({ id, url })) });
      } catch (error) {
        if (error instanceof TriggerError) return json(400, { error: error.message });
        throw error;
      }
    default:
      return json(404, { error: "unknown control path" });
  }
}
