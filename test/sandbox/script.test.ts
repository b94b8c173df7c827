/**
 * `npm run sandbox` (scripts/sandbox.ts): prints the URL, the credentials and the test-number
 * table, and the sandbox it started works with what it printed; SIGTERM stops it with code 0.
 */
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { DEV_API_KEY, DEV_CLIENT } from "../../sandbox/credentials.ts";
import { TEST_PHONE_NUMBERS } from "../../sandbox/outcomes.ts";
import { spawnSandbox, stop } from "./running.ts";
import type { ChildProcess } from "node:child_process";

const ROOT = join(import.meta.dirname, "..", "..");
const children: ChildProcess[] = [];
afterEach(async () => {
  await Promise.all(children.splice(0).map(stop));
});

it("npm run sandbox --port 0 prints its URL, credentials and test numbers, and answers with them", async () => {
  const { child, printed } = await spawnSandbox(
    join(ROOT, "node_modules", ".bin", "tsx"),
    ["scripts/sandbox.ts", "--port", "0", "--delay", "5"],
    ROOT,
  );
  children.push(child);
  expect(printed.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(printed).toMatchObject({
    clientId: DEV_CLIENT.clientId,
    clientSecret: DEV_CLIENT.clientSecret,
    apiKey: DEV_API_KEY,
  });
  expect(printed.numbers.map((line) => line.split(/\s+/)[0])).toEqual(Object.keys(TEST_PHONE_NUMBERS));
  expect(printed.output).toContain("Payments end 5 ms after");

  const token = await fetch(`${printed.url}/oauth/token`, {
    method: "POST",
    body: new URLSearchParams({
      grant_type: "client_credentials",
      client_id: printed.clientId,
      client_secret: printed.clientSecret,
    }),
  });
  expect(token.status).toBe(200);
  children.splice(0);
  expect(await stop(child)).toBe(0);
});

it("refuses a port that is not a number, with code 2", async () => {
  const failure = spawnSandbox(
    join(ROOT, "node_modules", ".bin", "tsx"),
    ["scripts/sandbox.ts", "--port", "eighty"],
    ROOT,
  );
  await expect(failure).rejects.toThrow(/exited with 2.*--port needs a whole number/s);
});
