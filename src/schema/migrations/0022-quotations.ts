import { sql, type Kysely } from 'kysely';
import { timestampType, withIdColumn, type Engine } from '../../core/db/dialect.ts';
import { createDocumentLines } from './0021-invoices-ncf.ts';

/**
 * Quotations (issue 18): offers to a customer, priced as invoices are, converted into a draft
 * invoice once.
 *
 * What the database keeps, past the service:
 * - a quotation is converted at most once, into an invoice of its own workspace (a composite
 *   foreign key; unique), and a converted quotation and its lines never change and are kept
 *   while the workspace exists (`quotation_fixed_once_converted`; a workspace's deletion takes
 *   them all);
 * - money is exact, as on invoices.
 */
export const QUOTATION_STATUSES = ['open', 'converted'] as const;
export const QUOTATION_FIXED_RULE = 'quotation_fixed_once_converted';

export async function up(db: Kysely<any>, engine: Engine): Promise<void> {
  const ts = timestampType(engine);
  const amount = engine === 'postgres' ? 'bigint' : 'integer';
  const statuses = sql.raw(QUOTATION_STATUSES.map((status) => `'${status}'`).join(', '));

  await withIdColumn(db.schema.createTable('quotations'), engine)
    .addColumn('workspace_id', 'integer', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('contact_id', 'integer')
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in (${statuses})`))
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('tax_included', 'integer', (c) => c.notNull().check(sql`tax_included in (0, 1)`))
    .addColumn('valid_until', 'text')
    .addColumn('notes', 'text')
    .addColumn('subtotal_e4', amount, (c) => c.notNull().check(sql`subtotal_e4 >= 0`))
    .addColumn('tax_e4', amount, (c) => c.notNull().check(sql`tax_e4 >= 0`))
    .addColumn('total_e4', amount, (c) => c.notNull().check(sql`total_e4 = subtotal_e4 + tax_e4`))
    .addColumn('converted_invoice_id', 'integer')
    .addColumn('converted_at', ts)
    .addColumn('created_by_user_id', 'integer')
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .addUniqueConstraint('quotations_workspace_id', ['workspace_id', 'id'])
    .addUniqueConstraint('quotations_converted_invoice', ['workspace_id', 'converted_invoice_id'])
    .addForeignKeyConstraint('quotations_contact', ['workspace_id', 'contact_id'], 'contacts', ['workspace_id', 'id'])
    .addForeignKeyConstraint('quotations_invoice', ['workspace_id', 'converted_invoice_id'], 'invoices', ['workspace_id', 'id'])
    .addCheckConstraint('quotations_state', sql`(status = 'converted') = (converted_invoice_id is not null) and (status = 'converted') = (converted_at is not null)`)
    .execute();

  await createDocumentLines(db, engine, { table: 'quotation_lines', parent: 'quotations', parentColumn: 'quotation_id' });

  const refusal = `${QUOTATION_FIXED_RULE}: a converted quotation does not change`;
  if (engine === 'postgres') {
    await sql`create function ${sql.raw(QUOTATION_FIXED_RULE)}() returns trigger language plpgsql as $$
      begin
        if tg_table_name = 'quotations' then
          if old.status = 'converted' and (tg_op = 'UPDATE' or exists (select 1 from workspaces w where w.id = old.workspace_id)) then
            raise exception '${sql.raw(refusal)}' using errcode = 'check_violation', constraint = '${sql.raw(QUOTATION_FIXED_RULE)}';
          end if;
        elsif exists (select 1 from quotations q where q.workspace_id = coalesce(new.workspace_id, old.workspace_id)
            and q.id = coalesce(new.quotation_id, old.quotation_id) and q.status = 'converted')
          and exists (select 1 from workspaces w where w.id = coalesce(new.workspace_id, old.workspace_id)) then
          raise exception '${sql.raw(refusal)}' using errcode = 'check_violation', constraint = '${sql.raw(QUOTATION_FIXED_RULE)}';
        end if;
        return coalesce(new, old);
      end $$`.execute(db);
    await sql`create trigger ${sql.raw(QUOTATION_FIXED_RULE)} before update or delete on quotations
      for each row execute function ${sql.raw(QUOTATION_FIXED_RULE)}()`.execute(db);
    await sql`create trigger ${sql.raw(`${QUOTATION_FIXED_RULE}_lines`)} before insert or update or delete on quotation_lines
      for each row execute function ${sql.raw(QUOTATION_FIXED_RULE)}()`.execute(db);
    return;
  }
  const abort = sql.raw(`select raise(abort, '${refusal}')`);
  await sql`create trigger ${sql.raw(`${QUOTATION_FIXED_RULE}_update`)} before update on quotations when old.status = 'converted' begin ${abort}; end`.execute(db);
  await sql`create trigger ${sql.raw(`${QUOTATION_FIXED_RULE}_delete`)} before delete on quotations
    when old.status = 'converted' and exists (select 1 from workspaces w where w.id = old.workspace_id) begin ${abort}; end`.execute(db);
  for (const [event, row] of [['insert', 'new'], ['update', 'new'], ['delete', 'old']] as const) {
    await sql`create trigger ${sql.raw(`${QUOTATION_FIXED_RULE}_lines_${event}`)} before ${sql.raw(event)} on quotation_lines
      when exists (select 1 from quotations q where q.workspace_id = ${sql.raw(row)}.workspace_id and q.id = ${sql.raw(row)}.quotation_id and q.status = 'converted')
        and exists (select 1 from workspaces w where w.id = ${sql.raw(row)}.workspace_id)
      begin ${abort}; end`.execute(db);
  }
}
