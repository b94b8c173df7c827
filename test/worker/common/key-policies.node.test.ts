/**
 * PROXY_KEY_POLICIES as the Worker reads it (worker/common/key-policies.ts): a policy is checked
 * whole at start, and a problem names the key id and the field, never a key.
 */
import { describe, expect, it } from "vitest";
import { destinationForm, parseKeyPolicies } from "../../../worker/common/key-policies.ts";
import { ConfigError } from "../../../worker/common/settings.ts";

const DIGEST = "a".repeat(64);
const valid = { id: "checkout", sha256: DIGEST, allow: ["incoming_payments:write", "incoming_payments:read"] };

function problem(policies: unknown): ConfigError {
  try {
    parseKeyPolicies(JSON.stringify(policies));
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("accepted");
}

describe("PROXY_KEY_POLICIES", () => {
  it("reads a whole policy, each limit in the form it is compared in", () => {
    const [policy] = parseKeyPolicies(
      JSON.stringify([
        {
          ...valid,
          max_amount: "5000",
          tills: ["K000000", 123456],
          callback_hosts: ["Shop.Example.com"],
          destinations: ["+254712345678", "Paybill-1"],
          rate_per_minute: 60,
          phone_rate_per_hour: 3,
          origins: ["https://shop.example.com/"],
        },
      ]),
    );
    expect(policy).toMatchObject({ id: "checkout", sha256: DIGEST, maxAmount: 5000, ratePerMinute: 60 });
    expect([...(policy!.allow as Set<string>)]).toEqual(["incoming_payments:write", "incoming_payments:read"]);
    expect([...policy!.tills!]).toEqual(["K000000", "123456"]);
    expect([...policy!.callbackHosts!]).toEqual(["shop.example.com"]);
    expect([...policy!.destinations!]).toEqual(["254712345678", "paybill-1"]);
    expect(policy!.origins).toEqual(["https://shop.example.com"]);
  });

  it('takes "*" for every capability, and nothing when unset', () => {
    expect(parseKeyPolicies(JSON.stringify([{ ...valid, allow: ["*"] }]))[0]!.allow).toBe("*");
    expect(parseKeyPolicies(undefined)).toEqual([]);
    expect(parseKeyPolicies(" ")).toEqual([]);
  });

  for (const [label, policy, field] of [
    ["an unknown capability", { ...valid, allow: ["incoming_payments:delete"] }, "allow"],
    ["an empty allow", { ...valid, allow: [] }, "allow"],
    ["a digest that is not lowercase hex SHA-256", { ...valid, sha256: "A".repeat(64) }, "sha256"],
    ["a key where its digest belongs", { ...valid, sha256: "a-real-secret-key-1234" }, "sha256"],
    ["a misspelt field, which would silently widen the key", { ...valid, max_ammount: 10 }, "max_ammount"],
    ["a zero amount", { ...valid, max_amount: 0 }, "max_amount"],
    ["a fractional rate", { ...valid, rate_per_minute: 1.5 }, "rate_per_minute"],
    ["an origin with a path", { ...valid, origins: ["https://shop.example.com/pay"] }, "origins"],
    ["tills that are not a list", { ...valid, tills: "K000000" }, "tills"],
  ] as const) {
    it(`refuses ${label}, naming the key id and the field`, () => {
      const error = problem([policy]);
      expect(error.setting).toBe("PROXY_KEY_POLICIES");
      expect(error.message).toContain('"checkout"');
      expect(error.message).toContain(field);
      expect(error.message).not.toContain("a-real-secret-key-1234");
    });
  }

  it("refuses two policies for one key, and input that is not a list of objects", () => {
    expect(problem([valid, { ...valid, id: "other" }]).message).toContain("sha256");
    expect(problem({ id: "x" }).message).toContain("JSON array");
    expect(problem([{ ...valid, id: "has space" }]).message).toContain("[0].id");
    expect(() => parseKeyPolicies("[{")).toThrow(ConfigError);
  });
});

describe("destinationForm", () => {
  it("writes every spelling K2 accepts of one phone as one, and anything else without case", () => {
    for (const phone of ["+254712345678", "254712345678", "0712345678", "712345678", "+254 712 345 678"])
      expect(destinationForm(phone)).toBe("254712345678");
    expect(destinationForm(" K000000 ")).toBe("k000000");
  });
});
