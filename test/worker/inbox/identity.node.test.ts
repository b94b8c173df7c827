/**
 * The inbox's pure parts, in Node: what an identity is made of, and the queue settings the
 * Durable Object's sweep counts on, held against wrangler.toml.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { K2Notification } from "../../../src/api/index.ts";
import { INBOX_QUEUE_NAME, QUEUE_MAX_RETRIES, retryHorizonMs } from "../../../worker/inbox/delivery.ts";
import { identityOf, statusesOf } from "../../../worker/inbox/identity.ts";

const resultOf = (payload: { data: { id: string; type: string } }) =>
  ({ kind: "result", type: payload.data.type, payload }) as unknown as K2Notification;

/** The two results of one payment link, as K2 posts them (inbox-helpers.ts has them whole, for workerd). */
const paymentLinkResult = (id: string, link: "Active" | "Paid") => ({
  data: {
    id,
    type: "payment_link",
    attributes: {
      status: "Processed",
      payment_link: link === "Active" ? { payment_link_status: "Active" } : { status: "Paid" },
    },
  },
});

describe("identityOf", () => {
  it("takes every status-like value under data.attributes, with its path, in a stable order", () => {
    expect(
      statusesOf({
        status: "Processed",
        metadata: { note: "status is a word here" },
        payment_link: { payment_link_status: "Active", link: "/links/x" },
        transfer_batches: [{ status: "Processed", disbursements: [{ status: "Pending" }, { status: null }] }],
        event: { resource: null, transactionStatus: 3 },
      }),
    ).toEqual([
      "event.transactionStatus=3",
      'payment_link.payment_link_status="Active"',
      'status="Processed"',
      'transfer_batches[0].disbursements[0].status="Pending"',
      "transfer_batches[0].disbursements[1].status=null",
      'transfer_batches[0].status="Processed"',
    ]);
    // Key order in the body does not matter.
    expect(statusesOf({ b: { status: "x" }, a: { status: "y" } })).toEqual(
      statusesOf({ a: { status: "y" }, b: { status: "x" } }),
    );
  });

  it("tells a payment link Active from Paid, though attributes.status is Processed in both", () => {
    const id = crypto.randomUUID();
    const active = identityOf(resultOf(paymentLinkResult(id, "Active")));
    const paid = identityOf(resultOf(paymentLinkResult(id, "Paid")));
    expect(active).not.toBe(paid);
    expect(identityOf(resultOf(paymentLinkResult(id, "Paid")))).toBe(paid);
  });

  it("cannot be run into by an id or a topic holding a separator", () => {
    const webhook = (topic: string, id: string) =>
      ({ kind: "unknown_webhook", topic, payload: { topic, id } }) as unknown as K2Notification;
    expect(identityOf(webhook("a\nb", "c"))).not.toBe(identityOf(webhook("a", "b\nc")));
  });

  it("walks any nesting depth without recursion", () => {
    let deep: unknown = { status: "deepest" };
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(statusesOf(deep)).toHaveLength(1);
  });
});

describe("the sweep's horizon", () => {
  it("counts the retries wrangler.toml gives the inbox queue's consumer", () => {
    const toml = readFileSync(new URL("../../../wrangler.toml", import.meta.url), "utf8");
    const consumer = toml
      .split("[[queues.consumers]]")
      .slice(1) // what comes before the first consumer (the producer names the same queue)
      .find((block) => new RegExp(`^queue = "${INBOX_QUEUE_NAME}"$`, "m").test(block));
    expect(consumer).toBeDefined();
    expect(Number(/^max_retries = (\d+)$/m.exec(consumer!)?.[1])).toBe(QUEUE_MAX_RETRIES);
    expect(retryHorizonMs(30)).toBeGreaterThan(930_000);
  });
});
