/**
 * The payment ledger (worker/ledger/), inside workerd with the real Durable Objects against the K2
 * sandbox: every payment sent through the proxy is recorded once, settled by K2's callback or, when
 * it never comes, by a status read in a reconciliation pass, and the backend's inbox gets one final
 * event for it whichever came first.
 */
import { runInDurableObject } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { sha256Hex } from "../../../worker/common/sha256.ts";
import { ledgerOf } from "../../../worker/ledger/client.ts";
import type { PaymentLedger } from "../../../worker/ledger/object.ts";
import { emptyTokenCache, isolate, KEY, proxyRequest, stkPush } from "../support/harness.ts";
import { callback, emptyInbox, keepOnlyEnv } from "../support/inbox-helpers.ts";
import { upstream } from "../support/sandbox-control.ts";

const STK = "/api/v2/incoming_payments";
// Due for a status read as soon as it is created: the tests run passes themselves.
const env = { ...keepOnlyEnv, RECONCILE_AFTER_SECONDS: "0" };

const push = (phone: string, key: string = KEY, idempotencyKey?: string) =>
  proxyRequest(STK, {
    method: "POST",
    key,
    headers: {
      "content-type": "application/json",
      ...(idempotencyKey ? { "idempotency-key": idempotencyKey } : {}),
    },
    body: JSON.stringify({ ...stkPush, subscriber: { ...stkPush.subscriber, phone_number: phone } }),
  });

async function created(phone: string, key: string = KEY): Promise<string> {
  const response = await isolate().proxy(push(phone, key), env);
  expect(response.status).toBe(201);
  return new URL(response.headers.get("location")!).pathname.split("/").at(-1)!;
}

const read = async (path: string, key: string = KEY) =>
  (await isolate().proxy(proxyRequest(path, { key }), env)).json<any>();
const events = async () => (await read("/k2/events?limit=500")).events as any[];
/** Posts K2's result of the payment to the inbox, signed as K2 signs it: its status, as K2 would post it. */
async function deliverResult(id: string): Promise<Response> {
  const status = await (await isolate().proxy(proxyRequest(`${STK}/${id}`), env)).text();
  return isolate().proxy(await callback(status), env);
}

async function emptyLedger() {
  const ledger = (await ledgerOf(env))!;
  await runInDurableObject(ledger, (_: PaymentLedger, state) => {
    state.storage.sql.exec("DELETE FROM payments");
    state.storage.sql.exec("DELETE FROM payment_events");
  });
}

beforeEach(async () => {
  await upstream.reset();
  await emptyTokenCache();
  await emptyInbox();
  await emptyLedger();
});

describe("recording", () => {
  it("lists a payment once, pending, newest first, with its amount, masked phone and key id", async () => {
    const first = await created("+254712345678");
    const second = await created("0712999888");
    const { payments, next } = await read("/payments?state=pending");
    expect(payments.map((payment: any) => payment.id)).toEqual([second, first]);
    expect(payments[1]).toMatchObject({
      type: "incoming_payment",
      state: "pending",
      amount: { currency: "KES", value: stkPush.amount.value },
      phone: "+2547•••••678",
      settled_by: null,
    });
    expect(payments[1].location).toMatch(new RegExp(`${STK}/${first}$`));
    expect(JSON.stringify(payments)).not.toContain("712345678");
    expect(next).toBeNull();
  });

  it("a keyed POST replayed is one payment", async () => {
    const { proxy } = isolate();
    for (let i = 0; i < 3; i++)
      expect((await proxy(push("+254712345678", KEY, "order-ledger-1"), env)).status).toBe(201);
    expect((await read("/payments")).payments).toHaveLength(1);
  });

  it("pages newest first with a cursor, every payment once", async () => {
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await created("+254712345678"));
    const seen: string[] = [];
    let after = "";
    for (;;) {
      const page = await read(`/payments?limit=2${after ? `&after=${after}` : ""}`);
      seen.push(...page.payments.map((payment: any) => payment.id));
      if (!page.next) break;
      after = page.next;
    }
    expect(seen).toEqual(ids.reverse());
  });
});

describe("settled by K2's callback", () => {
  it("a result stored by the inbox settles its payment at once, naming the event", async () => {
    const id = await created("+254712345678");
    await upstream.settle(id);
    // K2's result, as it posts it to the inbox (the sandbox's own goes to the callback URL of the request).
    await deliverResult(id);
    const [result] = (await events()).filter((event) => event.kind === "result");
    expect(result.payload.data.id).toBe(id);
    const payment = await read(`/payments/${id}`);
    expect(payment).toMatchObject({ state: "success", settled_by: "callback", events: [result.id] });
  });
});

