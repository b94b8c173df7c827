/**
 * Who created each K2 resource through the edge: one Durable Object per K2 application, holding
 * the resource id and the key id that created it in SQLite. A scoped key reads only what it
 * created, whichever isolate or location asks, so the record must be strongly consistent: KV could
 * answer "no owner" for a resource just created elsewhere. One instance bounds the writes (on the
 * order of a thousand a second), far above the payments one K2 application makes; beyond that, the
 * same table shards by a hash of the resource id into several instances.
 *
 * Stored: K2's resource id (a UUID), its path segment, the key id, and when. Never a key.
 */
import { DurableObject } from "cloudflare:workers";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS owners (
  id TEXT PRIMARY KEY,
  resource TEXT NOT NULL,
  key_id TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
`;

export class ResourceOwners extends DurableObject<object> {
  constructor(ctx: DurableObjectState, env: object) {
    super(ctx, env);
    ctx.storage.sql.exec(SCHEMA);
  }

  /** Records the creator of `id`; the first record stands (a replayed answer does not change it). */
  record(id: string, resource: string, keyId: string): void {
    this.ctx.storage.sql.exec(
      "INSERT INTO owners (id, resource, key_id, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
      id,
      resource,
      keyId,
      Date.now(),
    );
  }

  /** The key ids that created each of `ids` (absent: not created through the edge by a named key). */
  owners(ids: string[]): Record<string, string> {
    const found: Record<string, string> = {};
    for (const id of ids) {
      const row = this.ctx.storage.sql
        .exec<{ key_id: string }>("SELECT key_id FROM owners WHERE id = ?", id)
        .toArray()[0];
      if (row) found[id] = row.key_id;
    }
    return found;
  }
}
