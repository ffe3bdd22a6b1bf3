import { sql, type Kysely } from 'kysely';
import type { Engine } from '../../core/db/dialect.ts';
import { coverWithVersionTriggers } from '../data-versions.ts';

/**
 * Sign-ins, refreshes and workspace switches no longer move the tenant's data version:
 * they are the busiest writes of a tenant, and each emptied every cached context and page
 * of everyone in it. What a cached context takes from them is read live on every request
 * instead (modules/access: the session's liveness, the user's current and default
 * workspace), in the same statement as the version.
 *
 * - `sessions` loses its version triggers altogether;
 * - `users` moves the version on inserts, deletes, and updates of what a context or a page
 *   shows or decides with (name, e-mail, tenant role, disabled), not of its workspace pointers.
 */
export const USERS_UPDATE_OF = ['tenant_id', 'name', 'email', 'email_key', 'password_hash', 'tenant_role', 'disabled_at', 'created_at'] as const;

export async function up(db: Kysely<any>, engine: Engine): Promise<void> {
  if (engine === 'postgres') {
    await sql`drop trigger tenant_data_versions_sessions on sessions`.execute(db);
    await sql`drop trigger tenant_data_versions_users on users`.execute(db);
  } else {
    for (const event of ['insert', 'update', 'delete']) {
      await sql.raw(`drop trigger tenant_data_versions_sessions_${event}`).execute(db);
      await sql.raw(`drop trigger tenant_data_versions_users_${event}`).execute(db);
    }
  }
  await coverWithVersionTriggers(db, engine, [{ table: 'users', path: 'tenantId', updateOf: USERS_UPDATE_OF }]);
}
