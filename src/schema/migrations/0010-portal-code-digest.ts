import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';

/**
 * A tenant's portal access code was kept as written; it is now kept only as its digest, like
 * every other secret, and codes already set keep working. The digest is written out here
 * (it is core/auth/secrets.ts's digestPortalCode as of this migration) so that a later change
 * there cannot change what this migration stored.
 *
 * The codes are read first and written last: on PostgreSQL an update of `tenants` queues the
 * deferred data-version trigger (migration 0004), and a table with pending trigger events
 * cannot be altered in the same transaction.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const withCodes: Array<{ id: number; portal_access_code: string }> = await db
    .selectFrom('tenants')
    .select(['id', 'portal_access_code'])
    .where('portal_access_code', 'is not', null)
    .execute();
  await db.schema.alterTable('tenants').addColumn('portal_access_code_digest', 'text').execute();
  await db.schema.alterTable('tenants').dropColumn('portal_access_code').execute();
  for (const tenant of withCodes) {
    const digest = createHash('sha256').update(`${Number(tenant.id)}:${tenant.portal_access_code}`).digest('hex');
    await db.updateTable('tenants').set({ portal_access_code_digest: digest }).where('id', '=', tenant.id).execute();
  }
}
