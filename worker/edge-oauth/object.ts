/**
 * Revoked edge tokens: one Durable Object per key id, holding in SQLite the ids (`jti`) of the
 * tokens revoked before they expire. Every presentation of an edge token asks it, so a revocation
 * holds at once in every isolate and location: KV could still answer "not revoked" for up to a
 * minute elsewhere, which is the window a revocation is meant to close.
 *
 * A row is needed only while its token could still verify: each is deleted once its token would
 * have expired (the alarm is set to the earliest expiry), so the table holds at most an hour of
 * revocations. Stored: the token's id and its expiry. Never a token or a key.
 */
import { DurableObject } from "cloudflare:workers";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS revoked (
  jti TEXT PRIMARY KEY,
  expires_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS revoked_expiry ON revoked (expires_at);
`;

export class RevokedEdgeTokens extends DurableObject<object> {
  constructor(ctx: DurableObjectState, env: object) {
    super(ctx, env);
    ctx.storage.sql.exec(SCHEMA);
  }

  /** Revokes the token `jti` until `expiresAt` (milliseconds), when it would have ended anyway. */
  async revoke(jti: string, expiresAt: number): Promise<void> {
    const now = Date.now();
    if (expiresAt <= now) return;
    this.ctx.storage.sql.exec(
      "INSERT INTO revoked (jti, expires_at) VALUES (?, ?) ON CONFLICT (jti) DO NOTHING",
      jti,
      expiresAt,
    );
    const alarm = await this.ctx.storage.getAlarm();
    if (alarm === null || expiresAt < alarm) await this.ctx.storage.setAlarm(expiresAt);
  }

  /** Whether `jti` was revoked (a row past its expiry no longer matters: its token fails on expiry). */
  isRevoked(jti: string): boolean {
    return this.ctx.storage.sql.exec("SELECT 1 FROM revoked WHERE jti = ?", jti).toArray().length > 0;
  }

  /** How many revocations are kept (for tests: that expired rows go). */
  count(): number {
    return this.ctx.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM revoked").one().n;
  }

  /** Deletes the rows whose tokens have expired, and wakes again at the next expiry. */
  override async alarm(): Promise<void> {
    this.ctx.storage.sql.exec("DELETE FROM revoked WHERE expires_at <= ?", Date.now());
    const next = this.ctx.storage.sql.exec<{ at: number | null }>("SELECT MIN(expires_at) AS at FROM revoked").one().at;
    if (next !== null) await this.ctx.storage.setAlarm(next);
  }
}
