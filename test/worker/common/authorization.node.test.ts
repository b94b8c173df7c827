/**
 * What a scoped key may do (worker/common/authorization.ts): the capability each path and method
 * needs, and the limits on a payment's body, as pure functions.
 */
import { describe, expect, it } from "vitest";
import { allows, bodyLimitRefusal, capabilityOf } from "../../../worker/common/authorization.ts";
import type { Caller } from "../../../worker/common/callers.ts";
import { parseKeyPolicies } from "../../../worker/common/key-policies.ts";

function scoped(fields: Record<string, unknown>): Caller {
  const [policy] = parseKeyPolicies(
    JSON.stringify([{ id: "till-1", sha256: "b".repeat(64), allow: ["*"], ...fields }]),
  );
  return { id: "till-1", keyDigest: "b".repeat(64), scope: "id:till-1", policy };
}
const full: Caller = { id: undefined, keyDigest: "c".repeat(64), scope: "c".repeat(64), policy: undefined };
const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)).buffer as ArrayBuffer;

const stk = (value: unknown, till = "K000000", callback = "https://shop.example.com/k2") => ({
  till_number: till,
  amount: { currency: "KES", value },
  _links: { callback_url: callback },
});

async function refusal(caller: Caller, path: string, body: unknown) {
  const response = bodyLimitRefusal(caller, "POST", path, bytes(body));
  return response && { status: response.status, ...(await response.json<Record<string, unknown>>()) };
}

describe("capabilityOf", () => {
  it("names the resource and read or write", () => {
    expect(capabilityOf("POST", "/api/v2/incoming_payments")).toBe("incoming_payments:write");
    expect(capabilityOf("GET", "/api/v1/incoming_payments/abc")).toBe("incoming_payments:read");
    expect(capabilityOf("HEAD", "/api/v2/send_money/abc")).toBe("send_money:read");
    expect(capabilityOf("POST", "/api/v2/payment_links/abc/cancel")).toBe("payment_links:write");
    expect(capabilityOf("GET", "/k2/events")).toBe("events:read");
    expect(capabilityOf("GET", "/k2/events/0123")).toBe("events:read");
    expect(capabilityOf("POST", "/api/v2/unknown_things")).toBeUndefined();
  });

  it("lets a full-access key do anything and a scoped key only what it is allowed", () => {
    expect(allows(full, "send_money:write")).toBe(true);
    expect(allows(full, undefined)).toBe(true);
    const checkout = scoped({ allow: ["incoming_payments:write"] });
    expect(allows(checkout, "incoming_payments:write")).toBe(true);
    expect(allows(checkout, "incoming_payments:read")).toBe(false);
    expect(allows(checkout, "send_money:write")).toBe(false);
    expect(allows(checkout, undefined)).toBe(false);
  });
});

describe("bodyLimitRefusal", () => {
  it("max_amount: an STK push, a payment link and the sum of a send money's destinations", async () => {
    const caller = scoped({ max_amount: 5000 });
    expect(await refusal(caller, "/api/v2/incoming_payments", stk("5000"))).toBeUndefined();
    expect(await refusal(caller, "/api/v2/incoming_payments", stk(5000.5))).toMatchObject({
      status: 403,
      error: "forbidden",
      rule: "max_amount",
      key_id: "till-1",
    });
    expect(await refusal(caller, "/api/v2/payment_links", { amount: 6000, till_number: "K1" })).toMatchObject({
      rule: "max_amount",
    });
    const destination = (amount: string) => ({ type: "mobile_wallet", phone_number: "254712345678", amount });
    const sendMoney = (...amounts: string[]) => ({ currency: "KES", destinations: amounts.map(destination) });
    expect(await refusal(caller, "/api/v2/send_money", sendMoney("2500", "2500"))).toBeUndefined();
    expect(await refusal(caller, "/api/v2/send_money", sendMoney("2500", "2501"))).toMatchObject({
      rule: "max_amount",
    });
    // Everything to the merchant's own accounts moves an amount no limit can check.
    expect(await refusal(caller, "/api/v2/send_money", { currency: "KES", destinations: [] })).toMatchObject({
      rule: "max_amount",
    });
  });

  it("tills, callback_hosts (a subscription's URL too) and destinations", async () => {
    const caller = scoped({
      tills: ["K000000"],
      callback_hosts: ["shop.example.com"],
      destinations: ["0712345678", "P-123"],
    });
    expect(await refusal(caller, "/api/v2/incoming_payments", stk("10"))).toBeUndefined();
    expect(await refusal(caller, "/api/v2/incoming_payments", stk("10", "K999999"))).toMatchObject({ rule: "tills" });
    expect(
      await refusal(caller, "/api/v2/incoming_payments", stk("10", "K000000", "https://evil.example/steal")),
    ).toMatchObject({ rule: "callback_hosts" });
    expect(
      await refusal(caller, "/api/v2/webhook_subscriptions", { url: "https://evil.example/hook", scope: "company" }),
    ).toMatchObject({ rule: "callback_hosts" });
    const pay = (phone_number: string) => ({
      destinations: [{ type: "mobile_wallet", phone_number, amount: "10" }],
      _links: { callback_url: "https://shop.example.com/k2" },
    });
    expect(await refusal(caller, "/api/v2/send_money", pay("+254712345678"))).toBeUndefined();
    expect(await refusal(caller, "/api/v2/send_money", pay("254700000099"))).toMatchObject({ rule: "destinations" });
    expect(
      await refusal(caller, "/api/v1/payments", { destination_reference: "p-123", amount: { value: "1" } }),
    ).toBeUndefined();
  });

  it("reads nothing for a full-access key, a read, or a policy without body limits", () => {
    expect(bodyLimitRefusal(full, "POST", "/api/v2/incoming_payments", bytes(stk("999999")))).toBeUndefined();
    expect(
      bodyLimitRefusal(scoped({ max_amount: 1 }), "GET", "/api/v2/incoming_payments/x", undefined),
    ).toBeUndefined();
    expect(bodyLimitRefusal(scoped({}), "POST", "/api/v2/incoming_payments", bytes(stk("999999")))).toBeUndefined();
  });

  it("refuses a body it cannot read when a limit must be checked", async () => {
    const response = bodyLimitRefusal(scoped({ max_amount: 1 }), "POST", "/api/v2/incoming_payments", undefined);
    expect(await response?.json()).toMatchObject({ error: "forbidden", rule: "body" });
  });
});
