/**
 * What the sandbox's page (sandbox/page.ts) stands on: the page itself under a strict CSP, the
 * payments in flight, settling one with any outcome of the test-number table, and holding new
 * payments until they are settled. The page in a browser is test/e2e/dashboard.test.ts.
 */
import { afterEach, describe, expect, it } from "vitest";
import { SAMPLE_STK_PUSH } from "../../sandbox/samples.ts";
import { WEBHOOK_TOPICS } from "../../sandbox/webhooks.ts";
import { startReceiver, startSandbox, type Started } from "./support.ts";

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((server) => server.close()));
});

function control(k2: Started, name: string, body?: unknown): Promise<Response> {
  return fetch(`${k2.sandbox.url}/__sandbox/${name}`, {
    method: body === undefined ? "GET" : "POST",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

const push = (phone: string, callback: string) => ({
  ...SAMPLE_STK_PUSH,
  subscriber: { ...SAMPLE_STK_PUSH.subscriber, phone_number: phone },
  _links: { callback_url: callback },
});

describe("the sandbox's page", () => {
  it("is served at / with its script and stylesheet, under a CSP that allows nothing inline, and not recorded", async () => {
    const k2 = await startSandbox();
    open.push(k2.sandbox);
    const page = await fetch(`${k2.sandbox.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    const csp = page.headers.get("content-security-policy")!;
    for (const directive of ["default-src 'none'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"])
      expect(csp).toContain(directive);
    const html = await page.text();
    expect(html.match(/<script[^>]*>/g)).toEqual(['<script type="module" src="/__sandbox/ui.js">']);
    expect((await fetch(`${k2.sandbox.url}/__sandbox/ui.js`)).headers.get("content-type")).toContain("javascript");
    expect((await fetch(`${k2.sandbox.url}/__sandbox/ui.css`)).headers.get("content-type")).toContain("text/css");
    expect(k2.sandbox.requests.map((request) => request.path)).toEqual(["/oauth/token"]); // startSandbox's own
  });

  it("lists the topics the page offers a trigger for", async () => {
    const k2 = await startSandbox();
    open.push(k2.sandbox);
    expect(await (await control(k2, "topics")).json()).toEqual(Object.keys(WEBHOOK_TOPICS));
  });
});

describe("payments in flight, held and settled with a chosen outcome", () => {
  it("a held payment stays listed and pending until settled, then ends as the test number chosen", async () => {
    const k2 = await startSandbox({ processingDelayMs: 5, callbackRetries: 0 });
    open.push(k2.sandbox);
    const results = await startReceiver();
    open.push(results);
    expect((await control(k2, "options", { holdPayments: true })).status).toBe(200);
    // A phone that would succeed, settled as the insufficient-funds test number.
    const location = await k2.create("/api/v2/incoming_payments", push("+254712345678", `${results.url}/cb`));
    const id = location.split("/").at(-1)!;
    await new Promise((resolve) => setTimeout(resolve, 50)); // ten times the processing delay: held, not slow
    expect(await (await control(k2, "payments")).json()).toEqual([
      { id, type: "incoming_payment", createdAt: expect.any(String), amount: "KES 20", phone: "+254712345678" },
    ]);
    expect((await k2.read(location)).data.attributes.status).toBe("Pending");

    expect((await control(k2, "settle", { id, phone: "0700000009" })).status).toBe(400);
    expect((await control(k2, "settle", { id, phone: "0700000001" })).status).toBe(200);
    const ended = (await k2.read(location)).data.attributes;
    expect(ended.status).toBe("Failed");
    expect(ended.event.errors).toBe("The balance is insufficient for the transaction.");
    expect(await (await control(k2, "payments")).json()).toEqual([]);
    const [result] = await results.until(1);
    expect(JSON.parse(result!.body).data.attributes.status).toBe("Failed");
  });

  it("a test number whose callback is lost settles without a callback; holding is undone by reset", async () => {
    const k2 = await startSandbox({ processingDelayMs: 5, callbackRetries: 0 });
    open.push(k2.sandbox);
    await control(k2, "options", { holdPayments: true });
    const location = await k2.create("/api/v2/incoming_payments", push("0700000000", "http://127.0.0.1:9/cb"));
    await control(k2, "settle", { id: location.split("/").at(-1), phone: "254700000007" });
    expect((await k2.read(location)).data.attributes.status).toBe("Success");
    expect(k2.sandbox.deliveries.filter((delivery) => delivery.kind === "result")).toEqual([]);

    await control(k2, "reset", {});
    const next = await k2.create("/api/v2/incoming_payments", push("0700000000", "http://127.0.0.1:9/cb"));
    await k2.sandbox.idle();
    expect((await k2.read(next)).data.attributes.status).toBe("Success");
    expect((await control(k2, "options", { holdPayments: "yes" })).status).toBe(400);
  });
});