describe("settled by status when the callback never comes", () => {
  for (const [phone, state] of [
    ["+254700000007", "success"],
    ["+254700000008", "failed"],
  ] as const) {
    it(`${phone}: a pass reads K2's status, settles it ${state}, and keeps it as a reconciled event`, async () => {
      const id = await created(phone);
      await upstream.settle(id);
      expect((await events()).filter((event) => event.kind === "result")).toEqual([]);

      const report = await isolate().reconcile(env);
      expect(report).toMatchObject({ read: 1, settled: 1 });
      const reconciled = (await events()).filter((event) => event.kind === "reconciled");
      expect(reconciled).toHaveLength(1);
      expect(reconciled[0].payload.data.id).toBe(id);
      expect(await read(`/payments/${id}`)).toMatchObject({ state, settled_by: "status", events: [reconciled[0].id] });
    });
  }

  it("a callback and a status read racing, either order, leave one final state and one event", async () => {
    // Status first, then K2's late callback of the same state: a duplicate, nothing changes.
    const late = await created("+254700000007");
    await upstream.settle(late);
    await isolate().reconcile(env);
    expect(await (await deliverResult(late)).json()).toMatchObject({ status: "duplicate" });

    // Callback first, then a pass: the payment is final, the pass reads nothing and changes nothing.
    const early = await created("+254712345678");
    await upstream.settle(early);
    await deliverResult(early);
    expect(await isolate().reconcile(env)).toMatchObject({ read: 0 });

    for (const id of [late, early]) {
      const about = (await events()).filter((event) => event.payload?.data?.id === id);
      expect(about, id).toHaveLength(1);
      expect((await read(`/payments/${id}`)).state).toBe("success");
    }
    expect((await read(`/payments/${early}`)).settled_by).toBe("callback");
    expect((await read(`/payments/${late}`)).settled_by).toBe("status");
  });

  it("a pass while K2 cannot be reached changes nothing but when the next read is due", async () => {
    const id = await created("+254700000007");
    await upstream.settle(id);
    const ledger = (await ledgerOf(env))!;
    const before = (await ledger.get(id))!.payment;
    const report = await isolate().reconcile({ ...env, K2_BASE_URL: "http://127.0.0.1:1" });
    expect(report).toMatchObject({ read: 1, unreadable: 1, settled: 0 });
    const after = (await ledger.get(id))!.payment;
    expect(after).toMatchObject({ state: "pending", settled_by: null, checks: before.checks + 1 });
    expect(after.next_check_at).toBeGreaterThan(Date.now());
    expect(await events()).toEqual([]);
  });

  it("1,000 pending payments are worked through in bounded passes, each read once", { timeout: 120_000 }, async () => {
    const ledger = (await ledgerOf(env))!;
    // Payments K2 has no record of: every read is answered 404, so none settles and each is read once.
    await runInDurableObject(ledger, (object: PaymentLedger) => {
      for (let i = 0; i < 1000; i++) {
        const id = `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`;
        const location = `https://proxy.example${STK}/${id}`;
        object.record(
          {
            id,
            type: "incoming_payment",
            currency: "KES",
            amount: "10",
            location,
            keyId: null,
            idempotencyKey: null,
            phone: null,
          },
          0,
        );
      }
    });
    const { reconcile } = isolate();
    const batch = { ...env, RECONCILE_BATCH: "100" };
    const reads: number[] = [];
    for (let pass = 0; pass < 12; pass++) reads.push((await reconcile(batch)).read);
    expect(reads).toEqual([...Array(10).fill(100), 0, 0]);
    const counts = await runInDurableObject(ledger, (_: PaymentLedger, state) =>
      state.storage.sql
        .exec<{ checks: number; n: number }>("SELECT checks, COUNT(*) AS n FROM payments GROUP BY checks")
        .toArray(),
    );
    expect(counts).toEqual([{ checks: 1, n: 1000 }]);
  });

  it("after RECONCILE_GIVE_UP_HOURS a payment becomes unknown, with one event saying so", async () => {
    const id = await created("+254700000007");
    const ledger = (await ledgerOf(env))!;
    await runInDurableObject(ledger, (_: PaymentLedger, state) => {
      state.storage.sql.exec("UPDATE payments SET created_at = ? WHERE id = ?", Date.now() - 25 * 3_600_000, id);
    });
    expect(await isolate().reconcile(env)).toMatchObject({ gaveUp: 1 });
    expect(await isolate().reconcile(env)).toMatchObject({ gaveUp: 0, read: 0 });
    const unreconciled = (await events()).filter((event) => event.kind === "unreconciled");
    expect(unreconciled).toHaveLength(1);
    expect(unreconciled[0].payload.payment).toMatchObject({ id, state: "unknown" });
    expect(await read(`/payments/${id}`)).toMatchObject({ state: "unknown", events: [unreconciled[0].id] });
  });
});

describe("reads", () => {
  it("need payments:read, and a scoped key sees only the payments it created", async () => {
    const shopKey = "shop-key-for-the-ledger-0001";
    const tillKey = "till-key-without-payments-02";
    const policies = [
      { id: "shop", sha256: await sha256Hex(shopKey), allow: ["incoming_payments:write", "payments:read"] },
      { id: "till", sha256: await sha256Hex(tillKey), allow: ["incoming_payments:write"] },
    ];
    const scopedEnv = { ...env, PROXY_KEY_POLICIES: JSON.stringify(policies) };
    const { proxy } = isolate();
    expect((await proxy(push("+254712345678", shopKey), scopedEnv)).status).toBe(201);
    expect((await proxy(push("+254712345678", tillKey), scopedEnv)).status).toBe(201);

    const mine = await (await proxy(proxyRequest("/payments", { key: shopKey }), scopedEnv)).json<any>();
    expect(mine.payments.map((payment: any) => payment.key_id)).toEqual(["shop"]);
    expect((await proxy(proxyRequest("/payments", { key: tillKey }), scopedEnv)).status).toBe(403);
    const all = await (await proxy(proxyRequest("/payments", { key: KEY }), scopedEnv)).json<any>();
    expect(all.payments).toHaveLength(2);
    const theirs = all.payments.find((payment: any) => payment.key_id === "till");
    expect((await proxy(proxyRequest(`/payments/${theirs.id}`, { key: shopKey }), scopedEnv)).status).toBe(404);
  });
});
