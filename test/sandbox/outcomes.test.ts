/** The test phone numbers: one exported table, shown as is in docs/sandbox.md, matched in every spelling. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { normalisedPhone, outcomeFor, TEST_PHONE_NUMBERS } from "../../sandbox/outcomes.ts";

it("docs/sandbox.md shows exactly the table of TEST_PHONE_NUMBERS", () => {
  const page = readFileSync(join(import.meta.dirname, "..", "..", "docs", "sandbox.md"), "utf8");
  const rows = [...page.matchAll(/^\| (2547\d{8}) \| [^|]+ \| `(\w+)` \| `?([^|`]+?)`? \|$/gm)].map(
    ([, phone, status, errors]) => [phone, { status, errors: errors === "null" ? null : errors }],
  );
  const table = Object.entries(TEST_PHONE_NUMBERS).map(([phone, { status, errors }]) => [phone, { status, errors }]);
  expect(rows).toEqual(table);
});

it("takes every spelling the SDKs send, and nothing else", () => {
  for (const spelling of ["+254700000001", "254700000001", "0700000001", "700000001"])
    expect(normalisedPhone(spelling), String(spelling)).toBe("254700000001");
  expect(normalisedPhone("0110000001")).toBe("254110000001");
  expect(normalisedPhone("+254999999999")).toBe("254999999999");
  expect(normalisedPhone("0800000001")).toBe("254800000001");
  for (const wrong of ["", "12345", "+12025550100", "25470000000", "2547000000011", "+254 700 000 001", null, {}])
    expect(normalisedPhone(wrong), String(wrong)).toBeUndefined();
  expect(normalisedPhone(254700000001)).toBeUndefined();
  expect(outcomeFor("0700000002").outcome).toBe("cancelled_by_user");
  expect(outcomeFor("+254712345678").outcome).toBe("success");
  expect(outcomeFor(undefined).outcome).toBe("success");
});
