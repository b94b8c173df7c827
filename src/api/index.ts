/**
 * k2-connect-edge/api: one typed, validated call per K2 Connect resource, and typed webhooks.
 * Imported separately so that `import { K2Client } from "k2-connect-edge"` stays small.
 *
 * @module
 */
export {};
