/**
 * When K2 fails (worker/proxy/send.ts): without an idempotency key, the proxy says what became of
 * a POST that got no answer: nothing was sent (`upstream_unreachable`), or it was sent and K2 may
 * have acted (`upstream_outcome_unknown`). GET keeps its answers; a cut-short answer is never passed
 * on as whole; K2's own errors pass as K2 sent them. Inside workerd against the K2 sandbox's faults.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { K2Client, NetworkError } from "../../../src/index.ts";
import { LINKED_BODY_BYTES } from "../../../worker/proxy/links.ts";
import { baseEnv, emptyTokenCache, isolate, poll, proxyRequest } from "../support/harness.ts";
import { sandboxUrl, upstream } from "../support/sandbox-control.ts";

const PATH = "/api/v2/polling";
const READ = "/api/v2/polling/00000000-0000-0000-0000-000000000000";

/** A KV that never has a token, so the proxy must ask K2's token endpoint first. */
const emptyKv = {
  get: async () => null,
  put: async () => {},
  delete: async () => {},
  list: async () => ({ keys: [], list_complete: true, cacheStatus: null }),
} as unknown as KVNamespace;

beforeEach(async () => {
  await upstream.reset();
  await emptyTokenCache();
});
afterEach(() => upstream.reset());

describe("a POST that got no complete answer", () => {
  it("dropped after K2 read it: 502 upstream_outcome_unknown, saying to check before resending", async () => {
    await upstream.inject(PATH, "drop");
    const { proxy, logs } = isolate();
    const answer = await proxy(poll(), baseEnv);
    expect(answer.status).toBe(502);
    const body = (await answer.json()) as { error: string; message: string };
    expect(body.error).toBe("upstream_outcome_unknown");
    expect(body.message).toMatch(/status/);
    expect(body.message).toMatch(/callback/);
    expect(logs.at(-1)).toMatchObject({ status: 502, error: "upstream_outcome_unknown" });
    expect(await upstream.requestsTo(PATH)).toHaveLength(1);
  });

  it("hanging past the deadline: 504 upstream_outcome_unknown", async () => {
    await upstream.inject(PATH, "hang");
    const answer = await isolate().proxy(poll(), { ...baseEnv, UPSTREAM_TIMEOUT_MS: "500" });
    expect(answer.status).toBe(504);
    expect(await answer.json()).toMatchObject({ error: "upstream_outcome_unknown" });
  });
});

describe("a POST that was never sent", () => {
  it("K2_BASE_URL on a closed loopback port (connection refused): 502 upstream_unreachable", async () => {
    const closed = { ...baseEnv, K2_BASE_URL: "http://127.0.0.1:1", TOKEN_CACHE: emptyKv };
    const answer = await isolate().proxy(poll(), closed);
    expect(answer.status).toBe(502);
    expect(await answer.json()).toMatchObject({ error: "upstream_unreachable" });
  });

  it("the token request dropped: 502 upstream_unreachable, and the API call never left", async () => {
    // The token request is retried twice on a network failure: every attempt is dropped.
    await upstream.inject("/oauth/token", "drop", "drop", "drop");
    const answer = await isolate().proxy(poll(), { ...baseEnv, TOKEN_CACHE: emptyKv });
    expect(answer.status).toBe(502);
    expect(await answer.json()).toMatchObject({ error: "upstream_unreachable" });
    expect(await upstream.requestsTo(PATH)).toHaveLength(0);
  });
});

describe("a GET keeps its answers: a read can be repeated", () => {
  it("dropped: 502 upstream_unreachable", async () => {
    await upstream.inject(READ, "drop");
    const answer = await isolate().proxy(proxyRequest(READ), baseEnv);
    expect(answer.status).toBe(502);
    expect(await answer.json()).toMatchObject({ error: "upstream_unreachable" });
  });

  it("hanging past the deadline: 504 upstream_timeout", async () => {
    await upstream.inject(READ, "hang");
    const answer = await isolate().proxy(proxyRequest(READ), { ...baseEnv, UPSTREAM_TIMEOUT_MS: "500" });
    expect(answer.status).toBe(504);
    expect(await answer.json()).toMatchObject({ error: "upstream_timeout" });
  });
});

