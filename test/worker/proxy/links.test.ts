/**
 * `_links` in K2's JSON answers (worker/proxy/links.ts), inside workerd against the K2 sandbox: a
 * status read's `self` names the proxy, like its `Location`, while the caller's own callback URL and
 * the events the inbox keeps stay as K2 wrote them.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { callback, keepOnlyEnv, readEvent, webhook } from "../support/inbox-helpers.ts";
import { isolate, proxyRequest, stkPush } from "../support/harness.ts";
import { sandboxUrl, upstream } from "../support/sandbox-control.ts";

beforeEach(async () => {
  await upstream.reset();
});

interface Status {
  data: { attributes: { _links: { self: string; callback_url: string } } };
}

async function createdThenRead(env: typeof keepOnlyEnv): Promise<{ location: string; status: Status }> {
  const { proxy } = isolate();
  const created = await proxy(
    proxyRequest("/api/v2/incoming_payments", {
      method: "POST",
      body: JSON.stringify(stkPush),
      headers: { "content-type": "application/json" },
    }),
    env,
  );
  expect(created.status).toBe(201);
  const location = created.headers.get("location")!;
  const read = await proxy(proxyRequest(new URL(location, "https://proxy.example").pathname), env);
  expect(read.status).toBe(200);
  return { location, status: await read.json() };
}

describe("links in K2's answers", () => {
  it("a status read's _links.self is on the proxy, the same URL as the Location; the callback URL stays", async () => {
    const { location, status } = await createdThenRead(keepOnlyEnv);
    expect(location).toMatch(/^https:\/\/proxy\.example\/api\/v2\/incoming_payments\/[0-9a-f-]{36}$/);
    expect(status.data.attributes._links).toEqual({ self: location, callback_url: stkPush._links.callback_url });
    // K2 (the sandbox) wrote its own origin there, which a caller with a proxy key must never follow.
    const direct = await fetch(`${sandboxUrl()}${new URL(location).pathname}`, {
      headers: {
        authorization: `Bearer ${(await upstream.requestsTo(new URL(location).pathname))[0]!.headers.authorization!.slice(7)}`,
      },
    });
    expect(((await direct.json()) as Status).data.attributes._links.self.startsWith(sandboxUrl())).toBe(true);
  });

  it("with PUBLIC_ORIGIN set, _links.self is on it", async () => {
    const env = { ...keepOnlyEnv, PUBLIC_ORIGIN: "https://k2-proxy.example.com" };
    const { location, status } = await createdThenRead(env);
    expect(location.startsWith("https://k2-proxy.example.com/api/v2/incoming_payments/")).toBe(true);
    expect(status.data.attributes._links.self).toBe(location);
  });

  it("an event K2 posts to the inbox keeps K2's own links", async () => {
    const { proxy } = isolate();
    const event = webhook();
    event._links = { self: `${sandboxUrl()}/webhook_events/${event.id}`, resource: `${sandboxUrl()}/x` };
    const stored = await proxy(await callback(JSON.stringify(event)), keepOnlyEnv);
    expect(stored.status).toBe(200);
    const { id } = (await stored.json()) as { id: string };
    const kept = await readEvent(proxy, id);
    expect((kept.payload as typeof event)._links).toEqual(event._links);
  });
});
