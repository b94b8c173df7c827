/**
 * A K2Connection that records every request and answers like K2 without a network: a create gets
 * `201` with a `Location`, a cancel K2's message, a status read the JSON given to `answer`.
 */
import type { K2Connection } from "../../src/api/index.ts";

export interface Captured {
  method: string;
  url: string;
  headers: Record<string, string>;
  /** The body exactly as sent (`undefined` for none). */
  body: string | undefined;
}

export interface Capture {
  k2: K2Connection;
  requests: Captured[];
  /** The JSON every status read answers from now on. */
  answer(body: unknown): void;
  /** The one body sent, parsed. */
  sent(): unknown;
}

export const ORIGIN = "https://sandbox.kopokopo.com";

export function capture(): Capture {
  const requests: Captured[] = [];
  let status: unknown = {};
  const k2: K2Connection = {
    baseUrl: ORIGIN,
    fetch: async (url, init) => {
      const body = typeof init.body === "string" ? init.body : undefined;
      requests.push({
        method: init.method ?? "GET",
        url,
        headers: Object.fromEntries(new Headers(init.headers)),
        body,
      });
      const json = { "content-type": "application/json" };
      if (init.method === "GET") return new Response(JSON.stringify(status), { status: 200, headers: json });
      if (url.endsWith("/cancel")) {
        return new Response(JSON.stringify({ message: "Payment link cancelled." }), { status: 200, headers: json });
      }
      return new Response(null, { status: 201, headers: { location: `${url}/2f5d7a8c-0000-4000-8000-000000000001` } });
    },
  };
  return {
    k2,
    requests,
    answer: (body) => {
      status = body;
    },
    sent: () => {
      if (requests.length !== 1) throw new Error(`${requests.length} requests were sent, not 1`);
      return JSON.parse(requests[0]!.body!);
    },
  };
}
