/**
 * The Worker's `K2_BASE_URL` goes through the package's one origin guard: every base row of the
 * shared table of hostile URLs is refused, naming the setting and never its value.
 */
import { describe, expect, it } from "vitest";
import { k2Settings, type K2Env } from "../../../worker/common/k2-settings.ts";
import { ConfigError } from "../../../worker/common/settings.ts";
import { HOSTILE_BASES } from "../../support/hostile-urls.ts";

/** A whole K2 configuration: only K2_BASE_URL changes between the cases. */
const baseEnv: K2Env = {
  K2_CLIENT_ID: "client-id",
  K2_CLIENT_SECRET: "client-secret",
  TOKEN_CACHE: { get: async () => null, put: async () => {} } as unknown as KVNamespace,
};

describe("K2_BASE_URL", () => {
  for (const row of HOSTILE_BASES) {
    it(`refuses ${JSON.stringify(row.url)} (${row.why})`, () => {
      let error: unknown;
      try {
        k2Settings({ ...baseEnv, K2_BASE_URL: row.url });
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).setting).toBe("K2_BASE_URL");
      if (row.url.trim().length > 3) expect((error as Error).message).not.toContain(row.url.trim());
    });
  }

  it("takes the sandbox's loopback origin and K2's https origins", () => {
    expect(k2Settings({ ...baseEnv, K2_BASE_URL: "http://127.0.0.1:8788" }).k2Origin).toBe("http://127.0.0.1:8788");
    expect(k2Settings({ ...baseEnv, K2_BASE_URL: "https://api.kopokopo.com" }).k2Origin).toBe(
      "https://api.kopokopo.com",
    );
  });
});
