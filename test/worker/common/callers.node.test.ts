/** Turning a presented key into its caller (worker/common/callers.ts), and what that costs per isolate. */
import { afterEach, expect, it, vi } from "vitest";
import { callerKeys, callerOfKey, type CallerEnv } from "../../../worker/common/callers.ts";
import { sha256Hex } from "../../../worker/common/sha256.ts";

afterEach(() => vi.restoreAllMocks());

it("digests a matched key once per isolate, a key that matches nothing every time, and remembers only matches", async () => {
  const scopedKey = "till-key-0123456789abcdef";
  const policies = [{ id: "till-1", sha256: await sha256Hex(scopedKey), allow: ["*"] }];
  const env: CallerEnv = { PROXY_KEYS: "shop:shop-key-0123456789abcdef", PROXY_KEY_POLICIES: JSON.stringify(policies) };
  await callerKeys(env); // the configured keys' own digests, once, before counting
  const digest = vi.spyOn(crypto.subtle, "digest");

  const shop = await callerOfKey("shop-key-0123456789abcdef", env);
  const till = await callerOfKey(scopedKey, env);
  expect(shop).toMatchObject({ id: "shop", scope: "id:shop", policy: undefined });
  expect(till).toMatchObject({ id: "till-1", keyDigest: policies[0]!.sha256, scope: "id:till-1" });
  expect(digest).toHaveBeenCalledTimes(2);

  // Found again by the key itself: the same caller, no digest.
  expect(await callerOfKey("shop-key-0123456789abcdef", env)).toBe(shop);
  expect(await callerOfKey(scopedKey, env)).toBe(till);
  expect(digest).toHaveBeenCalledTimes(2);

  // A key that matches nothing is digested and compared each time, and never kept.
  for (let i = 0; i < 3; i++) expect(await callerOfKey("wrong-key-0123456789abcdef", env)).toBeUndefined();
  expect(digest).toHaveBeenCalledTimes(5);

  // Another settings object (a new deployment's env) starts again.
  const next = { ...env };
  await callerKeys(next);
  digest.mockClear();
  expect(await callerOfKey("shop-key-0123456789abcdef", next)).not.toBe(shop);
  expect(digest).toHaveBeenCalledTimes(1);
});
