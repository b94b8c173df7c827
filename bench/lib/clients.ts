/**
 * Extra K2 applications the benchmark's sandbox knows, so that token requests can be told apart
 * per Worker when several run against one sandbox.
 */
import type { SandboxClient } from "../../sandbox/credentials.js";

export const QUIET_CLIENT: SandboxClient = { clientId: "bench-quiet-proxy", clientSecret: "bench-quiet-proxy-secret" };

/** The cost probe's `client` step (bench/cost-probe-worker.ts). */
export const PROBE_CLIENT: SandboxClient = { clientId: "bench-cost-probe", clientSecret: "bench-cost-probe-secret" };

export const BENCH_CLIENTS: readonly SandboxClient[] = [QUIET_CLIENT, PROBE_CLIENT];
