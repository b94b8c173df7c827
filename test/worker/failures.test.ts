import { beforeEach, describe, expect, it } from "vitest";
import type { Env } from "../../worker/config.js";
import { baseEnv, isolate, pollingBody, proxyRequest } from "./harness.js";
import { upstream } from "./sandbox-control.js";

beforeEach(async () => {
  await upstream.reset();
  for (const { name } of (await baseEnv.TOKEN_CACHE.list()).keys) await baseEnv.TOKEN_CACHE.delete(name);
});

const poll = () =>
  proxyRequest("/api/v2/polling", {
    method: "POST",
    body: JSON.stringify(pollingBody),
    headers: { "content-type": "application/json" },
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

describe("K2 trouble", () => {
  // workerd prints "uncaught exception ... Network connection lost" for every refused connection,
  // even when the fetch rejection is caught (a plain try/catch around fetch prints it too).
  it("answers 502 with a JSON error when K2 cannot be reached", async () => {
    const { proxy, logs } = isolate();
    const response = await proxy(poll(), { ...baseEnv, K2_BASE_URL: "http://127.0.0.1:1" });
    expect(response.status).toBe(502);
    expect(await response.json()).toMatchObject({ error: "upstream_unreachable" });
    expect(logs.at(-1)).toMatchObject({ status: 502, error: "upstream_unreachable" });
  });

  it("answers 504 when K2 hangs past the upstream timeout", async () => {
    const { proxy } = isolate();
    const env = { ...baseEnv, UPSTREAM_TIMEOUT_MS: "300" };
    expect((await proxy(poll(), env)).status).toBe(201); // token in memory
    await upstream.inject("/api/v2/polling", "hang");
    const response = await proxy(poll(), env);
    expect(response.status).toBe(504);
    // A POST that was sent may have been acted on (test/worker/outcome.test.ts).
    expect(await response.json()).toMatchObject({ error: "upstream_outcome_unknown" });
  });

  it("answers 502 without the secret when K2 refuses the proxy's credentials", async () => {
    const { proxy, rawLogs } = isolate();
    const secret = "a-wrong-but-secret-value";
    const response = await proxy(poll(), { ...baseEnv, K2_CLIENT_SECRET: secret });
    expect(response.status).toBe(502);
    const text = await response.text();
    expect(JSON.parse(text)).toMatchObject({ error: "upstream_token_error" });
    expect(text).toContain("OAuth2Error");
    for (const line of [text, ...rawLogs]) expect(line).not.toContain(secret);
    expect(await upstream.requestsTo("/api/v2/polling")).toEqual([]);
  });

  it("passes K2's 5xx through as K2 sent it", async () => {
    const { proxy } = isolate();
    await upstream.inject("/api/v2/polling", {
      status: 503,
      headers: { "content-type": "text/html", "retry-after": "7" },
      body: "<h1>maintenance</h1>",
    });
    const response = await proxy(poll(), baseEnv);
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("7");
    expect(await response.text()).toBe("<h1>maintenance</h1>");
  });
});
