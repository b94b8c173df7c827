/**
 * The figures of one run of the many-isolates simulation (test/worker/token-broker/many-isolates.test.ts), which
 * `npm run bench` reads from the test's meta. Types only, so that both the test (inside workerd)
 * and the benchmark (in Node) can import them; the test's meta carries one as `isolatesRun`.
 */
import type {} from "vitest";

/** One run's outcome, as the benchmark reports it. */
export interface IsolatesRun {
  isolates: number;
  path: "kv" | "broker";
  revokePrevious: boolean;
  tokenRequests: number;
  /** Answers of 401 the callers got (K2 refused the token, and the replay too). */
  callerVisible401: number;
  /** Requests replayed after a 401 from K2, unseen by the caller when the replay succeeded. */
  replays: number;
  /** KV writes the isolates made (the broker's own are not counted: it is KV's one writer). */
  isolateKvWrites: number;
  statuses: Record<string, number>;
}

declare module "vitest" {
  interface TaskMeta {
    isolatesRun?: IsolatesRun;
  }
}
