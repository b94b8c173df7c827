import { describe, expect, it } from "vitest";
import {
  InvalidInputError,
  MemoryTokenCache,
  OAuth2Client,
  OAuth2Error,
  RefreshingTokenSource,
  type TokenRefresher,
  type TokenSet,
} from "../../src/index.ts";

const T0 = 1_800_000_000_000;

function tokenSet(
  accessToken: string,
  refreshToken: string | undefined,
  expiresAt?: number,
  expiresIn = 3600,
): TokenSet {
  const token: Record<string, unknown> = { accessToken, tokenType: "Bearer", raw: {} };
  if (refreshToken) token.refreshToken = refreshToken;
  if (expiresAt !== undefined) Object.assign(token, { expiresAt, expiresIn });
  return Object.freeze(token) as unknown as TokenSet;
}

/** A refresher that rotates: each refresh answers a new access and refresh token, valid an hour. */
function rotatingServer(clock: { now: number }, options: { delayMs?: number; fail?: () => Error | undefined } = {}) {
  const calls: string[] = [];
  let n = 0;
  const client: TokenRefresher = {
    async refreshToken(token) {
      calls.push(token.refreshToken!);
      await new Promise((resolve) => setTimeout(resolve, options.delayMs ?? 5));
      const failure = options.fail?.();
      if (failure) throw failure;
      n++;
      return tokenSet(`at-${n}`, `rt-${n}`, clock.now + 3_600_000);
    },
  };
  return { client, calls };
}

