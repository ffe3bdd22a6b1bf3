import { sql, type Kysely, type RawBuilder } from 'kysely';
import { timestampType, withIdColumn, type Engine } from '../../core/db/dialect.ts';

/**
 * Invoices and NCF fiscal sequences (issue 18).
 *
 * What the database keeps, past the services:
 * - invoice numbers are gapless per workspace and prefix: a series' counter only ever moves
 *   up by one (`invoice_number_step`), and a number is given to an invoice only as the value
 *   its series' counter has just taken (`invoice_number_drawn_in_order`), unique by index;
 * - an NCF is drawn the same way from its sequence (`ncf_draw_step`,
 *   `invoice_ncf_drawn_in_order`), unique in its workspace;
 * - the ranges of one NCF type in one tenant never overlap (`ncf_ranges_disjoint`: an
 *   exclusion constraint on PostgreSQL, a trigger on SQLite's single writer), and a range
 *   something was drawn from is never deleted while its workspace exists;
 * - an invoice that left the draft state never goes back, and its number, NCF, totals,
 *   customer, place and lines never change (`invoice_fixed_once_issued`); it is never deleted
 *   while its workspace exists (a voided invoice keeps its number);
 * - what was paid stays between zero and the total, and a paid invoice is paid in full;
 * - an invoice names a location, a contact and items of its own workspace (composite foreign
 *   keys), and money is exact: ten-thousandths as integers, bigint on PostgreSQL.
 *
 * Stock drawn by an invoice is booked as `sale` movements naming it (`invoice_id`), and
 * `return` movements when it is voided.
 */
export const INVOICE_STATUSES = ['draft', 'issued', 'paid', 'void'] as const;

/**
 * The NCF types (DGII, Norma General 06-2018 and the e-CF rules): B + 2 digits for printed
 * receipts (8-digit sequences), E + 2 digits for electronic ones (10-digit sequences).
 */
export const NCF_TYPES = [
  'B01', 'B02', 'B03', 'B04', 'B11', 'B12', 'B13', 'B14', 'B15', 'B16', 'B17',
  'E31', 'E32', 'E33', 'E34', 'E41', 'E43', 'E44', 'E45', 'E46', 'E47',
] as const;

/** Credit and debit notes (04/34, 03/33): they amend an earlier receipt and name its NCF. */
export const NOTE_TYPES: readonly (typeof NCF_TYPES)[number][] = ['B03', 'B04', 'E33', 'E34'];

/** DGII's reasons for voiding an NCF (format 608, "tipo de anulación"). */
export const VOID_REASONS = ['01', '02', '03', '04', '05', '06', '07', '08', '09', '10'] as const;

export const RULES = {
  numberStep: 'invoice_number_step',
  numberInOrder: 'invoice_number_drawn_in_order',
  ncfStep: 'ncf_draw_step',
  ncfInOrder: 'invoice_ncf_drawn_in_order',
  rangesDisjoint: 'ncf_ranges_disjoint',
  rangeKept: 'ncf_range_kept_once_drawn',
  fixedOnceIssued: 'invoice_fixed_once_issued',
} as const;

const list = (values: readonly string[]) => sql.raw(values.map((value) => `'${value}'`).join(', '));

/** An NCF's text from its type and number: the type, then the number padded to 8 (B) or 10 (E) digits. */
function ncfText(engine: Engine, type: RawBuilder<unknown>, number: RawBuilder<unknown>) {
  return engine === 'postgres'
    ? sql`${type} || lpad((${number})::text, case when left(${type}, 1) = 'B' then 8 else 10 end, '0')`
    : sql`${type} || substr('0000000000' || (${number}), case when substr(${type}, 1, 1) = 'B' then -8 else -10 end)`;
}

/**
 * The lines of a sales document (`invoice_lines` here, `quotation_lines` in 0022): an item of
 * the document's workspace or free text, its figures exact and adding up. FROZEN once
 * released: later migrations replay it.
 */
