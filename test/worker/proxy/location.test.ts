/**
 * `Location` on its way back to the caller (worker/proxy/location.ts), inside workerd: never K2's
 * origin, whatever Host the caller sent.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { baseEnv, isolate, KEY, stkPush } from "../support/harness.ts";
import { sandboxUrl, upstream } from "../support/sandbox-control.ts";

beforeEach(async () => {
  await upstream.reset();
});

describe("Location never points at K2", () => {
  const create = (origin: string) =>
    new Request(`${origin}/api/v2/incoming_payments`, {
      method: "POST",
      body: JSON.stringify(stkPush),
      headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
    });

  it("with Host naming K2's own origin, the Location is relative", async () => {
    const { proxy } = isolate();
    for (const origin of [sandboxUrl(), sandboxUrl().replace("127.0.0.1", "localhost")]) {
      const response = await proxy(create(origin), baseEnv);
      expect(response.status).toBe(201);
      expect(response.headers.get("location"), origin).toMatch(/^\/api\/v2\/incoming_payments\/[0-9a-f-]{36}$/);
    }
  });

  it("with PUBLIC_ORIGIN set, the Location is on it whatever Host the caller sent", async () => {
    const { proxy } = isolate();
    const env = { ...baseEnv, PUBLIC_ORIGIN: "https://k2-proxy.example.com" };
    for (const origin of [sandboxUrl(), "https://evil.example", "https://proxy.example"]) {
      const response = await proxy(create(origin), env);
      expect(response.status).toBe(201);
      expect(response.headers.get("location")).toMatch(
        /^https:\/\/k2-proxy\.example\.com\/api\/v2\/incoming_payments\/[0-9a-f-]{36}$/,
      );
    }
  });
});
