/**
 * The caller's body before anything is sent (worker/common/request-body.ts), inside workerd: a GET
 * or HEAD carrying one, and one that never ends, are refused with nothing sent to K2.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { baseEnv, bodyCarrying, isolate, poll, pollingBody, proxyRequest } from "../support/harness.ts";
import { upstream } from "../support/sandbox-control.ts";

beforeEach(async () => {
  await upstream.reset();
});

describe("a GET or HEAD with a body", () => {
  for (const method of ["GET", "HEAD"] as const) {
    it(`${method}: 400 body_not_allowed, and nothing is sent to K2`, async () => {
      const { proxy, logs } = isolate();
      const response = await proxy(bodyCarrying(method, "/api/v2/incoming_payments/abc", "{}"), baseEnv);
      expect(response.status).toBe(400);
      if (method === "GET") expect(await response.json()).toMatchObject({ error: "body_not_allowed" });
      expect(logs.at(-1)).toMatchObject({ status: 400, error: "body_not_allowed" });
      expect(await upstream.requests()).toEqual([]);
    });
  }

  it("a GET without a body still passes", async () => {
    const { proxy } = isolate();
    const created = await proxy(poll(), baseEnv);
    const status = await proxy(proxyRequest(new URL(created.headers.get("location")!).pathname), baseEnv);
    expect(status.status).toBe(200);
  });
});

describe("a body with a Content-Length, as callers' requests arrive over HTTP", () => {
  it("reaches K2 byte for byte", async () => {
    const { proxy } = isolate();
    const body = JSON.stringify({ ...pollingBody, note: "Jos\u00e9 ✓" });
    const length = String(new TextEncoder().encode(body).byteLength);
    const response = await proxy(poll({ body, headers: { "content-length": length } }), baseEnv);
    expect(response.status).toBe(201);
    const [sent] = await upstream.requestsTo("/api/v2/polling");
    expect(sent!.body).toBe(body);
  });
});

describe("a request body that never ends", () => {
  const env = { ...baseEnv, BODY_TIMEOUT_MS: "200" };

  it("an unterminated stream: 408 request_body_timeout, and nothing is sent to K2", async () => {
    const { proxy, logs } = isolate();
    const neverEnds = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"scope":'));
      },
    });
    const response = await proxy(poll({ body: neverEnds, duplex: "half" } as RequestInit), env);
    expect(response.status).toBe(408);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await response.json()).toMatchObject({ error: "request_body_timeout" });
    expect(logs.at(-1)).toMatchObject({ status: 408, error: "request_body_timeout" });
    expect(await upstream.requests()).toEqual([]);
  });

  it("an unterminated stream with a Content-Length (read whole by the runtime): 408 too", async () => {
    const { proxy, logs } = isolate();
    const neverEnds = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"scope":'));
      },
    });
    const init = { body: neverEnds, duplex: "half", headers: { "content-length": "1000" } } as RequestInit;
    const response = await proxy(poll(init), env);
    expect(response.status).toBe(408);
    expect(logs.at(-1)).toMatchObject({ status: 408, error: "request_body_timeout" });
    expect(await upstream.requests()).toEqual([]);
  });

  it("a body trickled a byte at a time: 408 once the whole body is late, not per byte", async () => {
    const { proxy } = isolate();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const trickle = new ReadableStream<Uint8Array>({
      pull: (controller) =>
        new Promise<void>((resolve) => {
          timer = setTimeout(() => {
            controller.enqueue(new Uint8Array([0x20]));
            resolve();
          }, 20);
        }),
      cancel: () => clearTimeout(timer),
    });
    const response = await proxy(poll({ body: trickle, duplex: "half" } as RequestInit), env);
    expect(response.status).toBe(408);
    expect(await upstream.requests()).toEqual([]);
  });
});
