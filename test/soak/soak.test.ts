/**
 * The soak (harness/soak/soak.ts) in short: the proxy in real workerd under a few seconds of STK push
 * POSTs while every fault of the schedule runs once. It checks what must hold in any soak: K2
 * never receives a payment twice except for the proxy's one replay after a 401, every request gets
 * an answer, and every fault really happened. No timing is asserted: speed lives in the benchmarks.
 */
import { describe, expect, it } from "vitest";
import { FAULT_NAMES, runSoak } from "../../harness/soak/soak.ts";

describe("soak, short form", () => {
  it("survives every fault once without duplicates or unanswered requests", async () => {
    const report = await runSoak({
      connections: 4,
      durationSeconds: 15,
      maxRequests: 50_000,
      upstreamTimeoutMs: 500,
      faultGapMs: 800,
      faults: FAULT_NAMES,
      sampleEveryMs: 1000,
      hardTimeoutMs: 40_000,
    });
    const context = JSON.stringify({ byOutcome: report.byOutcome, k2: report.k2, faults: report.faults }, null, 1);

    expect(report.sent, context).toBeGreaterThan(0);
    // K2 received no payment twice, apart from 401 replays (and there were some: expiry and revocation ran).
    expect(report.k2.duplicates, context).toBe(0);
    expect(report.k2.replaysAfter401, context).toBeGreaterThan(0);
    expect(report.k2.unknownReferences, context).toBe(0);
    // Every request sent got an answer; none was left hanging.
    expect(report.unanswered, context).toBe(0);
    expect(report.leftOpen, context).toBe(0);
    expect(report.answered, context).toBe(report.sent);
    // Every fault ran and its effect was seen at K2's side (or in the KV switch's counts)...
    for (const fault of report.faults) {
      expect(fault.atSeconds, `${fault.name} did not run\n${context}`).not.toBeNull();
      expect(fault.observed, `${fault.name}: ${fault.evidence}\n${context}`).toBe(true);
    }
    expect(report.faults.map((fault) => fault.name)).toEqual([...FAULT_NAMES]);
    // ...and the sandbox itself recorded every request the tap passed it, faulted ones included.
    expect(report.sandboxSaw["POST /oauth/token"]).toBe(report.tokenRequests.atTap);
    expect(report.sandboxSaw["POST /api/v2/incoming_payments"]).toBe(report.k2.apiRequests);
  }, 60_000);
});
