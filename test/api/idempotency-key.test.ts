/**
 * The typed calls' `idempotencyKey`: sent as `Idempotency-Key` on the POST of a create or an action,
 * checked first (1 to 255 visible ASCII characters), ignored by status reads.
 */
import { describe, expect, it } from "vitest";
import {
  cancelPaymentLink,
  createStkPush,
  getStkPushStatus,
  K2ValidationError,
  type StkPushRequest,
} from "../../src/api/index.ts";
import { SAMPLE_STK_PUSH } from "../../sandbox/samples.ts";
import { capture, ORIGIN } from "./capture.ts";

const request = SAMPLE_STK_PUSH as StkPushRequest;

describe("idempotencyKey", () => {
  it("is sent as Idempotency-Key on a create", async () => {
    const { k2, requests } = capture();
    await createStkPush(k2, request, { idempotencyKey: "order-42" });
    expect(requests[0]!.headers["idempotency-key"]).toBe("order-42");
    expect(requests[0]!.headers["content-type"]).toBe("application/json");
  });

  it("is sent on an action's POST", async () => {
    const { k2, requests } = capture();
    await cancelPaymentLink(k2, `${ORIGIN}/api/v2/payment_links/pl-1`, { idempotencyKey: "cancel-pl-1" });
    expect(requests[0]!.headers["idempotency-key"]).toBe("cancel-pl-1");
  });

  it("is not sent when not given", async () => {
    const { k2, requests } = capture();
    await createStkPush(k2, request);
    expect(requests[0]!.headers["idempotency-key"]).toBeUndefined();
  });

  it("is ignored by a status read", async () => {
    const { k2, requests, answer } = capture();
    answer({ data: { id: "1", type: "incoming_payment", attributes: {} } });
    await getStkPushStatus(k2, "1", { idempotencyKey: "order-42" });
    expect(requests[0]!.headers["idempotency-key"]).toBeUndefined();
  });

  it("accepts 255 visible ASCII characters", async () => {
    const { k2, requests } = capture();
    const key = "!~".repeat(127) + "k";
    await createStkPush(k2, request, { idempotencyKey: key });
    expect(requests[0]!.headers["idempotency-key"]).toBe(key);
  });

  it.each([
    ["empty", ""],
    ["with a space", "order 42"],
    ["of 256 characters", "k".repeat(256)],
    ["non-ASCII", "commande-\u00e9"],
    ["with a newline", "order\n42"],
    ["not a string", 42 as unknown as string],
  ])("%s: a K2ValidationError naming idempotencyKey, and nothing is sent", async (_label, idempotencyKey) => {
    const { k2, requests } = capture();
    const error = await createStkPush(k2, request, { idempotencyKey }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(K2ValidationError);
    expect((error as K2ValidationError).problems).toEqual([
      { path: "idempotencyKey", message: expect.stringContaining("1 to 255 visible ASCII") },
    ]);
    expect(requests).toEqual([]);
  });
});
