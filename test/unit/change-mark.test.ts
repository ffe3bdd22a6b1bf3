/**
 * The SQLite change mark (core/db/dialect.ts) lets a kept request context skip its check while
 * nothing it reads was committed. What moves the mark and what must not, through the very
 * statements the identity repository sends: a sign-in's and a refresh's writes leave it alone
 * (or a busy tenant's contexts would be checked on nearly every request), a statement that
 * changed no row leaves it alone, and a session's end or an earlier expiry moves it.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changeMarkOf } from '../../src/core/db/dialect.ts';
import { inTransaction } from '../../src/core/db/transaction.ts';
import * as identity from '../../src/modules/identity/identity.repository.ts';
import type { Tx } from '../../src/schema/database.ts';
import { currentEngine } from '../support/engines.ts';
import { register, startTestApp, type TestApp } from '../support/test-app.ts';

const CLIENT = { userAgent: 'change-mark test', ip: null };
const at = (iso: string, days: number) => new Date(Date.parse(iso) + days * 86_400_000).toISOString();

let t: TestApp;
let session: { id: number; tenantId: number; userId: number; expiresAt: string };
beforeAll(async () => {
  t = await startTestApp();
  const { userId } = await register(t);
  const row = await t.db.selectFrom('sessions').select(['id', 'tenant_id', 'expires_at']).where('user_id', '=', userId).executeTakeFirstOrThrow();
  session = { id: row.id, tenantId: row.tenant_id, userId, expiresAt: row.expires_at };
});
afterAll(async () => t.close());

/** Whether `write`, run in a transaction as the services run it, moved the mark. */
async function moves(write: (tx: Tx) => Promise<unknown>): Promise<boolean> {
  const mark = changeMarkOf(t.db);
  if (!mark) throw new Error('no change mark on this engine');
  const before = mark();
  await inTransaction(t.db, write);
  return mark() !== before;
}

describe('the change mark', () => {
  it('is SQLite-only: PostgreSQL has none', () => {
    expect(changeMarkOf(t.db) === undefined).toBe(t.database.engine === 'postgres');
  });

  describe.runIf(currentEngine() === 'sqlite')('on SQLite', () => {
    it("stays put for a sign-in's and a refresh's writes", async () => {
      const later = at(session.expiresAt, 1);
      expect(
        await moves(async (tx) => {
          await identity.insertSession(tx, { tenantId: session.tenantId, userId: session.userId, now: session.expiresAt, expiresAt: later, client: CLIENT, method: 'password' });
          await identity.insertRefreshToken(tx, { sessionId: session.id, tokenHash: 'change-mark-token', now: session.expiresAt, expiresAt: later });
        }),
      ).toBe(false);
      const token = await t.db.selectFrom('refresh_tokens').select('id').where('token_hash', '=', 'change-mark-token').executeTakeFirstOrThrow();
      expect(await moves((tx) => identity.claimRefreshToken(tx, token.id, session.expiresAt))).toBe(false);
      expect(await moves((tx) => identity.extendSession(tx, session.id, { expiresAt: later, now: session.expiresAt, client: CLIENT }))).toBe(false);
      session.expiresAt = later;
    });

    it('stays put for a write that changed no row', async () => {
      expect(await moves((tx) => sql`update users set name = name where id = -1`.execute(tx))).toBe(false);
    });

    it("moves when a session's expiry moves earlier", async () => {
      const earlier = at(session.expiresAt, -2);
      expect(await moves((tx) => identity.extendSession(tx, session.id, { expiresAt: earlier, now: earlier, client: CLIENT }))).toBe(true);
      const row = await t.db.selectFrom('sessions').select('expires_at').where('id', '=', session.id).executeTakeFirstOrThrow();
      expect(row.expires_at).toBe(earlier);
    });

    it('rests on a schema whose triggers write only after a changed row', async () => {
      // A statement that changed no row is not counted: a BEFORE or INSTEAD OF trigger that
      // wrote would break that (SQLite runs them for rows an OR IGNORE then drops).
      const triggers = await sql<{ name: string; sql: string }>`select name, sql from sqlite_master where type = 'trigger'`.execute(t.db);
      const writingBefore = triggers.rows.filter(
        (trigger) => /\b(before|instead\s+of)\b/i.test(trigger.sql) && !/\bbegin\s+select\s+raise\s*\(\s*abort\b[^;]*;\s*end\s*$/i.test(trigger.sql),
      );
      expect(triggers.rows.length).toBeGreaterThan(0);
      expect(writingBefore.map((trigger) => trigger.name)).toEqual([]);
      const views = await sql<{ name: string }>`select name from sqlite_master where type = 'view'`.execute(t.db);
      expect(views.rows).toEqual([]);
    });

    it('moves when a session ends', async () => {
      expect(await moves((tx) => identity.revokeSession(tx, session.id, session.expiresAt, 'logout'))).toBe(true);
    });
  });
});
