/**
 * The local development credentials, in one place: what the sandbox accepts and what `npm start`,
 * the demo, the examples, the benchmarks and the tests use against it. None of them works on K2.
 * No Node imports here: code inside workerd reads them too.
 */

/** An application's credentials as the sandbox knows them. */
export interface SandboxClient {
  clientId: string;
  clientSecret: string;
}

/** The application the sandbox knows by default. */
export const DEV_CLIENT: SandboxClient = Object.freeze({
  clientId: "sandbox-client-id",
  clientSecret: "sandbox-client-secret",
});

/** The API key the sandbox's application signs webhooks and results with. */
export const DEV_API_KEY = "sandbox-api-key";

/** The caller key `npm start` gives the proxy Worker when it runs against the sandbox. */
export const DEV_PROXY_KEY = "k2-edge-local-dev-key";

/**
 * The scoped caller key `npm start` gives the proxy Worker against the sandbox, for the checkout
 * page in examples/: it may start STK pushes on the sandbox's till and read them back, nothing else
 * (scripts/dev-keys.ts holds its policy). A key a browser page carries, as a publishable key is; the
 * Worker is told only its SHA-256 digest.
 */
export const DEV_CHECKOUT_KEY = "k2-edge-local-checkout-key";
