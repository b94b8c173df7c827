/**
 * The Worker's own refusals (worker/common/responses.ts), one of each kind, inside workerd.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { baseEnv, bodyCarrying, isolate, poll, proxyRequest } from "../support/harness.ts";
import { upstream } from "../support/sandbox-control.ts";

beforeEach(async () => {
  await upstream.reset();
});

describe("the Worker's own refusals", () => {
  it("carry their text in both message and error_description", async () => {
    const { proxy } = isolate();
    await upstream.inject("/api/v2/polling", "truncate");
    const answers = [
      await proxy(poll({ key: null }), baseEnv), // 401
      await proxy(proxyRequest("/oauth/authorize", { method: "POST" }), baseEnv), // 404
      await proxy(proxyRequest("/api/v2/polling", { method: "OPTIONS" }), baseEnv), // 405
      await proxy(bodyCarrying("GET", "/api/v2/polling", "x"), baseEnv), // 400
      await proxy(poll({ body: "x".repeat(64) }), { ...baseEnv, MAX_BODY_BYTES: "16" }), // 413
      await proxy(poll({ body: new ReadableStream(), duplex: "half" } as RequestInit), {
        ...baseEnv,
        BODY_TIMEOUT_MS: "50",
      }), // 408
      await proxy(poll(), { ...baseEnv, PROXY_KEYS: undefined }), // 500
      await proxy(poll(), baseEnv), // 502 truncated
      await proxy(poll(), { ...baseEnv, K2_BASE_URL: "http://127.0.0.1:1" }), // 502 unreachable
    ];
    expect(answers.map((answer) => answer.status)).toEqual([401, 404, 405, 400, 413, 408, 500, 502, 502]);
    for (const answer of answers) {
      const body = await answer.json<Record<string, unknown>>();
      expect(typeof body.message, JSON.stringify(body)).toBe("string");
      expect(body.error_description, JSON.stringify(body)).toBe(body.message);
    }
  });
});
