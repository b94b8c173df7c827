/**
 * `k2-connect-edge sandbox`, run as users run it: the built dist/cli.js, which loads dist/sandbox.js
 * only for this command. The library's entries never reach that file.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { expect, it } from "vitest";
import { DEV_API_KEY, DEV_CLIENT } from "../../sandbox/credentials.ts";
import { TEST_PHONE_NUMBERS } from "../../sandbox/outcomes.ts";
import { spawnSandbox, stop } from "../sandbox/running.ts";
import { ROOT } from "../runtimes/packed-package.ts";

const DIST = join(ROOT, "dist");

it("k2-connect-edge sandbox --port 0 starts a working sandbox and prints its credentials and test numbers", async () => {
  // Run from elsewhere, as npx does: the sandbox module is found next to cli.js, not in the current directory.
  const { child, printed } = await spawnSandbox(
    process.execPath,
    [join(DIST, "cli.js"), "sandbox", "--port", "0", "--delay", "5"],
    tmpdir(),
  );
  try {
    expect(printed).toMatchObject({
      clientId: DEV_CLIENT.clientId,
      clientSecret: DEV_CLIENT.clientSecret,
      apiKey: DEV_API_KEY,
    });
    expect(printed.numbers.map((line) => line.split(/\s+/)[0])).toEqual(Object.keys(TEST_PHONE_NUMBERS));
    const token = await fetch(`${printed.url}/oauth/token`, {
      method: "POST",
      body: new URLSearchParams({
        grant_type: "client_credentials",
        client_id: printed.clientId,
        client_secret: printed.clientSecret,
      }),
    });
    expect(token.status).toBe(200);
    const trigger = await fetch(`${printed.url}/__sandbox/trigger`, {
      method: "POST",
      body: JSON.stringify({ topic: "customer_created", url: "http://127.0.0.1:9/x" }),
    });
    expect(trigger.status).toBe(200);
  } finally {
    expect(await stop(child)).toBe(0);
  }
});

it("explains a bad option with exit code 2", async () => {
  await expect(spawnSandbox(process.execPath, [join(DIST, "cli.js"), "sandbox", "--colour"], tmpdir())).rejects.toThrow(
    /exited with 2.*Unknown sandbox option "--colour"/s,
  );
});

it("ships the sandbox as dist/sandbox.js, which no file of the library's entries imports", () => {
  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) =>
      statSync(join(dir, name)).isDirectory() ? files(join(dir, name)) : [join(dir, name)],
    );
  const importers = files(DIST)
    .filter((file) => /\.(c?js)$/.test(file) && !/^(cli|sandbox)\.js$/.test(relative(DIST, file)))
    .filter((file) => /sandbox\.js|node:http/.test(readFileSync(file, "utf8")));
  expect(importers).toEqual([]);
  expect(readFileSync(join(DIST, "cli.js"), "utf8")).not.toContain("createServer");
  expect(readFileSync(join(DIST, "sandbox.js"), "utf8")).toContain("node:http");
});

it("on a port already in use, both entries say so in one line and exit 1", async () => {
  const { createServer } = await import("node:net");
  const busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
  const port = String((busy.address() as { port: number }).port);
  try {
    const entries = [
      { prefix: "k2-connect-edge sandbox", command: process.execPath, args: [join(DIST, "cli.js"), "sandbox"] },
      { prefix: "npm run sandbox", command: join(ROOT, "node_modules", ".bin", "tsx"), args: ["scripts/sandbox.ts"] },
    ];
    for (const { prefix, command, args } of entries) {
      const failure = await spawnSandbox(command, [...args, "--port", port], ROOT).then(
        () => "started",
        (error: Error) => error.message,
      );
      // The whole output: no banner, no stack, no Node event dump.
      expect(failure).toBe(
        `exited with 1: ${prefix}: port ${port} on 127.0.0.1 is already in use (is a sandbox already running?); ` +
          "choose another with --port N, or --port 0 for a free one\n",
      );
      expect(failure).not.toContain("EADDRINUSE");
    }
  } finally {
    busy.close();
  }
});
