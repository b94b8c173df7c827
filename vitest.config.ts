import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
import { DEV_API_KEY, DEV_CLIENT } from "./sandbox/credentials.ts";
import { FORWARD_TEST_SECRET, TEST_PROXY_KEYS } from "./test/worker/support/keys.ts";

/**
 * wrangler.toml as the workerd tests read it, from a folder of its own: wrangler adds a `.dev.vars`
 * found beside the config to the bindings, and a developer's own (real credentials, a
 * PUBLIC_ORIGIN, short timeouts) must not change what the tests see. Only `main` is made absolute.
 */
export function testWranglerConfig(): string {
  const dir = fileURLToPath(new URL("./node_modules/.cache/k2-connect-edge-tests/", import.meta.url));
  const main = fileURLToPath(new URL("./worker/index.ts", import.meta.url));
  const toml = readFileSync(new URL("./wrangler.toml", import.meta.url), "utf8");
  if (!/^main = "worker\/index\.ts"$/m.test(toml))
    throw new Error("wrangler.toml's main moved: update vitest.config.ts");
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}wrangler.toml`, toml.replace(/^main = .*$/m, `main = ${JSON.stringify(main)}`));
  return `${dir}wrangler.toml`;
}

export default defineConfig({
  test: {
    reporters: ["default", "./test/support/summary-reporter.ts"],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    projects: [
      {
        // Both projects inherit the root's timeouts and reporters.
        extends: true,
        test: {
          name: "node",
          // The Worker's pure functions (`*.node.test.ts`) run here, in parallel; the rest of test/worker/ in workerd.
          include: ["test/**/*.test.ts"],
          exclude: ["test/worker/**/!(*.node).test.ts"],
          environment: "node",
        },
      },
      {
        extends: true,
        // Inside real workerd with KV, against the K2 sandbox that global-setup starts in Node.
        plugins: [
          cloudflareTest(({ inject }) => ({
            wrangler: { configPath: testWranglerConfig() },
            // Verbose, workerd prints "uncaught exception ... Network connection lost" for every failed
            // subrequest, even one the code catches: dozens per run from the K2 failure tests, hiding
            // anything real. Quiet, a rejection really left unhandled still fails the run through
            // vitest (test/worker/runtime/output/).
            verbose: false,
            miniflare: {
              bindings: {
                K2_BASE_URL: inject<string>("k2SandboxUrl"),
                K2_CLIENT_ID: DEV_CLIENT.clientId,
                K2_CLIENT_SECRET: DEV_CLIENT.clientSecret,
                PROXY_KEYS: TEST_PROXY_KEYS.join(","),
                K2_API_KEY: DEV_API_KEY,
                // The inbox forwards to a backend global-setup starts; retries are not delayed in tests.
                FORWARD_URL: `${inject<string>("forwardReceiverUrl")}/events`,
                FORWARD_SECRET: FORWARD_TEST_SECRET,
                FORWARD_RETRY_DELAY_SECONDS: "0",
              },
            },
          })),
        ],
        // examples/ import the package by name, as users do; inside workerd that name means the sources.
        resolve: {
          alias: [
            { find: /^k2-connect-edge$/, replacement: fileURLToPath(new URL("./src/index.ts", import.meta.url)) },
          ],
        },
        test: {
          name: "workerd",
          include: ["test/worker/**/*.test.ts"],
          exclude: ["test/worker/**/*.node.test.ts"],
          // Every file drives the one K2 sandbox (resets it, counts its requests): one file at a time.
          fileParallelism: false,
          globalSetup: ["test/worker/support/global-setup.ts"],
        },
      },
    ],
  },
});
