/**
 * K2's token info endpoint, `GET /oauth/token/info`: what K2 says of a bearer token.
 *
 * @module
 */
import { withBearer } from "../oauth/bearer.ts";
import { errorFromExchange, instantMs, isRecord, jsonObject } from "../transport/answer.ts";
import { alsoRedacting, noRedaction } from "../transport/redaction.ts";
import { exchange, type Transport } from "../transport/transport.ts";
import { k2ErrorDialect } from "./errors.ts";

/** K2's token info (`GET /oauth/token/info`), with times in epoch milliseconds. */
export interface K2TokenInfo {
  readonly scope: readonly string[];
  /** Seconds of life left, as K2 counted when it answered. */
  readonly expiresIn: number | undefined;
  /** The `application.uid` the token belongs to. */
  readonly applicationUid: string | undefined;
  readonly createdAt: number | undefined;
  readonly resourceOwnerId: string | number | null;
  readonly raw: Readonly<Record<string, unknown>>;
}

/** Asks K2 about `accessToken`; retried like the other OAuth endpoints, since a GET is safe to repeat. */
export async function requestTokenInfo(
  transport: Transport,
  url: string,
  accessToken: string,
  signal?: AbortSignal,
): Promise<K2TokenInfo> {
  // The request carried no client secret, only the token: that is what an answer must not quote.
  const redact = alsoRedacting(noRedaction, [accessToken]);
  const answer = await exchange(transport, url, () => withBearer({ method: "GET" }, accessToken), { signal, redact });
  if (!answer.response.ok) throw errorFromExchange(answer, redact, k2ErrorDialect);
  const body = jsonObject(answer, redact);
  const application = isRecord(body.application) ? body.application : {};
  const owner = body.resource_owner_id;
  return Object.freeze({
    scope: scopeList(body.scope),
    expiresIn: typeof body.expires_in === "number" ? body.expires_in : undefined,
    applicationUid: typeof application.uid === "string" ? application.uid : undefined,
    createdAt: instantMs(body.created_at),
    resourceOwnerId: typeof owner === "string" || typeof owner === "number" ? owner : null,
    raw: Object.freeze(body),
  });
}

function scopeList(scope: unknown): string[] {
  if (Array.isArray(scope)) return scope.map(String);
  return typeof scope === "string" ? scope.split(" ").filter(Boolean) : [];
}
