import type { Kysely } from 'kysely';
import { digestPortalCode } from '../../core/auth/secrets.ts';

/**
 * A tenant's portal access code was kept as written; it is now kept only as its digest
 * (core/auth/secrets.ts), like every other secret: codes already set keep working.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('tenants').addColumn('portal_access_code_digest', 'text').execute();
  const withCodes: Array<{ id: number; portal_access_code: string }> = await db
    .selectFrom('tenants')
    .select(['id', 'portal_access_code'])
    .where('portal_access_code', 'is not', null)
    .execute();
  for (const tenant of withCodes) {
    await db
      .updateTable('tenants')
      .set({ portal_access_code_digest: digestPortalCode(Number(tenant.id), tenant.portal_access_code) })
      .where('id', '=', tenant.id)
      .execute();
  }
  await db.schema.alterTable('tenants').dropColumn('portal_access_code').execute();
}
