/**
 * The sandbox's v1 results and webhooks have the shapes of K2's fixtures (sandbox/samples/answers.ts): a
 * disbursement's `destination_type` written as K2 writes it, the pay status's `amount.value` a JSON
 * number, and `settlement_transfer_completed` with every field of K2's event, its top-level
 * `transaction_reference` included.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createPayment,
  createSettlementTransfer,
  createWebhookSubscription,
  getPaymentStatus,
  getSettlementTransferStatus,
  parseWebhook,
} from "../../src/api/index.ts";
import { K2Client } from "../../src/index.ts";
import { DEV_API_KEY, DEV_CLIENT } from "../../sandbox/credentials.ts";
import { K2Sandbox } from "../../sandbox/server.ts";
import { startReceiver, type Receiver } from "../sandbox/support.ts";
import * as fixture from "../../sandbox/samples.ts";

let sandbox: K2Sandbox;
let k2: K2Client;
let receiver: Receiver;
beforeAll(async () => {
  sandbox = await new K2Sandbox({ processingDelayMs: Infinity, loopbackCallbacksOnly: true }).listen();
  k2 = new K2Client({ ...DEV_CLIENT, baseUrl: sandbox.url });
  receiver = await startReceiver();
});
afterAll(async () => {
  await sandbox.close();
  await receiver.close();
});

const settle = (location: string) => expect(sandbox.settle(location.split("/").at(-1)!)).toBe(true);
const firstDisbursement = (attributes: object) =>
  (attributes as { transfer_batches: { disbursements: Record<string, unknown>[] }[] }).transfer_batches[0]!
    .disbursements[0]!;

/** Each field's JSON kind, nested: what two bodies of the same shape share whatever their values. */
function kinds(value: unknown): unknown {
  if (Array.isArray(value)) return value.slice(0, 1).map(kinds);
  if (value !== null && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([key, field]) => [key, kinds(field)]));
  return value === null ? "null" : typeof value;
}

describe("v1 pay", () => {
  const expected = fixture.answers.payment.data.attributes as unknown as { amount: { value: unknown } };

  it("answers amount.value as a JSON number, in the status and the result", async () => {
    const location = await createPayment(k2, fixture.pay);
    const pending = (await getPaymentStatus(k2, location)).data.attributes;
    expect(typeof pending.amount?.value).toBe(typeof expected.amount.value);
    expect(pending.amount).toEqual({ currency: "KES", value: Number(fixture.pay.amount.value) });
    settle(location);
    const [result] = sandbox.deliveries.filter((delivery) => delivery.topic === "payment");
    expect(JSON.parse(result!.body).data.attributes.amount).toEqual(pending.amount);
  });

  it.each([
    ["mobile_wallet", firstDisbursement(fixture.answers.payment.data.attributes).destination_type],
    ["bank_account", firstDisbursement(fixture.answers.wholeBalanceTransfer.data.attributes).destination_type],
    ["till", "Till"],
    ["paybill", "Paybill"],
  ] as const)("writes a %s disbursement's destination_type as K2 does (%s)", async (type, written) => {
    const location = await createPayment(k2, { ...fixture.pay, destination_type: type });
    settle(location);
    const { attributes } = (await getPaymentStatus(k2, location)).data;
    expect(firstDisbursement(attributes).destination_type).toBe(written);
    expect(kinds(firstDisbursement(attributes))).toEqual(kinds(firstDisbursement(expected)));
  });
});

describe("v1 settlement transfers", () => {
  it.each([
    ["merchant_bank_account", "Bank Account"],
    ["merchant_wallet", "Mobile Wallet"],
  ] as const)("write a %s disbursement's destination_type as %s", async (destination_type, written) => {
    const location = await createSettlementTransfer(k2, { ...fixture.settlementTransfer, destination_type });
    settle(location);
    const { attributes } = (await getSettlementTransferStatus(k2, location)).data;
    expect(firstDisbursement(attributes).destination_type).toBe(written);
  });

  it("fire settlement_transfer_completed with every field of K2's event, transaction_reference on top", async () => {
    sandbox.reset({ state: true });
    await createWebhookSubscription(k2, {
      event_type: "settlement_transfer_completed",
      url: `${receiver.url}/k2/webhooks`,
      scope: "company",
    });
    settle(await createSettlementTransfer(k2, fixture.settlementTransfer));
    const [received] = await receiver.until(1);
    const notification = await parseWebhook(
      received!.body,
      received!.headers["x-kopokopo-signature"] as string,
      DEV_API_KEY,
    );
    expect(notification.kind === "webhook" && notification.topic).toBe("settlement_transfer_completed");
    const resource = JSON.parse(received!.body).event.resource;
    expect(resource.transaction_reference).toEqual(expect.any(String));
    expect(resource.transaction_reference).toBe(resource.disbursements[0].transaction_reference);
    const shape = kinds(fixture.settlementTransferCompleted) as Record<string, unknown>;
    expect(kinds(resource)).toMatchObject(shape);
  });
});
