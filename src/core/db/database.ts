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
import type { WorkspacesTable } from '../../modules/workspaces/workspaces.table.ts';
import type { MembershipsTable } from '../../modules/members/members.table.ts';
import type { RolePermissionsTable, RolesTable } from '../../modules/roles/roles.table.ts';
import type { ApiKeyScopesTable, ApiKeysTable } from '../../modules/api-keys/api-keys.table.ts';
import type { AuditEventsTable } from '../../modules/audit-log/audit-log.table.ts';
import type { InvitationsTable } from '../../modules/invitations/invitations.table.ts';
import type { OutboxMessagesTable } from '../mail/outbox.table.ts';

/** Every table Kysely knows; each module owns and writes its own. */
export interface Database {
  schema_migrations: { name: string; applied_at: string };
  tenants: TenantsTable;
  users: UsersTable;
  sessions: SessionsTable;
  refresh_tokens: RefreshTokensTable;
  signing_keys: SigningKeysTable;
  workspaces: WorkspacesTable;
  roles: RolesTable;
  role_permissions: RolePermissionsTable;
  memberships: MembershipsTable;
  api_keys: ApiKeysTable;
  api_key_scopes: ApiKeyScopesTable;
  audit_events: AuditEventsTable;
  invitations: InvitationsTable;
  outbox_messages: OutboxMessagesTable;
  /** Moved by triggers on every change a cached read depends on (migration 0004). */
  tenant_data_versions: { tenant_id: number; shard: number; version: number };
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

/** The part of the configuration that says where the data lives (a Config fits). */
export interface DatabaseOptions {
  databaseUrl: string | undefined;
  databasePoolSize: number;
  dataDir: string;
  sqliteSynchronous: 'FULL' | 'NORMAL';
}

/**
 * Opens PostgreSQL when a URL is given, else the embedded SQLite file under the data directory.
 * @example const db = openDatabase(loadConfig(process.env));
 */
export function openDatabase(options: DatabaseOptions): Db {
  const dialect = options.databaseUrl
    ? createPostgresDialect(createPostgresPool(options.databaseUrl, options.databasePoolSize))
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
