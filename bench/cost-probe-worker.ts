/**
 * A diagnostic Worker for the proxy cost benchmark (bench/sections/proxy-workerd.ts): the
 * pass-through Worker plus one piece of the proxy's request path at a time, chosen by the STEP
 * variable, using the proxy's own modules. Comparing each with the plain pass-through's CPU per
 * request attributes the proxy's added CPU to its parts. Never deployed.
 *
 * - `auth`: the caller-key check (SHA-256 of the presented key, constant-time compare).
 * - `headers`: the request header allow-list and the answer header filter (two new Headers).
 * - `log`: the one JSON log line per request (JSON.stringify + console.log) and a random request id.
 * - `client`: the upstream call through K2Client.request (token from memory, body made replayable,
 *   Accept and User-Agent set) instead of a plain fetch with a fixed token.
 * - `answer`: K2's answer read whole and checked against its Content-Length before it is passed on.
 */
import { K2Client, MemoryTokenCache } from "../src/index.js";
import { isAuthorizedCaller, keyDigest } from "../worker/caller-auth.js";
import { requestHeadersForUpstream, responseHeadersForCaller } from "../worker/forwarded-headers.js";
import { answerBody } from "../worker/upstream-answer.js";

interface Env {
  UPSTREAM_ORIGIN: string;
  UPSTREAM_AUTHORIZATION: string;
  STEP: "auth" | "headers" | "log" | "client" | "answer";
  /** For `auth`: the key callers present. For `client`: the K2 credentials. */
  PROXY_KEYS?: string;
  K2_CLIENT_ID?: string;
  K2_CLIENT_SECRET?: string;
}

let digests: Promise<ArrayBuffer[]> | undefined;
let k2: K2Client | undefined;

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const target = `${env.UPSTREAM_ORIGIN}${url.pathname}${url.search}`;
    if (env.STEP === "auth") {
      digests ??= Promise.all((env.PROXY_KEYS ?? "").split(",").map(keyDigest));
      if (!(await isAuthorizedCaller(request.headers.get("authorization"), await digests)))
        return new Response("unauthorized", { status: 401 });
    }
    if (env.STEP === "client") {
      k2 ??= new K2Client({
        clientId: env.K2_CLIENT_ID!,
        clientSecret: env.K2_CLIENT_SECRET!,
        baseUrl: env.UPSTREAM_ORIGIN,
        cache: new MemoryTokenCache(),
      });
      const { response } = await k2.request(`${url.pathname}${url.search}`, {
        method: request.method,
        headers: new Headers(request.headers),
        body: request.body,
      });
      return response;
    }
    const headers = env.STEP === "headers" ? requestHeadersForUpstream(request.headers) : new Headers(request.headers);
    headers.set("authorization", env.UPSTREAM_AUTHORIZATION);
    const upstream = await fetch(target, { method: request.method, headers, body: request.body, redirect: "manual" });
    if (env.STEP === "headers") {
      return new Response(upstream.body, {
        status: upstream.status,
        headers: responseHeadersForCaller(upstream.headers),
      });
    }
    if (env.STEP === "answer") {
      return new Response(await answerBody(upstream, request.method), upstream);
    }
    if (env.STEP === "log") {
      const started = Date.now();
      console.log(
        JSON.stringify({
          requestId: crypto.randomUUID(),
          method: request.method,
          path: url.pathname.slice(0, 200),
          status: upstream.status,
          durationMs: Date.now() - started,
          upstreamMs: Date.now() - started,
          tokenSource: "memory",
          replayed: false,
        }),
      );
    }
    return upstream;
  },
} satisfies ExportedHandler<Env>;
