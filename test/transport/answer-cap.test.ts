/**
 * Every OAuth answer is read as a stream under a size cap (default 1 MiB): an enormous or endless
 * answer fails with an UnexpectedResponseError after at most the cap, without a retry and without
 * being held in memory. Only a connection that breaks is a NetworkError.
 */
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { K2Client, NetworkError, UnexpectedResponseError } from "../../src/index.ts";

const MiB = 1024 * 1024;
let server: Server | undefined;

afterEach(async () => {
  const running = server;
  server = undefined;
  if (!running) return;
  running.closeAllConnections();
  await new Promise((resolve) => running.close(resolve));
});

/** A token endpoint on loopback; counts requests and the bytes it managed to write. */
async function tokenEndpoint(answer: (response: ServerResponse) => void) {
  const seen = { requests: 0, bytesWritten: 0 };
  server = createServer((request, response) => {
    seen.requests++;
    request.resume();
    const socket = response.socket!;
    const count = setInterval(() => (seen.bytesWritten = socket.bytesWritten), 5);
    socket.on("close", () => {
      clearInterval(count);
      seen.bytesWritten = socket.bytesWritten;
    });
    answer(response);
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { seen, k2: new K2Client({ clientId: "id", clientSecret: "secret", baseUrl: url, retryBaseDelayMs: 1 }) };
}

/** Writes a valid-looking JSON token answer of `totalBytes`, chunked, honouring backpressure. */
function streamJson(totalBytes: number) {
  return (response: ServerResponse) => {
    const filler = `"${"x".repeat(64 * 1024 - 2)}",`;
    let sent = 0;
    response.writeHead(200, { "content-type": "application/json" });
    response.write('{"access_token":"t","token_type":"Bearer","padding":[');
    const pump = () => {
      while (sent < totalBytes) {
        sent += filler.length;
        if (!response.write(filler)) return void response.once("drain", pump);
      }
      response.end('""]}');
    };
    pump();
  };
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable("expected a rejection"),
    (error: unknown) => error,
  );
}

describe("the answer size cap", () => {
  it("refuses a 600 MiB chunked answer after about 1 MiB, once, without holding it", async () => {
    const { seen, k2 } = await tokenEndpoint(streamJson(600 * MiB));
    const heapBefore = process.memoryUsage().heapUsed;
    const error = await failure(k2.getAccessToken());
    expect(error).toBeInstanceOf(UnexpectedResponseError);
    expect(error).not.toBeInstanceOf(NetworkError);
    expect((error as Error).message).toContain(`exceeds ${MiB} bytes`);
    expect(seen.requests).toBe(1);
    // What crossed the socket before the client hung up: socket buffers, not hundreds of MiB.
    expect(seen.bytesWritten).toBeLessThan(64 * MiB);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(32 * MiB);
  });

  it("refuses an answer whose Content-Length is over the cap without reading it", async () => {
    const { seen, k2 } = await tokenEndpoint((response) => {
      response.writeHead(200, { "content-type": "application/json", "content-length": String(600 * MiB) });
      response.write('{"access_token":"t",');
    });
    const error = await failure(k2.getAccessToken());
    expect(error).toBeInstanceOf(UnexpectedResponseError);
    expect(error).toMatchObject({ status: 200, contentType: "application/json" });
    expect(seen.requests).toBe(1);
  });

  it("refuses a 100 MiB answer that is valid JSON", async () => {
    const { seen, k2 } = await tokenEndpoint(streamJson(100 * MiB));
    expect(await failure(k2.getAccessToken())).toBeInstanceOf(UnexpectedResponseError);
    expect(seen.requests).toBe(1);
  });

  it("counts the bytes after decompression: a small gzip bomb is refused", async () => {
    // A valid token answer once inflated: only its size is wrong.
    const bomb = gzipSync(`{"access_token":"t","token_type":"Bearer","padding":"${" ".repeat(20 * MiB)}"}`);
    expect(bomb.byteLength).toBeLessThan(MiB);
    let requests = 0;
    server = createServer((request, response) => {
      requests++;
      request.resume();
      response.writeHead(200, {
        "content-type": "application/json",
        "content-encoding": "gzip",
        "content-length": String(bomb.byteLength),
      });
      response.end(bomb);
    });
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    const k2 = new K2Client({
      clientId: "id",
      clientSecret: "secret",
      baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    });
    expect(await failure(k2.getAccessToken())).toBeInstanceOf(UnexpectedResponseError);
    expect(requests).toBe(1);
  });

  it("takes an answer of exactly the cap and refuses one byte more, declared or streamed", async () => {
    const token = '{"access_token":"t","token_type":"Bearer"}';
    const limit = token.length;
    for (const declared of [true, false]) {
      for (const [body, accepted] of [
        [token, true],
        [`${token} `, false],
      ] as const) {
        let calls = 0;
        const k2 = new K2Client({
          clientId: "id",
          clientSecret: "secret",
          baseUrl: "https://k2.example",
          maxAnswerBytes: limit,
          fetch: async () => {
            calls++;
            const bytes = new TextEncoder().encode(body);
            const stream = new ReadableStream({
              start(controller) {
                controller.enqueue(bytes.slice(0, 10));
                controller.enqueue(bytes.slice(10));
                controller.close();
              },
            });
            const headers: Record<string, string> = { "content-type": "application/json" };
            if (declared) headers["content-length"] = String(bytes.byteLength);
            return new Response(stream, { headers });
          },
        });
        const outcome = await k2.getAccessToken().then(
          (value) => value,
          (error: unknown) => error,
        );
        if (accepted) expect(outcome).toBe("t");
        else expect(outcome).toBeInstanceOf(UnexpectedResponseError);
        expect(calls).toBe(1);
      }
    }
  });

  it("still treats a body that breaks off mid-stream as a network failure, and retries it", async () => {
    let calls = 0;
    const k2 = new K2Client({
      clientId: "id",
      clientSecret: "secret",
      baseUrl: "https://k2.example",
      retryBaseDelayMs: 1,
      fetch: async () => {
        calls++;
        const stream = new ReadableStream({
          start(controller) {
            controller.enqueue(new TextEncoder().encode('{"access_token":'));
            controller.error(new TypeError("terminated"));
          },
        });
        return new Response(stream, { headers: { "content-type": "application/json" } });
      },
    });
    const error = await failure(k2.getAccessToken());
    expect(error).toBeInstanceOf(NetworkError);
    expect(calls).toBe(3);
  });
});
