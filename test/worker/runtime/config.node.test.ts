/**
 * The workerd tests read wrangler.toml from a folder of their own (vitest.config.ts): wrangler adds a
 * `.dev.vars` beside the config to the Worker's bindings, and a developer's own `.dev.vars` (real
 * credentials, a PUBLIC_ORIGIN, a 1 ms body timeout) made Location and body tests fail.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { expect, it } from "vitest";
import { testWranglerConfig } from "../../../vitest.config.ts";

const ROOT = join(import.meta.dirname, "..", "..", "..");

it("is wrangler.toml with an absolute main, in a folder where no .dev.vars can be", () => {
  const config = testWranglerConfig();
  expect(dirname(config)).not.toBe(ROOT);
  expect(dirname(config).startsWith(join(ROOT, "node_modules"))).toBe(true);
  expect(existsSync(join(dirname(config), ".dev.vars"))).toBe(false);
  const main = JSON.stringify(join(ROOT, "worker", "index.ts"));
  expect(readFileSync(config, "utf8")).toBe(
    readFileSync(join(ROOT, "wrangler.toml"), "utf8").replace('main = "worker/index.ts"', `main = ${main}`),
  );
});
