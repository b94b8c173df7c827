/**
 * One phone rule for the local K2 and the typed API: `+254`, `254`, `0` or nothing, then nine
 * digits, whatever the first of them. Each spelling below gets the same verdict from both (the
 * sandbox's 201 or 400 on the raw body, src/api's send or K2ValidationError), and the form src/api
 * sends is accepted by the sandbox and means the same test number.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createMerchantWallet,
  createStkPush,
  K2ValidationError,
  sendMoney,
  type K2Connection,
} from "../../src/api/index.ts";
import { K2Client } from "../../src/index.ts";
import { DEV_CLIENT } from "../../sandbox/credentials.ts";
import { outcomeFor } from "../../sandbox/outcomes.ts";
import { K2Sandbox } from "../../sandbox/server.ts";
import { capture } from "./capture.ts";
import * as fixture from "../../sandbox/samples.ts";

/** Numbers K2's docs and SDKs send (API docs, Python README, SDK validators, Flutter), and test numbers. */
const ACCEPTED = [
  "+254999999999",
  "+254911222536",
  "+254911222538",
  "+254712345678",
  "254712345678",
  "0712345678",
  "712345678",
  "+254110000001",
  "0110000001",
  "0700000001",
  "700000002",
  "254800000001",
];
/** Not a Kenyan number in any spelling: too short, too long, another country, not digits. */
const REFUSED = ["+25471234567", "+2547123456789", "+255712345678", "07123456789", "71234567", "12345", "phone", ""];

let sandbox: K2Sandbox;
let k2: K2Client;
beforeAll(async () => {
  sandbox = await new K2Sandbox({ processingDelayMs: Infinity, loopbackCallbacksOnly: true }).listen();
  k2 = new K2Client({ ...DEV_CLIENT, baseUrl: sandbox.url });
});
afterAll(() => sandbox.close());

interface Endpoint {
  name: string;
  path: string;
  /** The raw body with this phone, as an SDK would POST it. */
  body(phone: string): object;
  /** The typed call with this phone. */
  call(k2: K2Connection, phone: string): Promise<string>;
  /** Where the typed call puts the phone in what it sends. */
  sentPhone(body: any): string;
}

const ENDPOINTS: Endpoint[] = [
  {
    name: "STK push",
    path: "/api/v2/incoming_payments",
    body: (phone) => ({ ...fixture.stkPush, subscriber: { ...fixture.stkPush.subscriber, phone_number: phone } }),
    call: (k2, phone) =>
      createStkPush(k2, { ...fixture.stkPush, subscriber: { ...fixture.stkPush.subscriber, phone_number: phone } }),
    sentPhone: (body) => body.subscriber.phone_number,
  },
  {
    name: "send money to a wallet",
    path: "/api/v2/send_money",
    body: (phone) => fixture.sendMoneyTo({ ...fixture.destinations.mobile_wallet, phone_number: phone } as never),
    call: (k2, phone) =>
      sendMoney(k2, fixture.sendMoneyTo({ ...fixture.destinations.mobile_wallet, phone_number: phone } as never)),
    sentPhone: (body) => body.destinations[0].phone_number,
  },
  {
    name: "merchant wallet",
    path: "/api/v2/merchant_wallets",
    body: (phone) => ({ ...fixture.merchantWallet, phone_number: phone }),
    call: (k2, phone) => createMerchantWallet(k2, { ...fixture.merchantWallet, phone_number: phone }),
    sentPhone: (body) => body.phone_number,
  },
];

/** The sandbox's verdict on the raw body. */
async function sandboxAccepts(path: string, body: object): Promise<boolean> {
  const response = await k2.fetch(path, { method: "POST", body: JSON.stringify(body) });
  const text = await response.text();
  expect([201, 400], text).toContain(response.status);
  return response.status === 201;
}

/** src/api's verdict, and what it would send. */
async function libraryVerdict(endpoint: Endpoint, phone: string): Promise<{ accepts: boolean; sent?: any }> {
  const { k2: captured, sent } = capture();
  try {
    await endpoint.call(captured, phone);
    return { accepts: true, sent: sent() };
  } catch (error) {
    expect(error).toBeInstanceOf(K2ValidationError);
    return { accepts: false };
  }
}

describe.each(ENDPOINTS)("$name: the sandbox and src/api agree on every phone", (endpoint) => {
  it.each([...ACCEPTED.map((phone) => [phone, true] as const), ...REFUSED.map((phone) => [phone, false] as const)])(
    "%s: accepted %s",
    async (phone, accepted) => {
      const library = await libraryVerdict(endpoint, phone);
      const raw = await sandboxAccepts(endpoint.path, endpoint.body(phone));
      expect({ sandbox: raw, library: library.accepts }).toEqual({ sandbox: accepted, library: accepted });
      if (!accepted) return;
      const sentPhone = endpoint.sentPhone(library.sent);
      expect(await sandboxAccepts(endpoint.path, library.sent)).toBe(true);
      expect(sentPhone.replace(/^\+/, "")).toBe(`254${phone.slice(-9)}`);
      expect(outcomeFor(sentPhone)).toEqual(outcomeFor(phone));
    },
  );
});
