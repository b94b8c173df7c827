/**
 * Extra K2 applications the benchmark's sandbox knows, so that token requests can be told apart
 * per Worker when several run against one sandbox.
 */
import type { SandboxClient } from "../../sandbox/credentials.js";

export const QUIET_CLIENT: SandboxClient = { clientId: "bench-quiet-proxy", clientSecret: "bench-quiet-proxy-secret" };

export const BENCH_CLIENTS: readonly SandboxClient[] = [QUIET_CLIENT];
