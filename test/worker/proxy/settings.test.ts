/**
 * The proxy's settings (worker/proxy/settings.ts and the shared ones it depends on), inside
 * workerd: a missing or malformed one refuses every proxy request, `/healthz` included, naming the
 * setting and never its value, and is logged once.
 */
import { beforeEach, describe, expect, it } from "vitest";
import type { Env } from "../../../worker/index.ts";
import { baseEnv, emptyTokenCache, isolate, poll, proxyRequest } from "../support/harness.ts";
import { upstream } from "../support/sandbox-control.ts";

beforeEach(async () => {
  await upstream.reset();
  await emptyTokenCache();
});

describe("configuration errors", () => {
  const cases: [string, Partial<Env>, keyof Env][] = [
    ["missing client id", { K2_CLIENT_ID: undefined }, "K2_CLIENT_ID"],
    ["blank client secret", { K2_CLIENT_SECRET: "  " }, "K2_CLIENT_SECRET"],
    ["missing proxy keys", { PROXY_KEYS: undefined }, "PROXY_KEYS"],
    ["a proxy key too short to be safe", { PROXY_KEYS: "short-key-xyz,another-fine-key-0001" }, "PROXY_KEYS"],
    ["an empty key between commas", { PROXY_KEYS: "a-perfectly-fine-key-01,,another-fine-key-0001" }, "PROXY_KEYS"],
    // A Bearer credential is visible ASCII: such keys could never be presented, so they are refused.
    ["a proxy key with a space inside", { PROXY_KEYS: "a perfectly fine key 01,another-fine-key-0001" }, "PROXY_KEYS"],
    ["a proxy key with a tab inside", { PROXY_KEYS: "a-perfectly-fine\tkey-01" }, "PROXY_KEYS"],
    ["a proxy key with non-ASCII characters", { PROXY_KEYS: "clé-très-secrète-à-moi-01" }, "PROXY_KEYS"],
    ["neither environment nor base URL", { K2_BASE_URL: undefined, K2_ENVIRONMENT: undefined }, "K2_ENVIRONMENT"],
    ["an unknown environment", { K2_BASE_URL: undefined, K2_ENVIRONMENT: "staging" }, "K2_ENVIRONMENT"],
    ["a base URL that is not a URL", { K2_BASE_URL: "sandbox.kopokopo.com" }, "K2_BASE_URL"],
    ["a plain-HTTP base URL to a remote host", { K2_BASE_URL: "http://sandbox.kopokopo.com" }, "K2_BASE_URL"],
    ["a base URL with a path", { K2_BASE_URL: "https://sandbox.kopokopo.com/api" }, "K2_BASE_URL"],
    ["no KV binding", { TOKEN_CACHE: undefined }, "TOKEN_CACHE"],
    ["a body limit that is not a number", { MAX_BODY_BYTES: "1MB" }, "MAX_BODY_BYTES"],
    ["a zero timeout", { UPSTREAM_TIMEOUT_MS: "0" }, "UPSTREAM_TIMEOUT_MS"],
    ["a body deadline that is not a number", { BODY_TIMEOUT_MS: "5s" }, "BODY_TIMEOUT_MS"],
    ["a public origin with a path", { PUBLIC_ORIGIN: "https://proxy.example.com/k2" }, "PUBLIC_ORIGIN"],
    ["a plain-HTTP public origin to a remote host", { PUBLIC_ORIGIN: "http://proxy.example.com" }, "PUBLIC_ORIGIN"],
    ["a public origin that is K2's own", { PUBLIC_ORIGIN: baseEnv.K2_BASE_URL }, "PUBLIC_ORIGIN"],
    [
      "a public origin on K2's host under another spelling",
      { K2_BASE_URL: undefined, K2_ENVIRONMENT: "production", PUBLIC_ORIGIN: "https://API.kopokopo.com.:8443" },
      "PUBLIC_ORIGIN",
    ],
  ];
  for (const [name, override, setting] of cases) {
    it(`${name}: 500 naming ${setting}, never its value, logged once`, async () => {
      const env = { ...baseEnv, ...override } as Env;
      const { proxy, logs, rawLogs } = isolate();
      const answers = [
        await proxy(poll(), env),
        await proxy(poll(), env),
        await proxy(proxyRequest("/healthz", { key: null }), env),
      ];

      for (const answer of answers) {
        expect(answer.status).toBe(500);
        const body = await answer.json<any>();
        expect(body).toMatchObject({ error: "configuration_error", setting });
        const value = override[setting];
        if (typeof value === "string" && value.trim()) expect(JSON.stringify(body)).not.toContain(value);
      }
      expect(logs.filter((line) => line.event === "configuration_error")).toEqual([
        expect.objectContaining({ setting }),
      ]);
      expect(logs.filter((line) => line.status === 500)).toHaveLength(3);
      for (const line of rawLogs) expect(line).not.toContain(baseEnv.K2_CLIENT_SECRET);
      expect(await upstream.requests()).toEqual([]);
    });
  }
});
