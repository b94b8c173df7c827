/**
 * The typed API stays off `import { K2Client }`: it is a separate entry (`k2-connect-edge/api`), and
 * within it a bundler keeps only the calls a program imports. Checked on the built files, bundled
 * with esbuild as users ship them. (Byte budgets are test/runtimes/size.test.ts's business.)
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { minifiedBundle } from "../support/bundle.ts";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));

/** Strings found only in one part of src/api, each standing for the code around it. */
const MARKERS = {
  validation: ["is not a K2 field", "must be an absolute http(s) URL", "K2ValidationError"],
  stkPush: ["M-PESA STK Push", "incoming_payments"],
  webhooks: ["unknown_webhook", "card_transaction_voided", "K2WebhookError"],
  subscriptions: ["webhook_subscriptions", "can only be true for buygoods_transaction_received"],
};

const bundle = (source: string): Promise<string> => minifiedBundle(source, ROOT);

const present = (code: string, markers: readonly string[]) => markers.filter((marker) => code.includes(marker));

describe("k2-connect-edge/api", () => {
  it("is a separate entry in package.json, built to dist/api", () => {
    const entry = pkg.exports["./api"];
    for (const file of [entry.import.types, entry.import.default, entry.require.types, entry.require.default]) {
      expect(file.startsWith("./dist/api/"), file).toBe(true);
      expect(existsSync(join(ROOT, file)), file).toBe(true);
    }
  });

  it("is not part of `import { K2Client }`, nor of the whole core entry", async () => {
    expect(readFileSync(join(ROOT, "dist", "index.js"), "utf8")).not.toMatch(/["']\.\/api\//);
    for (const source of ['export { K2Client } from "./dist/index.js";', 'export * from "./dist/index.js";']) {
      const code = await bundle(source);
      expect(present(code, Object.values(MARKERS).flat()), source).toEqual([]);
    }
  });

  it("keeps only what is imported: an STK push carries no webhook code, and parseWebhook no validation", async () => {
    const stk = await bundle('export { createStkPush, getStkPushStatus } from "./dist/api/index.js";');
    expect(present(stk, [...MARKERS.validation, ...MARKERS.stkPush])).toEqual([
      ...MARKERS.validation,
      ...MARKERS.stkPush,
    ]);
    expect(present(stk, [...MARKERS.webhooks, ...MARKERS.subscriptions])).toEqual([]);

    const webhooks = await bundle('export { parseWebhook } from "./dist/api/index.js";');
    expect(present(webhooks, MARKERS.webhooks)).toEqual(MARKERS.webhooks);
    expect(present(webhooks, [...MARKERS.validation, ...MARKERS.stkPush, ...MARKERS.subscriptions])).toEqual([]);
  });

  it("shares the core's classes instead of copying them, in ESM and in CommonJS", async () => {
    const bad = {
      baseUrl: "https://sandbox.kopokopo.com",
      fetch: () => Promise.reject(new Error("must not be called")),
    };
    const esmCore = await import(join(ROOT, pkg.exports["."].import.default));
    const esmApi = await import(join(ROOT, pkg.exports["./api"].import.default));
    const require = createRequire(import.meta.url);
    const cjsCore = require(join(ROOT, pkg.exports["."].require.default));
    const cjsApi = require(join(ROOT, pkg.exports["./api"].require.default));
    for (const [core, api] of [
      [esmCore, esmApi],
      [cjsCore, cjsApi],
    ]) {
      const error = await api.createStkPush(bad, {}).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(api.K2ValidationError);
      expect(error).toBeInstanceOf(core.K2EdgeError);
      await expect(api.getStkPushStatus(bad, "https://evil.example/x")).rejects.toBeInstanceOf(core.InvalidInputError);
    }
    // One output file per source file: the api's validation requires the core's error module.
    expect(readFileSync(join(ROOT, "dist", "api", "validation.cjs"), "utf8")).toMatch(
      /require\(["']\.\.\/errors\.cjs["']\)/,
    );
    expect(readFileSync(join(ROOT, "dist", "api", "validation.js"), "utf8")).toMatch(/from ["']\.\.\/errors\.js["']/);
  });
});
