import type { Updateable } from 'kysely';
import type { Executor, Tx } from '../../schema/database.ts';
import { tenantRowToTenant, type Tenant, type TenantsTable } from './tenants.table.ts';

export async function findTenantBySlug(db: Executor, slug: string): Promise<Tenant | undefined> {
  const row = await db.selectFrom('tenants').selectAll().where('slug', '=', slug).executeTakeFirst();
  return row && tenantRowToTenant(row);
}

export async function findTenantById(db: Executor, id: number): Promise<Tenant | undefined> {
  const row = await db.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst();
  return row && tenantRowToTenant(row);
}

export async function listTenants(db: Executor): Promise<Tenant[]> {
  const rows = await db.selectFrom('tenants').selectAll().orderBy('id').execute();
  return rows.map(tenantRowToTenant);
}

export async function insertTenant(
  tx: Tx,
  values: { slug: string; name: string; defaultLocale: string; selfSignup: boolean; now: string },
): Promise<Tenant> {
  const row = await tx
    .insertInto('tenants')
    .values({
      slug: values.slug,
      name: values.name,
      default_locale: values.defaultLocale,
      self_signup: values.selfSignup ? 1 : 0,
      created_at: values.now,
      updated_at: values.now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return tenantRowToTenant(row);
}

export async function updateTenant(
  tx: Tx,
  id: number,
  changes: Updateable<TenantsTable>,
): Promise<Tenant | undefined> {
  const row = await tx.updateTable('tenants').set(changes).where('id', '=', id).returningAll().executeTakeFirst();
  return row && tenantRowToTenant(row);
}
