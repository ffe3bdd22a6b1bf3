import type { Kysely } from 'kysely';
import type { Clock } from '../clock.ts';
import type { Db, Engine } from './database.ts';
import { engineOf, lockMigrations, timestampType } from './dialect.ts';
import { inTransaction } from './transaction.ts';
import * as tenantsIdentity from './migrations/0001-tenants-identity.ts';
import * as workspaces from './migrations/0002-workspaces.ts';
import * as invitationsOutbox from './migrations/0003-invitations-outbox.ts';
import * as tenantDataVersions from './migrations/0004-tenant-data-versions.ts';

interface Migration {
  name: string;
  up(db: Kysely<any>, engine: Engine, now: string): Promise<void>;
}

/** In order; a name, once released, never changes. */
const MIGRATIONS: readonly Migration[] = [
  { name: '0001-tenants-identity', up: tenantsIdentity.up },
  { name: '0002-workspaces', up: workspaces.up },
  { name: '0003-invitations-outbox', up: invitationsOutbox.up },
  { name: '0004-tenant-data-versions', up: tenantDataVersions.up },
];

export class UnknownMigrationError extends Error {
  override readonly name = 'UnknownMigrationError';
}

/**
 * Applies pending migrations in one transaction under a cross-process lock, so two
 * processes starting together on an empty database end with one schema and one
 * set of seed rows. Refuses to run against a database migrated by a newer Tessera.
 */
export async function migrate(db: Db, clock: Clock): Promise<string[]> {
  const engine = engineOf(db);
  return inTransaction(db, async (tx) => {
    const executor = tx as unknown as Kysely<any>;
    await lockMigrations(executor, engine);
    await executor.schema
      .createTable('schema_migrations')
      .ifNotExists()
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('applied_at', timestampType(engine), (c) => c.notNull())
      .execute();
    const applied = new Set((await tx.selectFrom('schema_migrations').select('name').execute()).map((row) => row.name));
    const unknown = [...applied].filter((name) => !MIGRATIONS.some((migration) => migration.name === name));
    if (unknown.length > 0) {
      throw new UnknownMigrationError(`database has migrations this version does not know: ${unknown.join(', ')}`);
    }
    const pending = MIGRATIONS.filter((migration) => !applied.has(migration.name));
    const now = clock.now().toISOString();
    for (const migration of pending) {
      await migration.up(executor, engine, now);
      await tx.insertInto('schema_migrations').values({ name: migration.name, applied_at: now }).execute();
    }
    return pending.map((migration) => migration.name);
  });
}
