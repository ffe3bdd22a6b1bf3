import { sql, type SelectQueryBuilder } from 'kysely';
import { MAX_STORED_ID } from '../db/dialect.ts';
import { AppError } from '../errors.ts';

/**
 * Keyset pagination over ascending ids. The cursor is opaque to clients: a
 * base64url of the last id seen, so a client cannot page into rows by guessing.
 */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export function decodeCursor(cursor: string | undefined): number {
  if (cursor === undefined) return 0;
  const match = /^after:([1-9][0-9]{0,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  // An id past any stored one was never issued, and must not reach PostgreSQL's int4 columns.
  if (!match?.[1] || Number(match[1]) > MAX_STORED_ID) {
    throw new AppError('VALIDATION.FAILED', { cursor: 'is not a cursor this API issued' });
  }
  return Number(match[1]);
}

/**
 * `rows` holds up to limit + 1 items; the extra one only says another page exists. The
 * cursor is the last item's key: its `id`, unless `keyOf` names another.
 */
export function toPage<T extends { id: number }>(rows: T[], limit: number): Page<T>;
export function toPage<T>(rows: T[], limit: number, keyOf: (row: T) => number): Page<T>;
export function toPage<T>(rows: T[], limit: number, keyOf = (row: T) => (row as { id: number }).id): Page<T> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  const nextCursor = rows.length > limit && last ? Buffer.from(`after:${keyOf(last)}`).toString('base64url') : null;
  return { items, nextCursor };
}

/**
 * The page after `afterId` on an ascending integer key, one row more than the page
 * so `toPage` can tell whether another page exists.
 *
 * @example db.selectFrom('roles').selectAll().where('workspace_id', '=', id).$call(afterKey('id', afterId, limit + 1))
 */
export function afterKey(column: string, afterId: number, rows: number) {
  return <DB, TB extends keyof DB, O>(query: SelectQueryBuilder<DB, TB, O>): SelectQueryBuilder<DB, TB, O> =>
    query.where(sql.ref(column), '>', afterId).orderBy(sql.ref(column)).limit(rows);
}
