/**
 * Migration 0005 recomputes the stored comparison keys after the key function began to
 * drop default-ignorable code points: keys follow, and a row whose new key would collide
 * with another's keeps its old one instead of failing the start-up. @see issue 10
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
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

/** A workspace row as an older Tessera stored it, with the key it computed then. */
async function insertWorkspace(name: string, oldKey: string, slug: string): Promise<number> {
  const now = new Date().toISOString();
  const row = await db
    .insertInto('workspaces')
    .values({ tenant_id: 1, biz_id: `ws_${slug}`, name, name_key: oldKey, slug, created_at: now, updated_at: now })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

const keyOf = async (id: number) => (await db.selectFrom('workspaces').select('name_key').where('id', '=', id).executeTakeFirstOrThrow()).name_key;

beforeAll(async () => {
  database = await createTestDatabase();
  db = openDatabase({ databaseUrl: database.env.DATABASE_URL, databasePoolSize: 2, dataDir: database.env.DATA_DIR ?? '', sqliteSynchronous: 'NORMAL' });
  await applyMigrations(db, MIGRATIONS.slice(0, 4), clock, partWay);
});
afterAll(async () => {
  await db.destroy();
  await database.drop();
});

describe('migration 0005: comparison keys without default-ignorables', () => {
  it('recomputes keys that held a variation selector or a filler, and leaves a would-be collision as it was', async () => {
    const cafe = await insertWorkspace('Café ☕\ufe0f', 'café ☕\ufe0f', 'cafe');
    const filler = await insertWorkspace('Team\u3164', 'team\u3164', 'team');
    const heartsEmoji = await insertWorkspace('Hearts ❤\ufe0f', 'hearts ❤\ufe0f', 'hearts-emoji');
    const heartsText = await insertWorkspace('Hearts ❤', 'hearts ❤', 'hearts-text');

    expect(await applyMigrations(db, MIGRATIONS.slice(0, 5), clock, partWay)).toEqual(['0005-fold-default-ignorables']);

    expect(await keyOf(cafe)).toBe('café ☕');
    expect(await keyOf(filler)).toBe('team');
    expect(await keyOf(heartsText)).toBe('hearts ❤');
    // Would now collide with "Hearts ❤": keeps its old key, so the unique index still holds.
    expect(await keyOf(heartsEmoji)).toBe('hearts ❤\ufe0f');
  });
});
