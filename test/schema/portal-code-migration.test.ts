/**
 * Migration 0010 keeps a portal access code set before it working, stored only as its
 * digest, on a database that already has tenants with and without a code.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { passPortal } from '../../src/core/auth/context/portal.ts';
import type { TenantContext } from '../../src/core/auth/request-context.ts';
import { randomBytes } from 'node:crypto';
import { SEALED_COLUMNS } from '../../src/areas.ts';
import { createSecretBox } from '../../src/core/auth/secret-box.ts';
import { ManualClock } from '../../src/core/clock.ts';
import { applyMigrations } from '../../src/core/db/migrations.ts';
import { MIGRATIONS } from '../../src/schema/migrate.ts';
import { openDatabase, type Db } from '../../src/schema/database.ts';
import { createTestDatabase, type TestDatabase } from '../support/engines.ts';

let database: TestDatabase;
let db: Db;
const clock = new ManualClock();
/** Part-way through the migrations there are no sealed columns yet to seal. */
const partWay = { secrets: createSecretBox([randomBytes(32)]), sealedColumns: [] };
const BEFORE_DIGESTS = MIGRATIONS.findIndex((migration) => migration.name === '0010-portal-code-digest');

beforeAll(async () => {
  database = await createTestDatabase();
  db = openDatabase({ databaseUrl: database.env.DATABASE_URL, databasePoolSize: 2, dataDir: database.env.DATA_DIR ?? '', sqliteSynchronous: 'NORMAL' });
  await applyMigrations(db, MIGRATIONS.slice(0, BEFORE_DIGESTS), clock, partWay);
});
afterAll(async () => {
  await db.destroy();
  await database.drop();
});

describe('migration 0010: portal access codes as digests', () => {
  it('keeps codes already set working, stores none in clear, and leaves tenants without one open', async () => {
    const now = new Date().toISOString();
    await db.insertInto('tenants').values({ slug: 'open', name: 'Open', default_locale: 'en', self_signup: 1, created_at: now, updated_at: now }).execute();
    // A code as the settings took it before 0010 (four characters were enough then), in its old column.
    await sql`update tenants set portal_access_code = 'abc1' where slug = 'default'`.execute(db);

    await applyMigrations(db, MIGRATIONS, clock, { ...partWay, sealedColumns: SEALED_COLUMNS });

    const rows = await db.selectFrom('tenants').selectAll().orderBy('id').execute();
    expect(rows.map((row) => Object.keys(row).includes('portal_access_code'))).toEqual([false, false]);
    const [withCode, withoutCode] = rows;
    expect(withoutCode?.portal_access_code_digest).toBeNull();
    const tenant = { id: withCode?.id, portalAccessCodeDigest: withCode?.portal_access_code_digest } as TenantContext;
    const presenting = (code: string | undefined) => ({ headers: code === undefined ? {} : { 'x-portal-access-code': code } }) as never;
    expect(() => passPortal(tenant, presenting('abc1'))).not.toThrow();
    expect(() => passPortal(tenant, presenting('abc2'))).toThrow(expect.objectContaining({ code: 'PORTAL.ACCESS_DENIED' }));
    expect(() => passPortal(tenant, presenting(undefined))).toThrow(expect.objectContaining({ code: 'PORTAL.ACCESS_DENIED' }));
  });
});
