/**
 * The comparison Worker for the proxy benchmark: the least a proxy can do. It forwards every
 * request to the upstream origin with one fixed header added (the upstream's bearer token, so the
 * K2 sandbox answers it exactly as it answers the real proxy) and passes the answer back. No
 * authentication, checks, token cache, body limit or log line.
 */
interface Env {
  /** The upstream origin, e.g. `http://127.0.0.1:9999`. */
  UPSTREAM_ORIGIN: string;
  /** The fixed `Authorization` value sent upstream. */
  UPSTREAM_AUTHORIZATION: string;
}

export default {
  fetch(request, env) {
    const url = new URL(request.url);
    const headers = new Headers(request.headers);
    headers.set("authorization", env.UPSTREAM_AUTHORIZATION);
    return fetch(`${env.UPSTREAM_ORIGIN}${url.pathname}${url.search}`, {
      method: request.method,
      headers,
      body: request.body,
      redirect: "manual",
    });
  },
} satisfies ExportedHandler<Env>;
