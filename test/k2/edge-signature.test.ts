/**
 * The edge's forward signature: what a backend checks instead of holding K2's API key. A Node
 * HMAC, written apart from the package's WebCrypto one, is the reference.
 */
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { InvalidInputError, signEdgeEvent, verifyEdgeSignature } from "../../src/index.ts";

const SECRET = "forward-secret-0123456789";
const NOW = Date.UTC(2026, 11, 1, 12, 0, 0);
const body = JSON.stringify({ id: "evt-1", kind: "result", payload: { note: "é 中 😀" } });
const reference = (t: number, text: string, secret = SECRET) =>
  `t=${t},v1=${createHmac("sha256", secret).update(`${t}.${text}`).digest("hex")}`;

describe("X-K2-Edge-Signature", () => {
  it("is t=<unix seconds>,v1=<hex HMAC-SHA256 of t.body>", async () => {
    expect(await signEdgeEvent(body, SECRET, NOW)).toBe(reference(NOW / 1000, body));
  });

  it("verifies over the raw bytes, as string, ArrayBuffer or Uint8Array", async () => {
    const header = reference(NOW / 1000, body);
    const bytes = new TextEncoder().encode(body);
    for (const raw of [body, bytes.buffer, bytes, new Uint8Array([0, ...bytes]).subarray(1)]) {
      expect(await verifyEdgeSignature(raw, header, SECRET, { now: NOW })).toBe(true);
    }
  });

  it("refuses a tampered body, another secret, an old or future time, and malformed headers", async () => {
    const header = await signEdgeEvent(body, SECRET, NOW);
    expect(await verifyEdgeSignature(body.replace("evt-1", "evt-2"), header, SECRET, { now: NOW })).toBe(false);
    expect(await verifyEdgeSignature(body, header, "another-secret-0123456789", { now: NOW })).toBe(false);
    expect(await verifyEdgeSignature(body, header, SECRET, { now: NOW + 301_000 })).toBe(false);
    expect(await verifyEdgeSignature(body, header, SECRET, { now: NOW - 301_000 })).toBe(false);
    expect(await verifyEdgeSignature(body, header, SECRET, { now: NOW + 3_600_000, toleranceSeconds: 7200 })).toBe(
      true,
    );
    for (const bad of [
      null,
      undefined,
      "",
      "v1=abc",
      `t=${NOW / 1000}`,
      `t=soon,v1=${"0".repeat(64)}`,
      header.slice(0, -1),
    ]) {
      expect(await verifyEdgeSignature(body, bad, SECRET, { now: NOW })).toBe(false);
    }
  });

  it("accepts any of several v1 values, as during a secret rotation", async () => {
    const t = NOW / 1000;
    const old = reference(t, body, "old-secret-0123456789").split(",")[1];
    const header = `${reference(t, body)},${old}`;
    expect(await verifyEdgeSignature(body, header, "old-secret-0123456789", { now: NOW })).toBe(true);
    expect(await verifyEdgeSignature(body, header, SECRET, { now: NOW })).toBe(true);
  });

  it("rejects, not throws, without a secret", async () => {
    await expect(signEdgeEvent(body, "")).rejects.toBeInstanceOf(InvalidInputError);
    await expect(verifyEdgeSignature(body, "t=1,v1=x", "")).rejects.toBeInstanceOf(InvalidInputError);
  });
});
