/**
 * The package's version, sent in every request's `User-Agent` as each official K2 SDK sends its own.
 * `test/transport/user-agent.test.ts` keeps it equal to package.json's.
 *
 * @module
 */

/** This release of k2-connect-edge. */
export const VERSION = "0.1.0";
