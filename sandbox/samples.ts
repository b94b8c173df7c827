/**
 * The one set of sample K2 bodies, shared by the sandbox's tests, the typed API's tests, the demo,
 * the benchmarks and the Worker's tests: valid requests for every resource (samples/requests.ts),
 * K2's answers, results and webhook resources (samples/answers.ts), and the table of bodies K2
 * accepts and refuses (samples/bodies.ts). No Node imports: tests inside workerd use them too.
 */
export * from "./samples/answers.ts";
export * from "./samples/bodies.ts";
export * from "./samples/requests.ts";
