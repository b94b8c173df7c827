import { describe, expect, it } from "vitest";
import { AuthorizationCallbackError, InvalidInputError, OAuth2Client, OAuth2Error } from "../../../src/index.ts";

const oauth = new OAuth2Client({ clientId: "app", tokenEndpoint: "https://auth.example.test/token" });
const lenient = new OAuth2Client({
  clientId: "app",
  tokenEndpoint: "https://auth.example.test/token",
  returnsState: false,
});
const CALLBACK = "https://app.example.test/callback";

function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (error: unknown) => error,
  );
}

describe("validateCallback: where the answer can come from", () => {
  it("reads a URL, a URL string, a query string with or without '?', and URLSearchParams", async () => {
    const inputs = [
      new URL(`${CALLBACK}?code=c0de&state=s1`),
      `${CALLBACK}?code=c0de&state=s1`,
      "?code=c0de&state=s1",
      "code=c0de&state=s1",
      new URLSearchParams({ code: "c0de", state: "s1" }),
    ];
    for (const input of inputs) expect(await oauth.validateCallback(input, "s1")).toBe("c0de");
  });

  it("reads a GET Request's query", async () => {
    expect(await oauth.validateCallback(new Request(`${CALLBACK}?state=s1&code=from-get`), "s1")).toBe("from-get");
  });

  it("reads a Request from another realm or implementation (not an instance of this global Request)", async () => {
    const native = new Request(CALLBACK, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "code=foreign&state=s1",
    });
    const foreign = { url: native.url, method: native.method, headers: native.headers, clone: () => native.clone() };
    expect(foreign instanceof Request).toBe(false);
    expect(await oauth.validateCallback(foreign as unknown as Request, "s1")).toBe("foreign");
  });

  it("reads a form POST's body (Copper, response_mode=form_post) and leaves the body readable", async () => {
    const request = new Request(`${CALLBACK}?code=not-this-one`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded; charset=UTF-8" },
      body: "code=posted%2Bcode&state=s%201",
    });
    expect(await oauth.validateCallback(request, "s 1")).toBe("posted+code");
    expect(await request.text()).toBe("code=posted%2Bcode&state=s%201");
  });

  it("reads a multipart form POST", async () => {
    const form = new FormData();
    form.set("code", "multipart-code");
    form.set("state", "s1");
    expect(await oauth.validateCallback(new Request(CALLBACK, { method: "POST", body: form }), "s1")).toBe(
      "multipart-code",
    );
  });

  it("refuses what is not a callback", async () => {
    await expect(oauth.validateCallback(42 as never, "s1")).rejects.toBeInstanceOf(InvalidInputError);
    const error = await failure(
      oauth.validateCallback(
        new Request(CALLBACK, {
          method: "POST",
          headers: { "content-type": "multipart/form-data; boundary=x" },
          body: "garbage",
        }),
        "s1",
      ),
    );
    expect(error).toMatchObject({ name: "AuthorizationCallbackError", reason: "unreadable" });
  });
});

describe("validateCallback: what is accepted", () => {
  it("turns an error callback into OAuth2Error with status 0", async () => {
    const error = await failure(
      oauth.validateCallback(
        `${CALLBACK}?error=access_denied&error_description=User+said+no&error_uri=https%3A%2F%2Fx.test&state=s1`,
        "s1",
      ),
    );
    expect(error).toBeInstanceOf(OAuth2Error);
    expect(error).toMatchObject({
      error: "access_denied",
      errorDescription: "User said no",
      errorUri: "https://x.test",
      status: 0,
    });
  });

  it("reports the provider's error even when it came back without state", async () => {
    await expect(oauth.validateCallback("error=invalid_scope", "s1")).rejects.toMatchObject({ error: "invalid_scope" });
  });

  it("refuses a different state, even on an error callback, without quoting it", async () => {
    for (const input of ["code=c0de&state=other-state", "error=access_denied&state=other-state"]) {
      const error = await failure(oauth.validateCallback(input, "expected-state"));
      expect(error).toBeInstanceOf(AuthorizationCallbackError);
      expect(error).toBeInstanceOf(InvalidInputError);
      expect(error).toMatchObject({ reason: "state_mismatch" });
      expect((error as Error).message).not.toMatch(/other-state|expected-state|c0de/);
    }
  });

  it("refuses a missing state, a missing code, and a call without the expected state", async () => {
    await expect(oauth.validateCallback("code=c0de", "s1")).rejects.toMatchObject({ reason: "state_missing" });
    await expect(oauth.validateCallback("state=s1", "s1")).rejects.toMatchObject({ reason: "code_missing" });
    await expect(oauth.validateCallback("state=s1&code=", "s1")).rejects.toMatchObject({ reason: "code_missing" });
    await expect(oauth.validateCallback("code=c0de&state=s1")).rejects.toThrow(/expectedState is required/);
    await expect(oauth.validateCallback("code=c0de&state=s1", "")).rejects.toThrow(/expectedState is required/);
  });

  it("accepts a missing state from a provider configured as not returning it, but still checks one that comes", async () => {
    expect(await lenient.validateCallback("code=c0de", "s1")).toBe("c0de");
    expect(await lenient.validateCallback("code=c0de")).toBe("c0de");
    expect(await lenient.validateCallback("code=c0de&state=s1", "s1")).toBe("c0de");
    await expect(lenient.validateCallback("code=c0de&state=s2", "s1")).rejects.toMatchObject({
      reason: "state_mismatch",
    });
  });

  it("checks iss against a configured issuer, and tolerates its absence", async () => {
    const checked = new OAuth2Client({
      clientId: "app",
      tokenEndpoint: "https://auth.example.test/token",
      issuer: "https://auth.example.test",
    });
    expect(await checked.validateCallback("code=c&state=s&iss=https%3A%2F%2Fauth.example.test", "s")).toBe("c");
    expect(await checked.validateCallback("code=c&state=s", "s")).toBe("c");
    await expect(checked.validateCallback("code=c&state=s&iss=https%3A%2F%2Fevil.test", "s")).rejects.toMatchObject({
      reason: "issuer_mismatch",
    });
    // Without a configured issuer there is nothing to compare with.
    expect(await oauth.validateCallback("code=c&state=s&iss=https%3A%2F%2Fevil.test", "s")).toBe("c");
  });
});
