/**
 * The proxy's token through KV, inside workerd: when KV fails, requests go on from the isolate's
 * memory and K2's token endpoint.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { baseEnv, emptyTokenCache, isolate, poll } from "../support/harness.ts";
import { upstream } from "../support/sandbox-control.ts";

beforeEach(async () => {
  await upstream.reset();
  await emptyTokenCache();
});

describe("KV failures", () => {
  const failing = (mode: "throw" | "429") =>
    ({
      get: () =>
        mode === "throw"
          ? Promise.reject(new Error("KV GET failed: 500"))
          : Promise.reject(new Error("KV GET failed: 429 Too Many Requests")),
      put: () =>
        Promise.reject(new Error(mode === "throw" ? "KV PUT failed: 500" : "KV PUT failed: 429 Too Many Requests")),
      delete: () => Promise.reject(new Error("KV DELETE failed")),
    }) as unknown as KVNamespace;

  for (const mode of ["throw", "429"] as const) {
    it(`keeps proxying from memory and the token endpoint when KV fails (${mode})`, async () => {
      const { proxy, logs } = isolate();
      const env = { ...baseEnv, TOKEN_CACHE: failing(mode) };
      for (let i = 0; i < 10; i++) expect((await proxy(poll(), env)).status).toBe(201);
      expect(await upstream.requestsTo("/oauth/token")).toHaveLength(1);
      expect(
        logs
          .filter((line) => line.event === "kv_error")
          .map((line) => line.operation)
          .sort(),
      ).toEqual(["get", "set"]);
    });
  }
});
