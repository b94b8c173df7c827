/** Caller keys configured for the Worker under test: two, as during a key rotation. */
export const TEST_PROXY_KEYS = ["test-proxy-key-current-0001", "test-proxy-key-previous-002"] as const;

/** The FORWARD_SECRET of the Worker under test: the key of the signature on forwarded events. */
export const FORWARD_TEST_SECRET = "test-forward-secret-0001";
