import { sql, type CreateTableBuilder, type Kysely } from 'kysely';
import { timestampType, withIdColumn, type Engine } from '../../core/db/dialect.ts';

/**
 * Seed 002: plans with their limits, each workspace's plan and usage counters, its
 * settings, and its locations (every workspace gets a default "Inventory" one).
 *
 * What the database keeps, past the services:
 * - counters never go below zero (checks); the limit itself is kept by the one guarded
 *   UPDATE that raises a counter (plans.service.ts), which PostgreSQL and SQLite both run
 *   against the latest committed row;
 * - a default location names a location of the same workspace: the settings reference
 *   locations through (workspace_id, id); NO ACTION, so deleting a location that is a
 *   default is refused while deleting the whole workspace (both cascades in one statement)
 *   is not;
 * - a default location is never archived, and an archived one never becomes a default:
 *   the triggers `location_default_archived` on both tables;
 * - ranges and enums of the settings: checks.
 *
 * Percentages are stored exactly as integers in ten-thousandths of a percent (12.5 % is
 * 125000): no binary floating point anywhere between the request and the row.
 */
export const LOCATION_DEFAULT_ARCHIVED_RULE = 'location_default_archived';
const LOCATION_TYPES = ['warehouse', 'van', 'truck', 'site', 'other'] as const;
const DEFAULT_COLUMNS = ['default_location_id', 'default_invoice_source_location_id', 'default_transfer_from_location_id'] as const;

// The plans as first installed; `npm run tessera -- plan set …` changes them afterwards.
// [key, users, locations, items, suppliers, tags, usage (documents per billing cycle)]
const INITIAL_PLANS: readonly (readonly [string, number, number, number, number, number, number])[] = [
  ['free', 3, 2, 250, 25, 25, 100],
  ['pro', 10, 5, 5_000, 250, 100, 1_000],
  ['business', 25, 15, 25_000, 1_000, 250, 5_000],
  ['advanced', 50, 30, 100_000, 2_500, 500, 15_000],
  ['business plus', 100, 60, 250_000, 5_000, 1_000, 30_000],
  ['business extra', 250, 120, 500_000, 10_000, 2_500, 60_000],
  ['business max', 500, 250, 1_000_000, 25_000, 5_000, 120_000],
  ['enterprise', 100_000, 10_000, 100_000_000, 1_000_000, 100_000, 100_000_000],
];
// A self-hosted install limits nothing until its operator says so (`plan default free`).
const INITIAL_DEFAULT_PLAN = 'enterprise';

const inList = (values: readonly string[]) => sql.raw(values.map((value) => `'${value}'`).join(', '));

