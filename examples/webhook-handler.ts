// A webhook receiver: K2 POSTs events (a payment received, an STK push's result) to your URL, signed
// with your API key in X-KopoKopo-Signature. This checks the signature over the raw bytes, then
// reads the event. It is a plain fetch handler, (request: Request) => Promise<Response>, so it
// runs as it is on Workers, Deno and Bun:
//
//   Workers: export default { fetch: (request, env) => createWebhookHandler(env.K2_API_KEY)(request) };
//   Deno:    Deno.serve(createWebhookHandler(Deno.env.get("K2_API_KEY")!));
//   Bun:     Bun.serve({ fetch: createWebhookHandler(Bun.env.K2_API_KEY!) });
import { K2WebhookError, parseWebhook } from "k2-connect-edge/api";

export function createWebhookHandler(apiKey: string): (request: Request) => Promise<Response> {
  return async (request) => {
    // Verify the bytes exactly as they arrived: parsed and re-serialised JSON would not match.
    const body = await request.arrayBuffer();
    let notification;
    try {
      notification = await parseWebhook(body, request.headers.get("x-kopokopo-signature"), apiKey);
    } catch (error) {
      if (!(error instanceof K2WebhookError)) throw error;
      // 401: a bad or missing signature (not from K2, or not with your API key). 400: signed, but
      // not a webhook this version can read.
      return new Response(null, { status: error.reason === "signature" ? 401 : 400 });
    }

    // K2 may deliver the same event twice, in any order: deduplicate on its id.
    if (notification.kind === "webhook" && notification.topic === "buygoods_transaction_received") {
      const { id, event } = notification.payload;
      console.log(`Payment received: ${id}, ${event.resource.currency} ${event.resource.amount}`);
    } else if (notification.kind === "result" && notification.type === "incoming_payment") {
      console.log(`STK push result: ${notification.payload.data.attributes.status}`);
    } else {
      console.log(`Other notification: ${notification.kind}`);
    }
    return new Response("ok", { status: 200 });
  };
}