export async function createDocumentLines(db: Kysely<any>, engine: Engine, document: { table: string; parent: string; parentColumn: string }): Promise<void> {
  const amount = engine === 'postgres' ? 'bigint' : 'integer';
  await withIdColumn(db.schema.createTable(document.table), engine)
    .addColumn('workspace_id', 'integer', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn(document.parentColumn, 'integer', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('item_id', 'integer')
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('quantity_e4', amount, (c) => c.notNull().check(sql`quantity_e4 > 0`))
    .addColumn('unit_price_e4', amount, (c) => c.notNull().check(sql`unit_price_e4 >= 0`))
    .addColumn('discount_percent_e4', 'integer', (c) => c.notNull().check(sql`discount_percent_e4 between 0 and 1000000`))
    .addColumn('tax_percent_e4', 'integer', (c) => c.notNull().check(sql`tax_percent_e4 between 0 and 1000000`))
    .addColumn('subtotal_e4', amount, (c) => c.notNull().check(sql`subtotal_e4 >= 0`))
    .addColumn('tax_e4', amount, (c) => c.notNull().check(sql`tax_e4 >= 0`))
    .addColumn('total_e4', amount, (c) => c.notNull().check(sql`total_e4 = subtotal_e4 + tax_e4`))
    .addUniqueConstraint(`${document.table}_position`, ['workspace_id', document.parentColumn, 'position'])
    .addForeignKeyConstraint(`${document.table}_${document.parent.replace(/s$/, '')}`, ['workspace_id', document.parentColumn], document.parent, ['workspace_id', 'id'], (fk) => fk.onDelete('cascade'))
    .addForeignKeyConstraint(`${document.table}_item`, ['workspace_id', 'item_id'], 'items', ['workspace_id', 'id'])
    .execute();
}

export async function up(db: Kysely<any>, engine: Engine): Promise<void> {
  const ts = timestampType(engine);
  const amount = engine === 'postgres' ? 'bigint' : 'integer';

  await db.schema
    .createTable('invoice_number_series')
    .addColumn('workspace_id', 'integer', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('last_number', 'integer', (c) => c.notNull().check(sql`last_number >= 1`))
    .addPrimaryKeyConstraint('invoice_number_series_pk', ['workspace_id', 'prefix'])
    .execute();

  await withIdColumn(db.schema.createTable('ncf_sequences'), engine)
    .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('workspace_id', 'integer', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('document_type', 'text', (c) => c.notNull().check(sql`document_type in (${list(NCF_TYPES)})`))
    .addColumn('range_start', amount, (c) => c.notNull())
    .addColumn('range_end', amount, (c) => c.notNull())
    .addColumn('next_number', amount, (c) => c.notNull())
    .addColumn('authorization_number', 'text', (c) => c.notNull())
    .addColumn('authorized_on', 'text', (c) => c.notNull())
    .addColumn('expires_on', 'text', (c) => c.notNull())
    .addColumn('low_remaining_threshold', 'integer', (c) => c.notNull().check(sql`low_remaining_threshold >= 0`))
    .addColumn('created_at', ts, (c) => c.notNull())
    .addCheckConstraint(
      'ncf_sequences_range',
      sql`range_start >= 1 and range_end >= range_start
        and range_end <= case when substr(document_type, 1, 1) = 'B' then 99999999 else 9999999999 end
        and next_number between range_start and range_end + 1`,
    )
    .execute();
  await db.schema.createIndex('ncf_sequences_workspace').on('ncf_sequences').columns(['workspace_id', 'document_type', 'range_start']).execute();

  await withIdColumn(db.schema.createTable('invoices'), engine)
    .addColumn('workspace_id', 'integer', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('location_id', 'integer', (c) => c.notNull())
    .addColumn('contact_id', 'integer')
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in (${list(INVOICE_STATUSES)})`))
    .addColumn('document_subtype', 'text', (c) => c.check(sql`document_subtype in (${list(NCF_TYPES)})`))
    .addColumn('reference_invoice_id', 'integer')
    .addColumn('reference_ncf', 'text')
    .addColumn('ncf', 'text')
    .addColumn('ncf_sequence_id', 'integer', (c) => c.references('ncf_sequences.id'))
    .addColumn('number_prefix', 'text')
    .addColumn('number_sequence', 'integer')
    .addColumn('number', 'text')
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('tax_included', 'integer', (c) => c.notNull().check(sql`tax_included in (0, 1)`))
    .addColumn('issue_date', 'text')
    .addColumn('due_date', 'text')
    .addColumn('customer_name', 'text')
    .addColumn('customer_tax_id', 'text')
    .addColumn('issuer_name', 'text')
    .addColumn('issuer_email', 'text')
    .addColumn('issuer_address', 'text')
    .addColumn('notes', 'text')
    .addColumn('subtotal_e4', amount, (c) => c.notNull().check(sql`subtotal_e4 >= 0`))
    .addColumn('tax_e4', amount, (c) => c.notNull().check(sql`tax_e4 >= 0`))
    .addColumn('total_e4', amount, (c) => c.notNull().check(sql`total_e4 >= 0`))
    .addColumn('paid_e4', amount, (c) => c.notNull().defaultTo(0))
    .addColumn('void_reason', 'text', (c) => c.check(sql`void_reason in (${list(VOID_REASONS)})`))
    .addColumn('void_note', 'text')
    .addColumn('created_by_user_id', 'integer')
    .addColumn('issued_at', ts)
    .addColumn('paid_at', ts)
    .addColumn('voided_at', ts)
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .addUniqueConstraint('invoices_workspace_id', ['workspace_id', 'id'])
    .addUniqueConstraint('invoices_workspace_number', ['workspace_id', 'number'])
    .addUniqueConstraint('invoices_workspace_series', ['workspace_id', 'number_prefix', 'number_sequence'])
    .addUniqueConstraint('invoices_workspace_ncf', ['workspace_id', 'ncf'])
    .addForeignKeyConstraint('invoices_location', ['workspace_id', 'location_id'], 'locations', ['workspace_id', 'id'])
    .addForeignKeyConstraint('invoices_contact', ['workspace_id', 'contact_id'], 'contacts', ['workspace_id', 'id'])
    .addForeignKeyConstraint('invoices_reference', ['workspace_id', 'reference_invoice_id'], 'invoices', ['workspace_id', 'id'])
    .addCheckConstraint(
      'invoices_state',
      sql`(status = 'draft') = (number is null)
        and (number is null) = (number_sequence is null) and (number is null) = (issued_at is null)
        and (ncf is null) = (ncf_sequence_id is null) and (status = 'draft' and ncf is null or status <> 'draft')
        and (status = 'void') = (voided_at is not null) and (status = 'void') = (void_reason is not null)
        and paid_e4 between 0 and total_e4 and (status <> 'paid' or paid_e4 = total_e4)
        and total_e4 = subtotal_e4 + tax_e4`,
    )
    .execute();
  await db.schema.createIndex('invoices_location').on('invoices').columns(['workspace_id', 'location_id', 'id']).execute();
  await db.schema.createIndex('invoices_status').on('invoices').columns(['workspace_id', 'status', 'id']).execute();
  await db.schema.createIndex('invoices_voided').on('invoices').columns(['workspace_id', 'voided_at']).execute();

  await createDocumentLines(db, engine, { table: 'invoice_lines', parent: 'invoices', parentColumn: 'invoice_id' });

  await withIdColumn(db.schema.createTable('invoice_payments'), engine)
    .addColumn('workspace_id', 'integer', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('invoice_id', 'integer', (c) => c.notNull())
    .addColumn('amount_e4', amount, (c) => c.notNull().check(sql`amount_e4 > 0`))
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('reference', 'text')
    .addColumn('paid_on', 'text', (c) => c.notNull())
    .addColumn('actor_user_id', 'integer')
    .addColumn('actor_api_key_id', 'integer')
    .addColumn('created_at', ts, (c) => c.notNull())
    .addForeignKeyConstraint('invoice_payments_invoice', ['workspace_id', 'invoice_id'], 'invoices', ['workspace_id', 'id'])
    .execute();
  await db.schema.createIndex('invoice_payments_invoice').on('invoice_payments').columns(['workspace_id', 'invoice_id', 'id']).execute();

  // A sale or return names the invoice that moved it (no foreign key: SQLite adds none to an existing table).
  await db.schema.alterTable('stock_movements').addColumn('invoice_id', 'integer').execute();

  if (engine === 'postgres') await postgresRules(db);
  else await sqliteRules(db);
}

function refusal(rule: string, message: string) {
  return sql.raw(`raise exception '${rule}: ${message}' using errcode = 'check_violation', constraint = '${rule}'`);
}

async function postgresRules(db: Kysely<any>): Promise<void> {
  const fn = async (rule: string, body: RawBuilder<unknown>) =>
    sql`create function ${sql.raw(rule)}() returns trigger language plpgsql as $$ begin ${body} end $$`.execute(db);

  await fn(RULES.numberStep, sql`
    if (tg_op = 'INSERT' and new.last_number <> 1) or (tg_op = 'UPDATE' and new.last_number <> old.last_number + 1) then
      ${refusal(RULES.numberStep, 'an invoice number series moves up by one')};
    end if;
    return new;`);
  await sql`create trigger ${sql.raw(RULES.numberStep)} before insert or update on invoice_number_series
    for each row execute function ${sql.raw(RULES.numberStep)}()`.execute(db);

  await fn(RULES.ncfStep, sql`
    if new.next_number <> old.next_number and new.next_number <> old.next_number + 1 then
      ${refusal(RULES.ncfStep, 'an NCF sequence moves up by one')};
    end if;
    if (new.document_type, new.range_start, new.range_end, new.workspace_id, new.tenant_id) is distinct from
       (old.document_type, old.range_start, old.range_end, old.workspace_id, old.tenant_id) and old.next_number <> old.range_start then
      ${refusal(RULES.ncfStep, 'a range something was drawn from keeps its bounds')};
    end if;
    return new;`);
  await sql`create trigger ${sql.raw(RULES.ncfStep)} before update on ncf_sequences
    for each row execute function ${sql.raw(RULES.ncfStep)}()`.execute(db);

  await fn(RULES.rangeKept, sql`
    if old.next_number <> old.range_start and exists (select 1 from workspaces w where w.id = old.workspace_id) then
      ${refusal(RULES.rangeKept, 'a range something was drawn from is kept')};
    end if;
    return old;`);
  await sql`create trigger ${sql.raw(RULES.rangeKept)} before delete on ncf_sequences
    for each row execute function ${sql.raw(RULES.rangeKept)}()`.execute(db);

  // btree_gist gives the equality operators an exclusion constraint needs beside the range's overlap.
  await sql`create extension if not exists btree_gist`.execute(db);
  await sql`alter table ncf_sequences add constraint ${sql.raw(RULES.rangesDisjoint)}
    exclude using gist (tenant_id with =, document_type with =, int8range(range_start, range_end, '[]') with &&)`.execute(db);

  await fn(RULES.numberInOrder, sql`
    if new.number_sequence is not null and (tg_op = 'INSERT' or old.number_sequence is null)
      and not exists (select 1 from invoice_number_series s where s.workspace_id = new.workspace_id
        and s.prefix = new.number_prefix and s.last_number = new.number_sequence) then
      ${refusal(RULES.numberInOrder, 'an invoice number is the one its series has just drawn')};
    end if;
    if new.ncf is not null and (tg_op = 'INSERT' or old.ncf is null)
      and not exists (select 1 from ncf_sequences s where s.id = new.ncf_sequence_id and s.workspace_id = new.workspace_id
        and new.ncf = ${ncfText('postgres', sql`s.document_type`, sql`s.next_number - 1`)}) then
      ${refusal(RULES.ncfInOrder, 'an NCF is the one its sequence has just drawn')};
    end if;
    return new;`);
  await sql`create trigger ${sql.raw(RULES.numberInOrder)} before insert or update on invoices
    for each row execute function ${sql.raw(RULES.numberInOrder)}()`.execute(db);

  await fn(RULES.fixedOnceIssued, sql`
    if tg_op = 'DELETE' then
      if old.status <> 'draft' and exists (select 1 from workspaces w where w.id = old.workspace_id) then
        ${refusal(RULES.fixedOnceIssued, 'an issued invoice is kept')};
      end if;
      return old;
    end if;
    if old.status <> 'draft' and (new.status = 'draft' or old.status = 'void'
      or (new.number, new.number_prefix, new.number_sequence, new.ncf, new.ncf_sequence_id, new.document_subtype, new.subtotal_e4, new.tax_e4,
          new.total_e4, new.location_id, new.contact_id, new.currency, new.issue_date, new.customer_name, new.customer_tax_id, new.reference_ncf)
        is distinct from
         (old.number, old.number_prefix, old.number_sequence, old.ncf, old.ncf_sequence_id, old.document_subtype, old.subtotal_e4, old.tax_e4,
          old.total_e4, old.location_id, old.contact_id, old.currency, old.issue_date, old.customer_name, old.customer_tax_id, old.reference_ncf)) then
      ${refusal(RULES.fixedOnceIssued, 'an issued invoice does not change')};
    end if;
    return new;`);
  await sql`create trigger ${sql.raw(RULES.fixedOnceIssued)} before update or delete on invoices
    for each row execute function ${sql.raw(RULES.fixedOnceIssued)}()`.execute(db);

  await sql`create function invoice_lines_fixed_once_issued() returns trigger language plpgsql as $$
    begin
      -- A workspace's deletion takes its invoices' lines with it (the workspace is gone by then).
      if exists (select 1 from invoices i where i.workspace_id = coalesce(new.workspace_id, old.workspace_id)
          and i.id = coalesce(new.invoice_id, old.invoice_id) and i.status <> 'draft')
        and exists (select 1 from workspaces w where w.id = coalesce(new.workspace_id, old.workspace_id)) then
        ${refusal(RULES.fixedOnceIssued, 'the lines of an issued invoice do not change')};
      end if;
      return coalesce(new, old);
    end $$`.execute(db);
  await sql`create trigger invoice_lines_fixed_once_issued before insert or update or delete on invoice_lines
    for each row execute function invoice_lines_fixed_once_issued()`.execute(db);
}

async function sqliteRules(db: Kysely<any>): Promise<void> {
  const abort = (rule: string, message: string) => sql.raw(`select raise(abort, '${rule}: ${message}')`);
  const trigger = (name: string, event: RawBuilder<unknown>, when: RawBuilder<unknown>, rule: string, message: string) =>
    sql`create trigger ${sql.raw(name)} ${event} when ${when} begin ${abort(rule, message)}; end`.execute(db);

  await trigger(`${RULES.numberStep}_insert`, sql`before insert on invoice_number_series`, sql`new.last_number <> 1`, RULES.numberStep, 'an invoice number series moves up by one');
  await trigger(`${RULES.numberStep}_update`, sql`before update on invoice_number_series`, sql`new.last_number <> old.last_number + 1`, RULES.numberStep, 'an invoice number series moves up by one');

  await trigger(`${RULES.ncfStep}_update`, sql`before update of next_number on ncf_sequences`, sql`new.next_number <> old.next_number and new.next_number <> old.next_number + 1`, RULES.ncfStep, 'an NCF sequence moves up by one');
  await trigger(
    `${RULES.ncfStep}_bounds`,
    sql`before update of document_type, range_start, range_end, workspace_id, tenant_id on ncf_sequences`,
    sql`old.next_number <> old.range_start and (new.document_type is not old.document_type or new.range_start <> old.range_start
      or new.range_end <> old.range_end or new.workspace_id <> old.workspace_id or new.tenant_id <> old.tenant_id)`,
    RULES.ncfStep,
    'a range something was drawn from keeps its bounds',
  );
  await trigger(
    RULES.rangeKept,
    sql`before delete on ncf_sequences`,
    sql`old.next_number <> old.range_start and exists (select 1 from workspaces w where w.id = old.workspace_id)`,
    RULES.rangeKept,
    'a range something was drawn from is kept',
  );
  const overlaps = sql`exists (select 1 from ncf_sequences o where o.tenant_id = new.tenant_id and o.document_type = new.document_type
    and o.range_start <= new.range_end and new.range_start <= o.range_end and o.id is not new.id)`;
  await trigger(`${RULES.rangesDisjoint}_insert`, sql`before insert on ncf_sequences`, overlaps, RULES.rangesDisjoint, 'NCF ranges of one type in a tenant do not overlap');
  await trigger(`${RULES.rangesDisjoint}_update`, sql`before update of tenant_id, document_type, range_start, range_end on ncf_sequences`, overlaps, RULES.rangesDisjoint, 'NCF ranges of one type in a tenant do not overlap');

  const numberDrawn = sql`new.number_sequence is not null and not exists (select 1 from invoice_number_series s where s.workspace_id = new.workspace_id
    and s.prefix = new.number_prefix and s.last_number = new.number_sequence)`;
  const ncfDrawn = sql`new.ncf is not null and not exists (select 1 from ncf_sequences s where s.id = new.ncf_sequence_id and s.workspace_id = new.workspace_id
    and new.ncf = ${ncfText('sqlite', sql`s.document_type`, sql`s.next_number - 1`)})`;
  await trigger(`${RULES.numberInOrder}_insert`, sql`before insert on invoices`, numberDrawn, RULES.numberInOrder, 'an invoice number is the one its series has just drawn');
  await trigger(`${RULES.numberInOrder}_update`, sql`before update of number_sequence on invoices`, sql`old.number_sequence is null and ${numberDrawn}`, RULES.numberInOrder, 'an invoice number is the one its series has just drawn');
  await trigger(`${RULES.ncfInOrder}_insert`, sql`before insert on invoices`, ncfDrawn, RULES.ncfInOrder, 'an NCF is the one its sequence has just drawn');
  await trigger(`${RULES.ncfInOrder}_update`, sql`before update of ncf on invoices`, sql`old.ncf is null and ${ncfDrawn}`, RULES.ncfInOrder, 'an NCF is the one its sequence has just drawn');

  const fixedColumns = ['number', 'number_prefix', 'number_sequence', 'ncf', 'ncf_sequence_id', 'document_subtype', 'subtotal_e4', 'tax_e4', 'total_e4', 'location_id', 'contact_id', 'currency', 'issue_date', 'customer_name', 'customer_tax_id', 'reference_ncf'];
  const changed = sql.raw(fixedColumns.map((column) => `new.${column} is not old.${column}`).join(' or '));
  await trigger(
    `${RULES.fixedOnceIssued}_update`,
    sql`before update on invoices`,
    sql`old.status <> 'draft' and (new.status = 'draft' or old.status = 'void' or ${changed})`,
    RULES.fixedOnceIssued,
    'an issued invoice does not change',
  );
  await trigger(
    `${RULES.fixedOnceIssued}_delete`,
    sql`before delete on invoices`,
    sql`old.status <> 'draft' and exists (select 1 from workspaces w where w.id = old.workspace_id)`,
    RULES.fixedOnceIssued,
    'an issued invoice is kept',
  );
  const issuedInvoice = (row: 'new' | 'old') =>
    sql.raw(
      `exists (select 1 from invoices i where i.workspace_id = ${row}.workspace_id and i.id = ${row}.invoice_id and i.status <> 'draft')` +
        ` and exists (select 1 from workspaces w where w.id = ${row}.workspace_id)`,
    );
  for (const [event, row] of [['insert', 'new'], ['update', 'new'], ['delete', 'old']] as const) {
    await trigger(`invoice_lines_fixed_once_issued_${event}`, sql.raw(`before ${event} on invoice_lines`), issuedInvoice(row), RULES.fixedOnceIssued, 'the lines of an issued invoice do not change');
  }
}
