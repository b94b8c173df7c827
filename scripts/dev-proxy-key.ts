/** The caller key `npm start` configures when it runs against the embedded K2 sandbox. */
export const DEV_PROXY_KEY = "k2-edge-local-dev-key";
