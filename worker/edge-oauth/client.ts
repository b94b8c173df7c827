/**
 * The isolate's side of edge tokens: reading one presented as `Authorization: Bearer`, for
 * worker/index.ts once the request's bearer is not a configured key, and the revocations kept by
 * object.ts, which every presentation asks.
 */
import { bearerOf, type Caller, type CallerEnv } from "../common/callers.ts";
import { k2Settings, type K2Env } from "../common/k2-settings.ts";
import { sha256Hex } from "../common/sha256.ts";
import type { RevokedEdgeTokens } from "./object.ts";
import { looksLikeEdgeToken, verifyEdgeToken, type EdgeTokenClaims, type VerifiedEdgeToken } from "./token.ts";

export interface EdgeOAuthEnv extends K2Env, CallerEnv {
  /**
   * The revoked edge tokens (object.ts). Unbound, the edge answers none of K2's OAuth paths and
   * accepts no edge token: a token that could not be revoked everywhere is not issued.
   */
  EDGE_REVOCATIONS?: DurableObjectNamespace<RevokedEdgeTokens>;
}

/** A verified edge token's state as presented: usable, or why not. */
export type TokenState =
  | { state: "active"; token: VerifiedEdgeToken }
  | { state: "expired" | "revoked"; token: VerifiedEdgeToken }
  | { state: "invalid" };

/**
 * The caller an edge token presented as `Authorization: Bearer` stands for (its key's own id,
 * scope and policy), or `undefined` when there is none, or it is not valid now.
 */
export async function edgeTokenCaller(request: Request, env: EdgeOAuthEnv): Promise<Caller | undefined> {
  const presented = bearerOf(request);
  if (presented === undefined || !looksLikeEdgeToken(presented) || !env.EDGE_REVOCATIONS) return undefined;
  const found = await tokenState(env, presented);
  return found.state === "active" ? found.token.caller : undefined;
}

/** What `token` is now: its MAC, its key still configured, its expiry, and whether it was revoked. */
export async function tokenState(env: EdgeOAuthEnv, token: string, now = Date.now()): Promise<TokenState> {
  const verified = await verifyEdgeToken(env, token, now);
  if (!verified) return { state: "invalid" };
  if (verified.expired) return { state: "expired", token: verified };
  if (await (await revocationsOf(env, verified.claims.kid)).isRevoked(verified.claims.jti))
    return { state: "revoked", token: verified };
  return { state: "active", token: verified };
}

/** Revokes the token `claims` describes, in every isolate, until it would have expired. */
export async function revokeEdgeToken(env: EdgeOAuthEnv, claims: EdgeTokenClaims): Promise<void> {
  await (await revocationsOf(env, claims.kid)).revoke(claims.jti, claims.exp * 1000);
}

/**
 * The revocations of one key id: one object per id spreads the checks of busy keys apart, and a
 * revocation needs only its own token's id. Named after the K2 application too, so that two
 * applications sharing an account never share revocations, by a hash (no identifier in the name).
 */
export async function revocationsOf(env: EdgeOAuthEnv, keyId: string): Promise<DurableObjectStub<RevokedEdgeTokens>> {
  const namespace = env.EDGE_REVOCATIONS!;
  const name = await sha256Hex(JSON.stringify(["edge-revocations", k2Settings(env).clientId, keyId]));
  return namespace.get(namespace.idFromName(name));
}

/** Whether the edge answers K2's OAuth paths: only with somewhere to keep revocations. */
export const edgeOAuthBound = (env: EdgeOAuthEnv): boolean => env.EDGE_REVOCATIONS !== undefined;
