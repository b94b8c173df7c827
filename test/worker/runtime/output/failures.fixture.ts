/**
 * Run only by output.node.test.ts: a refused connection the code catches, which workerd's verbose
 * mode reported as an "uncaught exception" although nothing was left unhandled, and a rejection
 * really left unhandled, which must still fail the run.
 */
import { expect, it } from "vitest";

it("a refused connection, caught", async () => {
  await expect(fetch("http://127.0.0.1:1/")).rejects.toThrow("Network connection lost");
});

it("a rejection nobody handles", async () => {
  void Promise.reject(new Error("left unhandled on purpose"));
  await new Promise((resolve) => setTimeout(resolve, 50));
});
