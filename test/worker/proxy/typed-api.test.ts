/**
 * The typed API through the proxy Worker, inside workerd: a caller holding only a proxy key creates
 * an STK push and reads its status at the Location the proxy rewrote to its own origin.
 */
import { beforeEach, describe, expect, it } from "vitest";
import {
  createStkPush,
  getStkPushStatus,
  K2ValidationError,
  parseWebhook,
  type K2Connection,
  type StkPushRequest,
} from "../../../src/api/index.ts";
import { InvalidInputError, signWebhook } from "../../../src/index.ts";
import { baseEnv, isolate, proxyRequest, stkPush } from "../support/harness.ts";
import { sandboxUrl, upstream } from "../support/sandbox-control.ts";

const request = stkPush as StkPushRequest;

/** The API's connection to the proxy: its origin, and fetch with the proxy key (added by proxyRequest). */
function throughProxy(): K2Connection {
  const { proxy } = isolate();
  return {
    baseUrl: "https://proxy.example",
    fetch: (url, init) => {
      const { pathname, search } = new URL(url);
      return proxy(proxyRequest(pathname + search, init), baseEnv);
    },
  };
}

beforeEach(async () => {
  await upstream.reset();
});

describe("the typed API through the proxy", () => {
  it("creates an STK push and reads its typed status via the rewritten Location", async () => {
    const viaProxy = throughProxy();

    const location = await createStkPush(viaProxy, request);

    expect(location).toMatch(/^https:\/\/proxy\.example\/api\/v2\/incoming_payments\/[0-9a-f-]{36}$/);
    const [created] = await upstream.requestsTo("/api/v2/incoming_payments");
    expect(created.body).toBe(JSON.stringify(request));
    expect(created.headers["content-type"]).toBe("application/json");

    const status = await getStkPushStatus(viaProxy, location);
    expect(status.data.id).toBe(location.split("/").at(-1));
    expect(status.data.type).toBe("incoming_payment");
    expect(status.data.attributes).toMatchObject({
      status: "Pending",
      event: { type: "Incoming Payment Request", resource: null },
    });
    const reads = (await upstream.requests()).filter((r) => r.method === "GET" && r.path.startsWith("/api/"));
    expect(reads.map((r) => r.path)).toEqual([new URL(location).pathname]);
  });

  it("follows a Location K2 gave without /api/v2, which the proxy restores", async () => {
    const viaProxy = throughProxy();
    const id = (await createStkPush(viaProxy, request)).split("/").at(-1)!;
    await upstream.inject("/api/v2/incoming_payments", {
      status: 201,
      headers: { location: `${sandboxUrl()}/incoming_payments/${id}` },
    });

    const location = await createStkPush(viaProxy, request);

    expect(location).toBe(`https://proxy.example/api/v2/incoming_payments/${id}`);
    expect((await getStkPushStatus(viaProxy, location)).data.id).toBe(id);
  });

  it("sends nothing through the proxy for an invalid request", async () => {
    const error = await createStkPush(throughProxy(), { ...request, amount: { currency: "KES", value: "-20" } }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(K2ValidationError);
    expect(await upstream.requests()).toEqual([]);
  });

  it("refuses a location off the proxy's origin, K2's own included, before sending the key", async () => {
    for (const location of [
      `${sandboxUrl()}/api/v2/incoming_payments/x`,
      "https://evil.example/api/v2/incoming_payments/x",
    ]) {
      await expect(getStkPushStatus(throughProxy(), location)).rejects.toBeInstanceOf(InvalidInputError);
    }
    expect(await upstream.requests()).toEqual([]);
  });

  it("parses a signed result inside workerd", async () => {
    const body = JSON.stringify(
      { data: { id: "r1", type: "incoming_payment", attributes: { status: "Success" } } },
      null,
      2,
    );
    const notification = await parseWebhook(
      new TextEncoder().encode(body),
      await signWebhook(body, "api-key-for-workerd"),
      "api-key-for-workerd",
    );
    expect(notification).toMatchObject({ kind: "result", type: "incoming_payment" });
  });
});
