import { env } from "cloudflare:workers";
import { exports } from "cloudflare:workers";
import { expect, it } from "vitest";
import { pollingBody } from "../support/harness.ts";
import { TEST_PROXY_KEYS } from "../support/keys.ts";
import { upstream } from "../support/sandbox-control.ts";

it("forwards through the real Worker entry", async () => {
  await upstream.reset();
  const response = await (exports as any).default.fetch(
    new Request("https://proxy.example/api/v2/polling", {
      method: "POST",
      headers: { authorization: `Bearer ${TEST_PROXY_KEYS[0]}`, "content-type": "application/json" },
      body: JSON.stringify(pollingBody),
    }),
  );
  expect(response.status).toBe(201);
  expect((await upstream.requestsTo("/oauth/token")).length).toBe(1);
  expect(typeof (env as any).TOKEN_CACHE.get).toBe("function");
});
