import path from 'node:path';
import { Kysely, sql, type Transaction } from 'kysely';
import { createPostgresDialect, createPostgresPool, createSqliteDialect } from './dialect.ts';
import type { TenantsTable } from '../../modules/tenants/tenants.table.ts';
import type {
  RefreshTokensTable,
  SessionsTable,
  SigningKeysTable,
  UsersTable,
} from '../../modules/identity/identity.table.ts';

/** Every table Kysely knows; each module owns and writes its own. */
export interface Database {
  schema_migrations: { name: string; applied_at: string };
  tenants: TenantsTable;
  users: UsersTable;
  sessions: SessionsTable;
  refresh_tokens: RefreshTokensTable;
  signing_keys: SigningKeysTable;
}

export type Engine = 'sqlite' | 'postgres';

/** The database outside any transaction: reads, and the entry to `inTransaction`. */
export type Db = Kysely<Database>;

/**
 * Inside a write transaction. On SQLite this is the single connection after
 * `BEGIN IMMEDIATE`, on PostgreSQL a Kysely transaction; both are typed as Tx so a
 * step that needs a transaction says so in its signature.
 */
export type Tx = Transaction<Database>;

/** Anything that can run a query: repositories read through either. */
export type Executor = Db | Tx;

export interface DatabaseOptions {
  databaseUrl: string | undefined;
  poolSize: number;
  dataDir: string;
  sqliteSynchronous: 'FULL' | 'NORMAL';
}

/** Opens PostgreSQL when a URL is given, else the embedded SQLite file under the data directory. */
export function openDatabase(options: DatabaseOptions): Db {
  const dialect = options.databaseUrl
    ? createPostgresDialect(createPostgresPool(options.databaseUrl, options.poolSize))
    : createSqliteDialect({
        file: path.join(options.dataDir, 'tessera.sqlite'),
        synchronous: options.sqliteSynchronous,
      });
  return new Kysely<Database>({ dialect });
}

/** Answers when the database does; used by /readyz. */
export async function pingDatabase(db: Db): Promise<void> {
  await sql`select 1`.execute(db);
}
