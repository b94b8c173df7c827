// A Cloudflare Worker that starts an STK push: POST /pay with {"phone_number": "+254712345678", "amount": "20"}.
// The client is created once per isolate, so its token stays in memory between requests, and
// KvTokenCache shares that token with every other isolate through Workers KV.
//
// Locally, put K2_BASE_URL, K2_CLIENT_ID and K2_CLIENT_SECRET in examples/.dev.vars (KEY=value lines,
// git-ignored; never `--var`, which puts the secret on a command line any local user can read), then:
//
//   npx wrangler dev -c examples/wrangler.toml
//   curl -si -X POST http://localhost:8787/pay -d '{"phone_number":"+254712345678","amount":"20"}'
//
// Deployed, the credentials are secrets: `npx wrangler secret put K2_CLIENT_ID`, then K2_CLIENT_SECRET.
import { K2Client, KvTokenCache, readK2Error } from "k2-connect-edge";

interface Env {
  K2_CLIENT_ID: string;
  K2_CLIENT_SECRET: string;
  /** Another K2 origin, such as the local sandbox; without it, Kopo Kopo's sandbox. */
  K2_BASE_URL?: string;
  /** Where K2 posts results; without it, npm start's inbox against a local K2, else an example URL. */
  K2_CALLBACK_URL?: string;
  TOKEN_CACHE: KVNamespace;
}

let k2: K2Client | undefined;

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    k2 ??= new K2Client({
      clientId: env.K2_CLIENT_ID,
      clientSecret: env.K2_CLIENT_SECRET,
      baseUrl: env.K2_BASE_URL,
      cache: new KvTokenCache(env.TOKEN_CACHE), // shared between isolates; expires with the token
    });
    if (request.method !== "POST" || new URL(request.url).pathname !== "/pay") {
      return new Response("Not found", { status: 404 });
    }
    const { phone_number, amount } = await request.json<{ phone_number: string; amount: string }>();
    const response = await k2.fetch("/api/v2/incoming_payments", {
      method: "POST",
      body: JSON.stringify({
        payment_channel: "M-PESA STK Push",
        till_number: "K000000",
        subscriber: { phone_number },
        amount: { currency: "KES", value: amount },
        _links: {
          callback_url:
            env.K2_CALLBACK_URL ??
            (env.K2_BASE_URL ? "http://127.0.0.1:8787/k2/callbacks" : "https://example.com/k2/result"),
        },
      }),
    });
    if (!response.ok) {
      const error = await readK2Error(response); // a K2ApiError with K2's messages
      return Response.json({ error: error.message }, { status: 502 });
    }
    // 202: the customer now has a prompt on their phone; the result comes to the callback URL.
    return Response.json({ location: response.headers.get("location") }, { status: 202 });
  },
} satisfies ExportedHandler<Env>;