describe("what workerd itself reports (why the proxy looks at which request failed)", () => {
  async function failure(url: string, init: RequestInit): Promise<unknown> {
    return fetch(url, init).then(
      () => undefined,
      (error: unknown) => error,
    );
  }

  it("a refused connection and a connection dropped after sending throw the same error", async () => {
    await upstream.inject(PATH, "drop");
    const dropped = await failure(`${sandboxUrl()}${PATH}`, { method: "POST", body: "{}" });
    const refused = await failure("http://127.0.0.1:1/api/v2/polling", { method: "POST", body: "{}" });
    expect(await upstream.requestsTo(PATH)).toHaveLength(1);
    for (const error of [dropped, refused]) {
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toBe("Network connection lost.");
      expect((error as { cause?: unknown }).cause).toBeUndefined();
    }
  });

  it("so the library's NetworkError leaves requestSent undefined in workerd", async () => {
    const k2 = new K2Client({ clientId: "id", clientSecret: "secret", baseUrl: "http://127.0.0.1:1", retries: 0 });
    const error = await k2.getAccessToken().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as NetworkError).requestSent).toBeUndefined();
    expect((error as NetworkError).url).toBe("http://127.0.0.1:1/oauth/token");
  });
});

describe("an answer K2 cut short", () => {
  it("is 502 upstream_truncated, not a 200 whose body breaks off", async () => {
    const { proxy, logs } = isolate();
    expect((await proxy(poll(), baseEnv)).status).toBe(201); // a token in memory first
    await upstream.inject("/api/v2/polling", "truncate");

    const response = await proxy(poll(), baseEnv);

    expect(response.status).toBe(502);
    expect(await response.json()).toMatchObject({ error: "upstream_truncated" });
    expect(logs.at(-1)).toMatchObject({ status: 502, error: "upstream_truncated" });
    expect(await upstream.requestsTo("/api/v2/polling")).toHaveLength(2); // not retried
  });

  it("so is a JSON answer without a length (chunked) whose connection breaks midway", async () => {
    const { proxy, logs } = isolate();
    expect((await proxy(poll(), baseEnv)).status).toBe(201);
    await upstream.inject("/api/v2/polling", "cut");

    const response = await proxy(poll(), baseEnv);

    expect(response.status).toBe(502);
    expect(await response.json()).toMatchObject({ error: "upstream_truncated" });
    expect(logs.at(-1)).toMatchObject({ status: 502, error: "upstream_truncated" });
  });

  it("an answer that is whole passes with its bytes, chunked or not, however long", async () => {
    const { proxy } = isolate();
    const body = JSON.stringify({ data: { id: "x", padding: "y".repeat(5000) } });
    await upstream.inject("/api/v2/polling", { status: 200, headers: { "content-type": "application/json" }, body });
    const response = await proxy(poll(), baseEnv);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(body);
    // Past the size searched for links, with K2's origin in a `_links`: K2's very bytes all the same.
    const long = JSON.stringify({
      _links: { self: `${sandboxUrl()}/api/v2/x/1` },
      padding: "y".repeat(LINKED_BODY_BYTES),
    });
    for (const headers of [
      { "content-type": "application/json" } as Record<string, string>,
      { "content-type": "application/json", "content-length": String(long.length) },
    ]) {
      await upstream.inject("/api/v2/polling", { status: 200, headers, body: long });
      const passed = await proxy(poll(), baseEnv);
      expect(passed.status).toBe(200);
      expect(await passed.text()).toBe(long);
    }
  });
});

describe("K2 trouble", () => {
  it("answers 502 with a JSON error when K2 cannot be reached", async () => {
    const { proxy, logs } = isolate();
    const response = await proxy(poll(), { ...baseEnv, K2_BASE_URL: "http://127.0.0.1:1" });
    expect(response.status).toBe(502);
    // The host and the runtime's reason, so that "offline" and "wrong K2_BASE_URL" are told apart.
    const said = "K2 could not be reached at 127.0.0.1:1: Network connection lost.";
    expect(await response.json()).toMatchObject({ error: "upstream_unreachable", error_description: said });
    expect(logs.at(-1)).toMatchObject({ status: 502, error: "upstream_unreachable", upstreamError: said });
  });

  it("answers 504 when K2 hangs past the upstream timeout", async () => {
    const { proxy } = isolate();
    const env = { ...baseEnv, UPSTREAM_TIMEOUT_MS: "300" };
    expect((await proxy(poll(), env)).status).toBe(201); // token in memory
    await upstream.inject("/api/v2/polling", "hang");
    const response = await proxy(poll(), env);
    expect(response.status).toBe(504);
    // A POST that was sent may have been acted on (above).
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
