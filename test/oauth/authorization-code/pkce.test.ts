import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { codeChallenge, generateCodeVerifier, generateState } from "../../../src/oauth/authorization-code/pkce.ts";

const UNRESERVED = /^[A-Za-z0-9\-._~]+$/;

describe("PKCE (RFC 7636)", () => {
  it("derives the S256 challenge of RFC 7636 appendix B", async () => {
    expect(await codeChallenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")).toBe(
      "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
    );
    expect(await codeChallenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", "S256")).toBe(
      "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
    );
  });

  it("matches Node's SHA-256 for many verifiers (base64url without padding)", async () => {
    for (let i = 0; i < 200; i++) {
      const verifier = generateCodeVerifier();
      expect(await codeChallenge(verifier)).toBe(createHash("sha256").update(verifier).digest("base64url"));
    }
  });

  it("returns the verifier itself for plain", async () => {
    expect(await codeChallenge("abc-verifier", "plain")).toBe("abc-verifier");
  });

  it("makes 43-character verifiers of unreserved characters carrying 256 random bits", () => {
    const verifiers = Array.from({ length: 1000 }, () => generateCodeVerifier());
    for (const verifier of verifiers) {
      expect(verifier).toHaveLength(43);
      expect(verifier).toMatch(UNRESERVED);
      expect(Buffer.from(verifier, "base64url")).toHaveLength(32);
    }
    expect(new Set(verifiers).size).toBe(1000);
  });

  it("makes states of at least 128 random bits, never repeated", () => {
    const states = Array.from({ length: 1000 }, () => generateState());
    for (const state of states) {
      expect(Buffer.from(state, "base64url").length * 8).toBeGreaterThanOrEqual(128);
      expect(state).toMatch(/^[A-Za-z0-9_-]+$/);
    }
    expect(new Set(states).size).toBe(1000);
    // Every bit position varies across the sample: the bytes come from a random source, not a counter.
    const bytes = states.map((s) => new Uint8Array(Buffer.from(s, "base64url")));
    const ored = bytes.reduce((acc, next) => acc.map((b, i) => b | next[i]!));
    const anded = bytes.reduce((acc, next) => acc.map((b, i) => b & next[i]!));
    expect([...ored].every((b) => b === 0xff)).toBe(true);
    expect([...anded].every((b) => b === 0)).toBe(true);
  });
});
