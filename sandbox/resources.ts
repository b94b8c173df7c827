/**
 * What the K2 sandbox answers about created resources, per `data.type`, after K2's documented
 * status and result attributes: the request echoed back (as the sandbox always did), with the
 * fields K2 adds for each type, the `webhook_uri` naming of subscriptions, and payment link cancels.
 */

/** A resource as the sandbox stores it. */
export interface SandboxResource {
  id: string;
  type: string;
  version: string;
  body: unknown;
}

interface ResourceState {
  createdAt: string;
  /** Set by an action (a cancelled payment link). */
  status?: string;
}

const states = new WeakMap<SandboxResource, ResourceState>();

function stateOf(stored: SandboxResource): ResourceState {
  let state = states.get(stored);
  if (!state) {
    state = { createdAt: new Date().toISOString() };
    states.set(stored, state);
  }
  return state;
}

/** The status attributes of `stored`, read at `self` (the URL the status was asked at). */
export function statusAttributes(stored: SandboxResource, self: string): Record<string, unknown> {
  const request = stored.body as Record<string, any>;
  const state = stateOf(stored);
  const common = { ...request, status: state.status ?? "Pending", created_at: state.createdAt };
  const links = { ...request._links, self };
  switch (stored.type) {
    case "incoming_payment":
      return {
        ...common,
        initiation_time: state.createdAt,
        event: { type: "Incoming Payment Request", resource: null, errors: null },
        metadata: request.metadata ?? null,
        _links: links,
      };
    case "payment":
    case "settlement_transfer":
      return { ...common, transfer_batches: [], metadata: request.metadata ?? null, _links: links };
    case "send_money":
      return {
        ...common,
        status: state.status ?? "Scheduled",
        source_identifier: request.source_identifier ?? null,
        destinations: request.destinations ?? [],
        transfer_batches: [],
        errors: [],
        metadata: request.metadata ?? null,
        _links: links,
      };
    case "polling":
      return { ...common, transactions: [], _links: links };
    case "payment_link":
      return {
        ...common,
        status: state.status ?? "Active",
        till_name: "Sandbox Till",
        payment_link: `https://sandbox.kopokopo.com/payment_links/${stored.id}`,
        metadata: request.metadata ?? null,
        _links: links,
      };
    case "reversal":
    case "transaction_sms_notification":
      return { ...common, _links: links };
    case "webhook_subscription": {
      // K2 answers the subscribed URL as `webhook_uri`.
      const { url, ...rest } = request;
      return { ...rest, webhook_uri: url, status: state.status ?? "Active", created_at: state.createdAt };
    }
    default:
      return common;
  }
}

/** `POST {location}/<action>`: only a payment link's `cancel` exists. */
export function resourceAction(stored: SandboxResource, action: string): { status: number; body: unknown } {
  if (stored.type !== "payment_link" || action !== "cancel")
    return { status: 404, body: { error_code: 404, error_message: "Not found" } };
  const state = stateOf(stored);
  if (state.status === "Cancelled")
    return { status: 400, body: { error_code: 400, error_message: "Payment link is already cancelled" } };
  state.status = "Cancelled";
  return { status: 200, body: { message: "Payment link cancelled successfully" } };
}
