import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { inspect } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { K2Client, OAuth2Client } from "../../src/index.ts";

const SECRET = "Sup3r/S3cret+Value=with&odd:chars";
const encodedForms = [
  SECRET,
  encodeURIComponent(SECRET),
  new URLSearchParams({ s: SECRET }).toString().slice(2),
  btoa(`id:${encodeURIComponent(SECRET)}`),
];

// A misbehaving gateway that echoes the request it got (body and Authorization) in its error page.
let echoUrl: string;
const echo = createServer((request, response) => {
  let body = "";
  request.on("data", (chunk) => (body += chunk));
  request.on("end", () => {
    const mode = new URL(request.url!, "http://x").pathname;
    if (mode === "/oauth-error") {
      response.writeHead(400, { "content-type": "application/json" });
      response.end(
        JSON.stringify({
          error: "invalid_request",
          error_description: `bad request: ${body} ${request.headers.authorization ?? ""}`,
        }),
      );
    } else if (mode === "/k2-error") {
      response.writeHead(400, { "content-type": "application/json" });
      response.end(
        JSON.stringify({
          error_code: 400,
          error_message: [`echo ${body}`, `auth ${request.headers.authorization ?? ""}`],
        }),
      );
    } else {
      response.writeHead(502, { "content-type": "text/html" });
      response.end(`<pre>${body}\n${request.headers.authorization ?? ""}</pre>`);
    }
  });
});

beforeAll(async () => {
  await new Promise<void>((resolve) => echo.listen(0, "127.0.0.1", resolve));
  echoUrl = `http://127.0.0.1:${(echo.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => echo.close(() => resolve())));

function everyTextOf(error: unknown): string {
  const e = error as Error & { cause?: unknown };
  return [e.message, e.stack, JSON.stringify(e), inspect(e, { depth: 5, showHidden: true }), String(e)].join("\n");
}

describe("the client secret never leaks", () => {
  for (const method of ["client_secret_post", "client_secret_basic"] as const) {
    for (const path of ["/oauth-error", "/k2-error", "/html"]) {
      it(`is redacted from errors built from an echoing ${path} answer (${method})`, async () => {
        const oauth = new OAuth2Client({
          clientId: "id",
          clientSecret: SECRET,
          clientAuthentication: method,
          tokenEndpoint: `${echoUrl}${path}`,
          retries: 0,
        });
        const error = await oauth.clientCredentials().then(
          () => expect.unreachable(),
          (e: unknown) => e,
        );
        const text = everyTextOf(error);
        expect(text).toContain("[REDACTED]");
        for (const form of encodedForms) expect(text).not.toContain(form);
      });
    }
  }

  it("is absent from util.inspect and JSON of the clients", () => {
    const k2 = new K2Client({ clientId: "id", clientSecret: SECRET });
    const oauth = new OAuth2Client({
      clientId: "id",
      clientSecret: SECRET,
      tokenEndpoint: "https://auth.example/token",
      clientAuthentication: "client_secret_basic",
    });
    for (const value of [k2, oauth]) {
      const text = `${inspect(value, { depth: 10, showHidden: true })}\n${JSON.stringify(value)}\n${String(value)}`;
      for (const form of encodedForms) expect(text).not.toContain(form);
    }
  });

  it("is absent from configuration errors", () => {
    for (const make of [
      () => new K2Client({ clientId: "id", clientSecret: SECRET, environment: "staging" as never }),
      () => new K2Client({ clientId: "id", clientSecret: SECRET, baseUrl: "not a url" }),
      () => new K2Client({ clientId: "id", clientSecret: SECRET, timeoutMs: -1 }),
    ]) {
      expect(make).toThrow();
      try {
        make();
      } catch (error) {
        for (const form of encodedForms) expect(everyTextOf(error)).not.toContain(form);
      }
    }
  });
});
