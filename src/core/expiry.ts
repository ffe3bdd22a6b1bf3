import { sql, type Expression, type SqlBool } from 'kysely';

/*
 * A record that waits for an answer until it expires (an invitation, say): `pending` past
 * `expires_at` reads as `expired`, whatever the row still says, so no sweeper has to run
 * before a read is right. The same reading in code (`statusAt`) and in SQL (`hasStatusAt`).
 */

export function statusAt<S extends string>(row: { status: S | 'pending'; expires_at: string }, now: string): S | 'pending' | 'expired' {
  return row.status === 'pending' && row.expires_at <= now ? 'expired' : row.status;
}

/** Rows as read at `now`: each with the status `statusAt` gives it. */
export function statusesAt<R extends { status: string; expires_at: string }>(rows: readonly R[], now: string): R[] {
  return rows.map((row) => ({ ...row, status: statusAt(row, now) }));
}

/**
 * The rows of `table` (or of an alias) whose status read at `now` is `status`: a filter for
 * a list of one status that agrees with `statusAt`.
 * @example db.selectFrom('invitations').selectAll().where(hasStatusAt('invitations', 'expired', now))
 */
export function hasStatusAt(table: string, status: string, now: string): Expression<SqlBool> {
  const stored = sql.ref(`${table}.status`);
  const expiresAt = sql.ref(`${table}.expires_at`);
  const pendingUntil = (comparison: '>' | '<=') => sql<SqlBool>`(${stored} = ${'pending'} and ${expiresAt} ${sql.raw(comparison)} ${now})`;
  if (status === 'pending') return pendingUntil('>');
  if (status === 'expired') return sql<SqlBool>`(${stored} = ${'expired'} or ${pendingUntil('<=')})`;
  return sql<SqlBool>`${stored} = ${status}`;
}
