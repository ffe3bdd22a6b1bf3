import { sql, type Kysely } from 'kysely';
import { timestampType, withIdColumn, type Engine } from '../../core/db/dialect.ts';

/**
 * Contacts (issue 18, first part): the customers and vendors of a workspace.
 *
 * What the database keeps, past the service:
 * - a tax id is digits only, 9 (RNC) or 11 (cédula) long, and names at most one contact of
 *   a workspace (a unique index: two creates racing with one tax id leave one);
 * - (workspace_id, id) is unique, for documents of the same workspace to refer to a contact.
 */
export const CONTACT_KINDS = ['customer', 'vendor', 'both'] as const;

export async function up(db: Kysely<any>, engine: Engine): Promise<void> {
  const kinds = sql.raw(CONTACT_KINDS.map((kind) => `'${kind}'`).join(', '));
  const digitsOnly = engine === 'postgres' ? sql`tax_id ~ '^[0-9]+$'` : sql`tax_id not glob '*[^0-9]*'`;
  await withIdColumn(db.schema.createTable('contacts'), engine)
    .addColumn('workspace_id', 'integer', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in (${kinds})`))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('name_key', 'text', (c) => c.notNull())
    .addColumn('tax_id', 'text', (c) => c.check(sql`tax_id is null or (length(tax_id) in (9, 11) and ${digitsOnly})`))
    .addColumn('email', 'text')
    .addColumn('phone', 'text')
    .addColumn('address', 'text')
    .addColumn('created_at', timestampType(engine), (c) => c.notNull())
    .addColumn('updated_at', timestampType(engine), (c) => c.notNull())
    .addUniqueConstraint('contacts_workspace_tax_id', ['workspace_id', 'tax_id'])
    .addUniqueConstraint('contacts_workspace_id', ['workspace_id', 'id'])
    .execute();
  await db.schema.createIndex('contacts_name_key').on('contacts').columns(['workspace_id', 'name_key', 'id']).execute();
}
