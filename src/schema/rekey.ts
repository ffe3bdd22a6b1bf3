import type { Kysely } from 'kysely';
import { normalizeKey } from '../core/normalize.ts';

interface KeyedRow {
  id: number;
  scope: number;
  text: string;
  key: string;
}

interface KeyedTable {
  table: 'users' | 'workspaces' | 'invitations';
  scope: 'tenant_id' | 'workspace_id';
  text: 'email' | 'name';
  key: 'email_key' | 'name_key';
  /** Only rows the unique index covers (pending invitations). */
  onlyPending?: boolean;
}

const KEYED: readonly KeyedTable[] = [
  { table: 'users', scope: 'tenant_id', text: 'email', key: 'email_key' },
  { table: 'workspaces', scope: 'tenant_id', text: 'name', key: 'name_key' },
  { table: 'invitations', scope: 'workspace_id', text: 'email', key: 'email_key', onlyPending: true },
];

/**
 * Recomputes the stored comparison keys with today's `normalizeKey`; a migration calls it
 * whenever the key function changes (or Node's Unicode does). A row whose new key would
 * collide with another row of its scope keeps its old one: the two already coexist, and
 * a migration must not fail a start-up over it; new look-alikes are refused from now on.
 */
export async function recomputeComparisonKeys(db: Kysely<any>): Promise<void> {
  for (const { table, scope, text, key, onlyPending } of KEYED) {
    const rows = (await db
      .selectFrom(table)
      .select(['id', `${scope} as scope`, `${text} as text`, `${key} as key`])
      .$if(onlyPending === true, (q) => q.where('status', '=', 'pending'))
      .execute()) as KeyedRow[];
    const taken = new Set(rows.map((row) => `${row.scope} ${row.key}`));
    for (const row of rows) {
      const next = normalizeKey(row.text);
      if (next === row.key || taken.has(`${row.scope} ${next}`)) continue;
      await db.updateTable(table).set({ [key]: next }).where('id', '=', row.id).execute();
      taken.delete(`${row.scope} ${row.key}`);
      taken.add(`${row.scope} ${next}`);
    }
  }
}
