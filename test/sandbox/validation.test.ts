/**
 * The sandbox refuses what K2 refuses and accepts what the SDKs send: every body of the
 * documented table (sandbox/samples/bodies.ts) gets the documented verdict, and a refusal is K2's 400
 * `{ error_code, error_message }` naming each refused field.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COLLECTIONS } from "../../sandbox/resources.ts";
import { BODIES } from "../../sandbox/samples.ts";
import { startSandbox, type Started } from "./support.ts";

let k2: Started;
beforeAll(async () => {
  k2 = await startSandbox({ processingDelayMs: Infinity });
});
afterAll(() => k2.sandbox.close());

/** How K2's messages name a field: `subscriber.phone_number` → "phone number", `amount.value` → "amount". */
function named(path: string): string {
  const parts = path.replace(/\[\d+\]/g, "").split(".");
  const last = parts.at(-1) === "value" && parts.length > 1 ? parts.at(-2)! : parts.at(-1)!;
  return last === "" ? "body" : last.replace(/_/g, " ");
}

describe("the documented verdict on every request body", () => {
  it("covers every resource, both ways", () => {
    const paths = new Set(BODIES.map((body) => body.path.replace(/^\/api\/v\d\//, "")));
    expect(paths).toEqual(new Set(Object.keys(COLLECTIONS)));
    for (const verdict of ["accepted", "refused"])
      expect(BODIES.filter((body) => body.verdict === verdict).length).toBeGreaterThan(40);
  });

  for (const { name, path, body, verdict, fields = [] } of BODIES) {
    it(`${verdict}: ${name}`, async () => {
      const response = await k2.post(path, body);
      const text = await response.text();
      if (verdict === "accepted") {
        expect(response.status, text).toBe(201);
        expect(response.headers.get("location")).toMatch(new RegExp(`^${k2.sandbox.url}${path}/[0-9a-f-]{36}$`));
        return;
      }
      expect(response.status, text).toBe(400);
      expect(response.headers.get("location")).toBeNull();
      const error = JSON.parse(text);
      expect(Object.keys(error).sort()).toEqual(["error_code", "error_message"]);
      expect(error.error_code).toBe(400);
      const messages: string[] = Array.isArray(error.error_message) ? error.error_message : [error.error_message];
      expect(messages.length).toBe(fields.length);
      for (const field of fields) {
        expect(
          messages.some((message) => message.toLowerCase().includes(named(field))),
          `${field} in ${text}`,
        ).toBe(true);
      }
    });
  }
});

describe("what is not a body", () => {
  it("answers 400 with a string message for JSON that does not parse", async () => {
    const response = await k2.post("/api/v2/incoming_payments", "{not json");
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error_code: 400, error_message: "Request body is not valid JSON" });
  });

  it("has each resource only on the versions K2 has it", async () => {
    for (const path of [
      "/api/v2/payments",
      "/api/v1/send_money",
      "/api/v1/payment_links",
      "/api/v2/settlement_transfers",
    ]) {
      const response = await k2.post(path, {});
      expect(response.status, path).toBe(404);
      expect(await response.json()).toMatchObject({ error_code: 404 });
    }
  });

  it("refuses a missing or revoked token with K2's 401 before looking at the body", async () => {
    const response = await fetch(`${k2.sandbox.url}/api/v2/polling`, { method: "POST", body: "{}" });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error_code: 401, error_message: "InvalidAccessToken" });
  });
});
