import path from 'node:path';
import { Kysely, sql } from 'kysely';
import { redactUrl } from '../redact.ts';
import { createPostgresDialect, createPostgresPool, createSqliteDialect } from './dialect.ts';

/** The part of the configuration that says where the data lives (a Config fits). */
export interface DatabaseOptions {
  databaseUrl: string | undefined;
  databasePoolSize: number;
  dataDir: string;
  sqliteSynchronous: 'FULL' | 'NORMAL';
}

/**
 * Opens PostgreSQL when a URL is given, else the embedded SQLite file under the data
 * directory. The core knows no table: the schema layer names the database type.
 * @example const db = openKysely<Database>(loadConfig(process.env));
 */
export function openKysely<DB>(options: DatabaseOptions): Kysely<DB> {
  const dialect = options.databaseUrl
    ? createPostgresDialect(createPostgresPool(options.databaseUrl, options.databasePoolSize))
    : createSqliteDialect({ file: sqliteFile(options), synchronous: options.sqliteSynchronous });
  return new Kysely<DB>({ dialect });
}

function sqliteFile(options: DatabaseOptions): string {
  return path.join(options.dataDir, 'tessera.sqlite');
}

/** Which engine holds the data and where, for the start-up log (no password). */
export function describeStorage(options: DatabaseOptions): string {
  return options.databaseUrl
    ? `PostgreSQL at ${redactUrl(options.databaseUrl)}`
    : `SQLite at ${sqliteFile(options)} (synchronous=${options.sqliteSynchronous})`;
}

/** Answers when the database does; used by /readyz. */
export async function pingDatabase<DB>(db: Kysely<DB>): Promise<void> {
  await sql`select 1`.execute(db);
}
