import { sql, type Kysely } from 'kysely';
import type { Clock } from '../clock.ts';
import { engineOf, lockMigrations, timestampType, type Engine } from './dialect.ts';
import { inTransaction } from './transaction.ts';

/** One schema step. A name, once released, never changes; `up` receives the untyped database because tables change over time. */
export interface Migration {
  name: string;
  up(db: Kysely<any>, engine: Engine, now: string): Promise<void>;
}

export class UnknownMigrationError extends Error {
  override readonly name = 'UnknownMigrationError';
}

/**
 * Applies the pending `migrations`, in order, in one transaction under a cross-process
 * lock, so two processes starting together on an empty database end with one schema and
 * one set of seed rows. Refuses a database migrated by a newer Tessera (a name it does
 * not know). Returns the names it applied.
 */
export async function applyMigrations(db: Kysely<any>, migrations: readonly Migration[], clock: Clock): Promise<string[]> {
  const engine = engineOf(db);
  return inTransaction(db, async (tx) => {
    await lockMigrations(tx, engine);
    await tx.schema
      .createTable('schema_migrations')
      .ifNotExists()
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('applied_at', timestampType(engine), (c) => c.notNull())
      .execute();
    const appliedRows = await sql<{ name: string }>`select name from schema_migrations`.execute(tx);
    const applied = new Set(appliedRows.rows.map((row) => row.name));
    const unknown = [...applied].filter((name) => !migrations.some((migration) => migration.name === name));
    if (unknown.length > 0) {
      throw new UnknownMigrationError(`database has migrations this version does not know: ${unknown.join(', ')}`);
    }
    const pending = migrations.filter((migration) => !applied.has(migration.name));
    const now = clock.now().toISOString();
    for (const migration of pending) {
      // All pending migrations share one transaction: the checks an earlier one deferred to commit
      // (a data version moved by its backfill, say) fire now, or PostgreSQL refuses a later
      // ALTER TABLE of the same table ("pending trigger events").
      if (engine === 'postgres') await sql`set constraints all immediate`.execute(tx);
      await migration.up(tx, engine, now);
      await sql`insert into schema_migrations (name, applied_at) values (${migration.name}, ${now})`.execute(tx);
    }
    return pending.map((migration) => migration.name);
  });
}
