/** Caller keys configured for the Worker under test: two, as during a key rotation. */
export const TEST_PROXY_KEYS = ["test-proxy-key-current-0001", "test-proxy-key-previous-002"] as const;
