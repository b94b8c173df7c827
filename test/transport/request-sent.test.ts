/**
 * `requestSent` on NetworkError and TimeoutError, in Node against real sockets: a refused connection
 * certainly sent nothing, a connection the server dropped after reading the request may have.
 * Node's fetch (undici) says which in the cause's code; workerd does not (test/worker/proxy/k2-failures.test.ts).
 */
import { createServer as createHttpServer } from "node:http";
import { createServer, type AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { K2Client, NetworkError, TimeoutError } from "../../src/index.ts";
import { createTransport, send } from "../../src/transport/transport.ts";
import { DEV_CLIENT } from "../../sandbox/credentials.ts";
import { SAMPLE_POLLING } from "../../sandbox/samples.ts";
import { K2Sandbox } from "../../sandbox/server.ts";

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

describe("requestSent in Node", () => {
  let received = 0;
  const dropping = createHttpServer((request) => {
    request.resume();
    request.on("end", () => {
      received++;
      request.socket.destroy();
    });
  });
  const hanging = createHttpServer(() => {});
  const origin = (server: typeof dropping) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  beforeAll(async () => {
    await new Promise<void>((resolve) => dropping.listen(0, "127.0.0.1", resolve));
    await new Promise<void>((resolve) => hanging.listen(0, "127.0.0.1", resolve));
  });
  afterAll(async () => {
    hanging.closeAllConnections();
    await Promise.all([dropping, hanging].map((server) => new Promise((resolve) => server.close(resolve))));
  });

  it("a refused connection: NetworkError with requestSent false (cause code ECONNREFUSED)", async () => {
    const url = `http://127.0.0.1:${await closedPort()}/api/v2/polling`;
    const error = await failureOf(send(createTransport(), url, { method: "POST", body: "{}" }));
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as NetworkError).requestSent).toBe(false);
    expect((error as NetworkError).url).toBe(url);
    expect(((error as Error).cause as { cause?: { code?: string } }).cause?.code).toBe("ECONNREFUSED");
  });

  it("a connection dropped after the server read the request: requestSent true (UND_ERR_SOCKET)", async () => {
    const before = received;
    const error = await failureOf(
      send(createTransport(), `${origin(dropping)}/api/v2/polling`, { method: "POST", body: "{}" }),
    );
    expect(received).toBe(before + 1);
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as NetworkError).requestSent).toBe(true);
    expect(((error as Error).cause as { cause?: { code?: string } }).cause?.code).toBe("UND_ERR_SOCKET");
  });

  it("a deadline passed while the server held the request: TimeoutError with requestSent true", async () => {
    const transport = createTransport({ timeoutMs: 200 });
    const error = await failureOf(send(transport, `${origin(hanging)}/api/v2/polling`, { method: "POST", body: "{}" }));
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).requestSent).toBe(true);
  });

  it("a runtime whose error names no cause code: requestSent undefined", async () => {
    const transport = createTransport({ fetch: () => Promise.reject(new Error("Network connection lost.")) });
    const error = await failureOf(send(transport, "http://127.0.0.1:9/api/v2/polling", { method: "POST" }));
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as NetworkError).requestSent).toBeUndefined();
  });

  it.each(["ENOTFOUND", "EAI_AGAIN"])("an unknown host (%s): requestSent false", async (code) => {
    const offline = () =>
      Promise.reject(new TypeError("fetch failed", { cause: Object.assign(new Error(code), { code }) }));
    const error = await failureOf(send(createTransport({ fetch: offline }), "http://k2.invalid/api/v2/polling", {}));
    expect((error as NetworkError).requestSent).toBe(false);
  });

  describe("through K2Client: the token request and the API call each say for themselves", () => {
    const sandbox = new K2Sandbox();
    beforeAll(() => sandbox.listen());
    afterAll(() => sandbox.close());

    it("the API call dropped: requestSent true, and its url is the API path, not the token endpoint", async () => {
      const k2 = new K2Client({ ...DEV_CLIENT, baseUrl: sandbox.url });
      await k2.getAccessToken();
      sandbox.inject("/api/v2/polling", "drop");
      const error = await failureOf(
        k2.fetch("/api/v2/polling", { method: "POST", body: JSON.stringify(SAMPLE_POLLING) }),
      );
      expect(error).toBeInstanceOf(NetworkError);
      expect((error as NetworkError).requestSent).toBe(true);
      expect((error as NetworkError).url).toBe(`${sandbox.url}/api/v2/polling`);
      expect(sandbox.requestsTo("/api/v2/polling")).toHaveLength(1);
    });

    it("K2 refusing connections: the token request fails first, requestSent false, url /oauth/token", async () => {
      const baseUrl = `http://127.0.0.1:${await closedPort()}`;
      const k2 = new K2Client({ ...DEV_CLIENT, baseUrl, retries: 0 });
      const error = await failureOf(k2.fetch("/api/v2/polling", { method: "POST", body: "{}" }));
      expect(error).toBeInstanceOf(NetworkError);
      expect((error as NetworkError).requestSent).toBe(false);
      expect((error as NetworkError).url).toBe(`${baseUrl}/oauth/token`);
    });
  });
});
