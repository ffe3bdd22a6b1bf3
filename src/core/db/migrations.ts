import { sql, type Kysely } from 'kysely';
import type { SecretBox } from '../auth/secret-box.ts';
import type { Clock } from '../clock.ts';
import { engineOf, lockMigrations, timestampType, type Engine } from './dialect.ts';
import { sealClearValues, type SealedColumns } from './sealed-columns.ts';
import { inTransaction } from './transaction.ts';

/**
 * One schema step. A name, once released, never changes; `up` receives the untyped database
 * because tables change over time, and the box that seals the secrets it writes (a seed row's).
 */
export interface Migration {
  name: string;
  up(db: Kysely<any>, engine: Engine, now: string, secrets: SecretBox): Promise<void>;
}

/** The secrets at rest: the box, and the columns it seals (every area's, or fewer for a database migrated only part-way). */
export interface SecretsAtRest {
  secrets: SecretBox;
  sealedColumns: readonly SealedColumns[];
}

export class UnknownMigrationError extends Error {
  override readonly name = 'UnknownMigrationError';
}

/**
 * Applies the pending `migrations`, in order, in one transaction under a cross-process
 * lock, so two processes starting together on an empty database end with one schema and
 * one set of seed rows. Refuses a database migrated by a newer Tessera (a name it does
 * not know). Then seals what is still in clear in the sealed columns. Returns the names it applied.
 *
 * The sealing belongs here rather than in the app's start-up: in the migrations' transaction
 * and under their lock, concurrent starts take turns at it, as at the schema, and no process
 * serves a value in clear after the first has started; and migrations seal the secrets they
 * seed with the same box (the first signing key), so a fresh install never commits one in clear.
 */
export async function applyMigrations(db: Kysely<any>, migrations: readonly Migration[], clock: Clock, atRest: SecretsAtRest): Promise<string[]> {
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
      await migration.up(tx, engine, now, atRest.secrets);
      await sql`insert into schema_migrations (name, applied_at) values (${migration.name}, ${now})`.execute(tx);
    }
    await sealClearValues(tx, atRest.secrets, atRest.sealedColumns);
    return pending.map((migration) => migration.name);
  });
}
