/**
 * A record that waits for an answer until it expires (an invitation, say): `pending` past
 * `expires_at` reads as `expired`, whatever the row still says, so no sweeper has to run
 * before a read is right.
 */
export function statusAt<S extends string>(row: { status: S | 'pending'; expires_at: string }, now: string): S | 'pending' | 'expired' {
  return row.status === 'pending' && row.expires_at <= now ? 'expired' : row.status;
}
