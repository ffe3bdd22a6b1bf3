import { sql, type Kysely } from 'kysely';
import { SEALED_PREFIX, type SecretBox } from '../auth/secret-box.ts';
import { engineOf } from './dialect.ts';

/**
 * Columns of one table whose values are sealed at rest (src/core/auth/secret-box.ts), as an
 * area declares them in its catalogue (`AreaCatalogue.sealedColumns`). Start-up seals what an
 * older version left in clear, and `tessera secrets rotate` seals every value again under a
 * new key, each by walking this list: a new area's secrets join both by being declared.
 */
export interface SealedColumns {
  readonly table: string;
  /** The column naming the row (its primary key): a value is bound to it, and to its own column. */
  readonly idColumn: string;
  readonly columns: readonly string[];
}

/** What a sealed value is bound to: copied onto another row or column, it does not open. */
export function sealedContext(table: string, column: string, rowId: string | number): string {
  return `${table}.${column}:${rowId}`;
}

export interface SealedColumnCount {
  table: string;
  column: string;
  /** Values sealed now: clear ones, or (resealing) ones sealed with an older key. */
  sealed: number;
  /** Values left as they were: already sealed with the current key. */
  unchanged: number;
}

/**
 * Rewrites the non-null values of every sealed column that `rewrite` returns a new value for,
 * in the caller's transaction. On SQLite, secure_delete is on meanwhile: the row versions
 * replaced would otherwise stay readable in the file's free space, the very thing sealing
 * keeps out of a copy of the database.
 */
async function rewriteSealedColumns(
  tx: Kysely<any>,
  registry: readonly SealedColumns[],
  only: 'clear' | 'all',
  rewrite: (value: string, context: string) => string | undefined,
): Promise<SealedColumnCount[]> {
  const sqlite = engineOf(tx) === 'sqlite';
  const before = sqlite ? (await sql<{ secure_delete: number }>`pragma secure_delete`.execute(tx)).rows[0]?.secure_delete : undefined;
  if (sqlite) await sql`pragma secure_delete = on`.execute(tx);
  try {
    const counts: SealedColumnCount[] = [];
    for (const { table, idColumn, columns } of registry) {
      for (const column of columns) {
        const rows = (await tx
          .selectFrom(table)
          .select([`${idColumn} as id`, `${column} as value`])
          .where(column, 'is not', null)
          .$if(only === 'clear', (query) => query.where(column, 'not like', `${SEALED_PREFIX}%`))
          .execute()) as Array<{ id: string | number; value: string }>;
        const count = { table, column, sealed: 0, unchanged: 0 };
        for (const row of rows) {
          const next = rewrite(row.value, sealedContext(table, column, row.id));
          if (next === undefined) {
            count.unchanged += 1;
            continue;
          }
          await tx.updateTable(table).set({ [column]: next }).where(idColumn, '=', row.id).execute();
          count.sealed += 1;
        }
        counts.push(count);
      }
    }
    return counts;
  } finally {
    if (sqlite) await sql`pragma secure_delete = ${sql.raw(String(Number(before ?? 0)))}`.execute(tx);
  }
}

/** Seals the values found in clear (written by a version before sealing); sealed ones are left alone. */
export function sealClearValues(tx: Kysely<any>, box: SecretBox, registry: readonly SealedColumns[]): Promise<SealedColumnCount[]> {
  return rewriteSealedColumns(tx, registry, 'clear', (value, context) => (box.isSealed(value) ? undefined : box.seal(value, context)));
}

/**
 * Seals again, with the box's current key, every value not yet sealed with it (and any in
 * clear). Throws, changing nothing once the caller's transaction rolls back, when a value
 * opens under none of the box's keys.
 */
export function resealValues(tx: Kysely<any>, box: SecretBox, registry: readonly SealedColumns[]): Promise<SealedColumnCount[]> {
  return rewriteSealedColumns(tx, registry, 'all', (value, context) => {
    if (box.isSealed(value) && box.isSealedWithCurrentKey(value)) return undefined;
    return box.seal(box.isSealed(value) ? box.open(value, context) : value, context);
  });
}