export async function up(db: Kysely<any>, engine: Engine): Promise<void> {
  const ts = timestampType(engine);

  await db.schema
    .createTable('plans')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('users_limit', 'integer', (c) => c.notNull().check(sql`users_limit >= 0`))
    .addColumn('locations_limit', 'integer', (c) => c.notNull().check(sql`locations_limit >= 0`))
    .addColumn('items_limit', 'integer', (c) => c.notNull().check(sql`items_limit >= 0`))
    .addColumn('suppliers_limit', 'integer', (c) => c.notNull().check(sql`suppliers_limit >= 0`))
    .addColumn('tags_limit', 'integer', (c) => c.notNull().check(sql`tags_limit >= 0`))
    .addColumn('usage_limit', 'integer', (c) => c.notNull().check(sql`usage_limit >= 0`))
    .addColumn('is_default', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  // At most one default plan, the one new workspaces start on.
  await db.schema.createIndex('plans_one_default').on('plans').column('is_default').unique().where(sql.ref('is_default'), '=', 1).execute();
  await db
    .insertInto('plans')
    .values(
      INITIAL_PLANS.map(([key, users, locations, items, suppliers, tags, usage], position) => ({
        key,
        position,
        users_limit: users,
        locations_limit: locations,
        items_limit: items,
        suppliers_limit: suppliers,
        tags_limit: tags,
        usage_limit: usage,
        is_default: key === INITIAL_DEFAULT_PLAN ? 1 : 0,
      })),
    )
    .execute();

  await db.schema
    .createTable('workspace_plans')
    .addColumn('workspace_id', 'integer', (c) => c.primaryKey().references('workspaces.id').onDelete('cascade'))
    .addColumn('plan_key', 'text', (c) => c.notNull().references('plans.key').onUpdate('cascade'))
    .addColumn('trial_ends_at', ts)
    .addColumn('billing_cycle_start', 'integer', (c) => c.notNull().defaultTo(1).check(sql`billing_cycle_start between 1 and 31`))
    .addColumn('users_usage', 'integer', (c) => c.notNull().defaultTo(0).check(sql`users_usage >= 0`))
    .addColumn('locations_usage', 'integer', (c) => c.notNull().defaultTo(0).check(sql`locations_usage >= 0`))
    .addColumn('items_usage', 'integer', (c) => c.notNull().defaultTo(0).check(sql`items_usage >= 0`))
    .addColumn('suppliers_usage', 'integer', (c) => c.notNull().defaultTo(0).check(sql`suppliers_usage >= 0`))
    .addColumn('tags_usage', 'integer', (c) => c.notNull().defaultTo(0).check(sql`tags_usage >= 0`))
    .addColumn('usage', 'integer', (c) => c.notNull().defaultTo(0).check(sql`usage >= 0`))
    .execute();
  await db.schema.createIndex('workspace_plans_plan').on('workspace_plans').column('plan_key').execute();

  await withIdColumn(db.schema.createTable('locations'), engine)
    .addColumn('workspace_id', 'integer', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('name_key', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull().check(sql`type in (${inList(LOCATION_TYPES)})`))
    .addColumn('address', 'text')
    .addColumn('archived_at', ts)
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .addUniqueConstraint('locations_workspace_name_key', ['workspace_id', 'name_key'])
    .addUniqueConstraint('locations_workspace_id', ['workspace_id', 'id'])
    .execute();

  let settings: CreateTableBuilder<'workspace_settings', string> = db.schema
    .createTable('workspace_settings')
    .addColumn('workspace_id', 'integer', (c) => c.primaryKey().references('workspaces.id').onDelete('cascade'))
    .addColumn('default_currency', 'text', (c) => c.notNull().defaultTo('USD').check(sql`length(default_currency) = 3`))
    .addColumn('invoice_number_prefix', 'text', (c) =>
      c.notNull().defaultTo('INV-').check(sql`length(invoice_number_prefix) between 1 and 12`),
    )
    .addColumn('default_tax_percent_e4', 'integer', (c) => c.notNull().defaultTo(0).check(sql`default_tax_percent_e4 between 0 and 1000000`))
    .addColumn('default_tax_included', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('default_invoice_due_days', 'integer', (c) =>
      c.notNull().defaultTo(30).check(sql`default_invoice_due_days between 0 and 365`),
    )
    .addColumn('default_markup_percent_e4', 'integer', (c) => c.check(sql`default_markup_percent_e4 between 0 and 10000000`))
    .addColumn('default_location_type', 'text', (c) =>
      c.notNull().defaultTo('warehouse').check(sql`default_location_type in (${inList(LOCATION_TYPES)})`),
    )
    .addColumn('invoicing_business_name', 'text')
    .addColumn('invoicing_brand_color', 'text')
    .addColumn('invoicing_email', 'text')
    .addColumn('invoicing_address', 'text');
  for (const column of DEFAULT_COLUMNS) settings = settings.addColumn(column, 'integer');
  for (const column of DEFAULT_COLUMNS) {
    settings = settings.addForeignKeyConstraint(`workspace_settings_${column}`, ['workspace_id', column], 'locations', ['workspace_id', 'id']);
  }
  await settings.execute();
  for (const column of DEFAULT_COLUMNS) {
    await db.schema.createIndex(`workspace_settings_${column}`).on('workspace_settings').columns(['workspace_id', column]).execute();
  }
  await createDefaultArchivedRule(db, engine);

  // Every existing workspace: its "Inventory" location, its settings naming it, and its
  // plan with counters taken from the rows that exist.
  await sql`insert into locations (workspace_id, name, name_key, type, created_at, updated_at)
    select id, 'Inventory', 'inventory', 'warehouse', created_at, created_at from workspaces`.execute(db);
  await sql`insert into workspace_settings (workspace_id, default_location_id)
    select workspace_id, id from locations`.execute(db);
  // A billing cycle restarts on the day of the month the workspace was created, as for new ones.
  const creationDay = engine === 'postgres' ? sql`cast(extract(day from w.created_at at time zone 'UTC') as integer)` : sql`cast(strftime('%d', w.created_at) as integer)`;
  await sql`insert into workspace_plans (workspace_id, plan_key, users_usage, locations_usage, billing_cycle_start)
    select w.id, ${INITIAL_DEFAULT_PLAN}, (select count(*) from memberships m where m.workspace_id = w.id), 1, ${creationDay}
    from workspaces w`.execute(db);
}

/** Whether a default location column of the settings row names an archived location. */
const defaultIsArchived = (row: 'NEW' | 's', location: string) =>
  DEFAULT_COLUMNS.map((column) => `${row}.${column} = ${location}`).join(' or ');

async function createDefaultArchivedRule(db: Kysely<any>, engine: Engine): Promise<void> {
  const rule = LOCATION_DEFAULT_ARCHIVED_RULE;
  // An archived location that some settings row names as a default.
  const archivingADefault = `NEW.archived_at is not null and exists (select 1 from workspace_settings s where s.workspace_id = NEW.workspace_id and (${defaultIsArchived('s', 'NEW.id')}))`;
  // A settings row naming an archived location of its workspace.
  const namingAnArchived = `exists (select 1 from locations l where l.workspace_id = NEW.workspace_id and l.archived_at is not null and (${defaultIsArchived('NEW', 'l.id')}))`;
  if (engine === 'postgres') {
    for (const [table, condition] of [
      ['locations', archivingADefault],
      ['workspace_settings', namingAnArchived],
    ] as const) {
      await sql
        .raw(
          `create function ${rule}_${table}() returns trigger language plpgsql as $$ begin ` +
            `if ${condition} then raise exception '${rule}' using errcode = 'check_violation', constraint = '${rule}'; end if; ` +
            `return NEW; end $$`,
        )
        .execute(db);
      await sql.raw(`create trigger ${rule}_${table} before insert or update on ${table} for each row execute function ${rule}_${table}()`).execute(db);
    }
    return;
  }
  for (const [table, condition] of [
    ['locations', archivingADefault],
    ['workspace_settings', namingAnArchived],
  ] as const) {
    for (const event of ['insert', 'update']) {
      await sql
        .raw(`create trigger ${rule}_${table}_${event} before ${event} on ${table} when ${condition} begin select raise(abort, '${rule}'); end`)
        .execute(db);
    }
  }
}