describe("RefreshingTokenSource", () => {
  it("hands out the stored token while fresh, then refreshes it early and reports the new set", async () => {
    const clock = { now: T0 };
    const { client, calls } = rotatingServer(clock);
    const reported: TokenSet[] = [];
    const stored = tokenSet("at-0", "rt-0", T0 + 3_600_000);
    const tokens = new RefreshingTokenSource({
      client,
      token: stored,
      now: () => clock.now,
      onTokens: (t) => void reported.push(t),
    });

    expect(await tokens.getAccessToken()).toBe("at-0");
    clock.now = T0 + 3_600_000 - 61_000; // just outside the 60 s margin
    expect(await tokens.getAccessToken()).toBe("at-0");
    expect(calls).toEqual([]);

    clock.now = T0 + 3_600_000 - 59_000; // inside it
    expect(await tokens.getAccessToken()).toBe("at-1");
    expect(calls).toEqual(["rt-0"]);
    expect(reported.map((t) => t.refreshToken)).toEqual(["rt-1"]);
    expect(tokens.tokenSet.refreshToken).toBe("rt-1");

    // The next refresh uses the rotated refresh token.
    clock.now += 3_600_000;
    expect(await tokens.getAccessToken()).toBe("at-2");
    expect(calls).toEqual(["rt-0", "rt-1"]);
  });

  it("refreshes once for 100 concurrent callers", async () => {
    const clock = { now: T0 };
    const { client, calls } = rotatingServer(clock, { delayMs: 20 });
    const reported: TokenSet[] = [];
    const tokens = new RefreshingTokenSource({
      client,
      token: tokenSet("at-0", "rt-0", T0 - 1),
      now: () => clock.now,
      onTokens: (t) => void reported.push(t),
    });

    const all = await Promise.all(Array.from({ length: 100 }, () => tokens.getAccessToken()));
    expect(new Set(all)).toEqual(new Set(["at-1"]));
    expect(calls).toHaveLength(1);
    expect(reported).toHaveLength(1);
  });

  it("renews a short-lived token at half its life, with a configurable skew", async () => {
    const clock = { now: T0 };
    const { client, calls } = rotatingServer(clock);
    const short = new RefreshingTokenSource({
      client,
      token: tokenSet("at-0", "rt-0", T0 + 60_000, 60),
      now: () => clock.now,
    });
    clock.now = T0 + 29_000;
    expect(await short.getAccessToken()).toBe("at-0");
    clock.now = T0 + 31_000;
    expect(await short.getAccessToken()).toBe("at-1");
    expect(calls).toHaveLength(1);

    const skewed = new RefreshingTokenSource({
      client,
      token: tokenSet("x", "rt-x", T0 + 3_600_000),
      now: () => clock.now,
      expirySkewSeconds: 600,
    });
    clock.now = T0 + 3_000_000 - 1;
    expect(await skewed.getAccessToken()).toBe("x");
    clock.now = T0 + 3_000_001;
    expect(await skewed.getAccessToken()).toBe("at-2");
  });

  it("keeps the old refresh token when the server's answer has none (through OAuth2Client)", async () => {
    const answers = [
      { access_token: "new-at", expires_in: 3600 },
      { access_token: "newer-at", expires_in: 3600 },
    ];
    const sentRefreshTokens: string[] = [];
    const oauth = new OAuth2Client({
      clientId: "app",
      tokenEndpoint: "https://auth.example.test/token",
      now: () => clock.now,
      fetch: async (_url, init) => {
        sentRefreshTokens.push(new URLSearchParams(String(init?.body)).get("refresh_token")!);
        return Response.json(answers.shift());
      },
    });
    const clock = { now: T0 };
    const reported: TokenSet[] = [];
    const tokens = new RefreshingTokenSource({
      client: oauth,
      token: tokenSet("at-0", "rt-keep", T0),
      now: () => clock.now,
      onTokens: (t) => void reported.push(t),
    });

    expect(await tokens.getAccessToken()).toBe("new-at");
    expect(reported[0]).toMatchObject({ accessToken: "new-at", refreshToken: "rt-keep", expiresAt: T0 + 3_600_000 });
    clock.now += 3_600_000;
    expect(await tokens.getAccessToken()).toBe("newer-at");
    expect(sentRefreshTokens).toEqual(["rt-keep", "rt-keep"]);
  });

  it("fails every waiter when the refresh fails, remembers nothing, and tries again next call", async () => {
    const clock = { now: T0 };
    let failing = true;
    const revoked = new OAuth2Error({ error: "invalid_grant", status: 400 });
    const { client, calls } = rotatingServer(clock, { fail: () => (failing ? revoked : undefined) });
    const tokens = new RefreshingTokenSource({ client, token: tokenSet("at-0", "rt-0", T0 - 1), now: () => clock.now });

    const results = await Promise.allSettled(Array.from({ length: 10 }, () => tokens.getAccessToken()));
    expect(results.every((r) => r.status === "rejected" && r.reason === revoked)).toBe(true);
    expect(calls).toHaveLength(1);

    failing = false;
    expect(await tokens.getAccessToken()).toBe("at-1");
    expect(calls).toEqual(["rt-0", "rt-0"]);
  });

  it("when onTokens fails, callers get its error and the same new set is reported again next time", async () => {
    const clock = { now: T0 };
    const { client, calls } = rotatingServer(clock);
    const attempts: string[] = [];
    let diskFull = true;
    const tokens = new RefreshingTokenSource({
      client,
      token: tokenSet("at-0", "rt-0", T0 - 1),
      now: () => clock.now,
      onTokens: async (t) => {
        attempts.push(t.refreshToken!);
        if (diskFull) throw new Error("disk full");
      },
    });

    await expect(tokens.getAccessToken()).rejects.toThrow("disk full");
    diskFull = false;
    expect(await tokens.getAccessToken()).toBe("at-1");
    expect(attempts).toEqual(["rt-1", "rt-1"]);
    expect(calls).toHaveLength(1); // not refreshed twice: the rotated token would be lost
    await tokens.getAccessToken();
    expect(attempts).toHaveLength(2);
  });

  it("refreshes a token the API refused (invalidate), and ignores an already replaced one", async () => {
    const clock = { now: T0 };
    const { client, calls } = rotatingServer(clock);
    const tokens = new RefreshingTokenSource({
      client,
      token: tokenSet("at-0", "rt-0", T0 + 3_600_000),
      now: () => clock.now,
    });
    expect(await tokens.getAccessToken()).toBe("at-0");

    await tokens.invalidate("at-0");
    expect(await tokens.getAccessToken()).toBe("at-1");
    await tokens.invalidate("at-0"); // a late 401 for the old token
    expect(await tokens.getAccessToken()).toBe("at-1");
    expect(calls).toHaveLength(1);
  });

  it("never refreshes a token without expiry (Copper's), and says so when such a token is refused", async () => {
    const clock = { now: T0 };
    const { client, calls } = rotatingServer(clock);
    const tokens = new RefreshingTokenSource({ client, token: tokenSet("forever", undefined), now: () => clock.now });
    clock.now += 10 * 365 * 86_400_000;
    expect(await tokens.getAccessToken()).toBe("forever");
    expect(calls).toEqual([]);

    await tokens.invalidate();
    await expect(tokens.getAccessToken()).rejects.toThrow(/no refresh token: authorize again/);
    const expired = new RefreshingTokenSource({ client, token: tokenSet("old", undefined, T0), now: () => clock.now });
    await expect(expired.getAccessToken()).rejects.toBeInstanceOf(InvalidInputError);
  });

  it("lets one caller give up without cancelling the refresh for the others", async () => {
    const clock = { now: T0 };
    const { client } = rotatingServer(clock, { delayMs: 30 });
    const tokens = new RefreshingTokenSource({ client, token: tokenSet("at-0", "rt-0", T0 - 1), now: () => clock.now });
    const controller = new AbortController();
    const impatient = tokens.getAccessToken({ signal: controller.signal });
    const patient = tokens.getAccessToken();
    controller.abort(new Error("gave up"));
    await expect(impatient).rejects.toThrow("gave up");
    expect(await patient).toBe("at-1");
  });

  it("shares a user's tokens through a cache, adopting a rotated refresh token found there", async () => {
    const clock = { now: T0 };
    const { client, calls } = rotatingServer(clock);
    const cache = new MemoryTokenCache({ now: () => clock.now });
    const stored = tokenSet("at-0", "rt-0", T0 - 1);
    expect(() => new RefreshingTokenSource({ client, token: stored, cache })).toThrow(/cacheKey is required/);

    const isolateA = new RefreshingTokenSource({
      client,
      token: stored,
      cache,
      cacheKey: "user:42",
      now: () => clock.now,
    });
    const isolateB = new RefreshingTokenSource({
      client,
      token: stored,
      cache,
      cacheKey: "user:42",
      now: () => clock.now,
    });
    expect(await isolateA.getAccessToken()).toBe("at-1");
    expect(await isolateB.getAccessToken()).toBe("at-1"); // from the cache, no second refresh
    expect(isolateB.tokenSet.refreshToken).toBe("rt-1");

    clock.now += 3_600_000;
    expect(await isolateB.getAccessToken()).toBe("at-2");
    expect(calls).toEqual(["rt-0", "rt-1"]); // B refreshed with A's rotated token, not the stale rt-0
  });

  it("refuses a stored value that is not a token set", () => {
    const client: TokenRefresher = { refreshToken: async (t) => t };
    expect(() => new RefreshingTokenSource({ client, token: {} as TokenSet })).toThrow(InvalidInputError);
    expect(() => new RefreshingTokenSource({ client: {} as TokenRefresher, token: tokenSet("a", "r") })).toThrow(
      InvalidInputError,
    );
  });
});
