/**
 * Memory: heap growth over 100,000 warm `getAccessToken()` calls. The heap is measured after a
 * full GC before and after each round; a warm-up round is not recorded (it settles JIT code and
 * inline caches, which are not growth). Flat means the calls retain nothing: the median growth is
 * under one byte per call (a leak of even one small object per call is tens of bytes).
 */
import { OURS } from "../contenders.ts";
import { serveSection } from "../lib/child.ts";
import { SandboxProcess } from "../../harness/sandbox.ts";
import { median } from "../lib/stats.ts";

export interface MemoryInput {
  calls: number;
  rounds: number;
}

export interface MemoryResult {
  calls: number;
  /** heapUsed growth of each recorded round, bytes. */
  growth: number[];
  medianGrowth: number;
  bytesPerCall: number;
  flat: boolean;
}

function heapAfterGc(): number {
  globalThis.gc!();
  globalThis.gc!();
  return process.memoryUsage().heapUsed;
}

serveSection<MemoryInput, MemoryResult>(async ({ calls, rounds }) => {
  if (typeof globalThis.gc !== "function") throw new Error("run with --expose-gc");
  const sandbox = await SandboxProcess.start();
  try {
    const get = OURS.getter!(sandbox.url);
    await get();
    const growth: number[] = [];
    for (let round = 0; round <= rounds; round++) {
      const before = heapAfterGc();
      for (let i = 0; i < calls; i++) await get();
      const after = heapAfterGc();
      if (round > 0) growth.push(after - before);
    }
    const medianGrowth = median(growth);
    return { calls, growth, medianGrowth, bytesPerCall: medianGrowth / calls, flat: medianGrowth / calls < 1 };
  } finally {
    await sandbox.stop();
  }
});
