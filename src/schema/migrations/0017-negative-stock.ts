import { sql, type Kysely } from 'kysely';
import { timestampType, withIdColumn, type Engine } from '../../core/db/dialect.ts';
import { MAX_LEVEL_E4 } from './0015-stock.ts';

/**
 * Negative stock by workspace setting (issue 17): `workspace_settings.allow_negative_stock`,
 * off by default. A workspace that sells before the goods are booked in may let a level go
 * below zero; every other keeps "never below zero".
 *
 * What the database keeps, past the service's guarded statements:
 * - a level stays within ±MAX_LEVEL_E4 (the check, widened from 0…MAX_LEVEL_E4);
 * - a level goes below zero, or lower while below zero, only while its workspace allows it
 *   (a trigger reading the setting at the statement, so a take that raced the setting's
 *   change back to off is refused); raising a negative level is always allowed, and turning
 *   the setting off leaves existing negative levels as they are, to be booked back up.
 *
 * SQLite cannot change a column's check: stock_levels is rebuilt under the same name, ids
 * and index.
 */
export const LEVEL_NOT_NEGATIVE_RULE = 'stock_level_not_negative';

export async function up(db: Kysely<any>, engine: Engine): Promise<void> {
  await db.schema
    .alterTable('workspace_settings')
    .addColumn('allow_negative_stock', 'integer', (c) => c.notNull().defaultTo(0).check(sql`allow_negative_stock in (0, 1)`))
    .execute();

  const within = sql`quantity_e4 between ${sql.lit(-MAX_LEVEL_E4)} and ${sql.lit(MAX_LEVEL_E4)}`;
  if (engine === 'postgres') {
    await sql`alter table stock_levels drop constraint stock_levels_quantity_e4_check`.execute(db);
    await sql`alter table stock_levels add constraint stock_levels_quantity_e4_check check (${within})`.execute(db);
    await sql`
      create function ${sql.raw(LEVEL_NOT_NEGATIVE_RULE)}() returns trigger language plpgsql as $$
      begin
        if new.quantity_e4 < 0 and (tg_op = 'INSERT' or new.quantity_e4 < old.quantity_e4)
          and not exists (select 1 from workspace_settings s where s.workspace_id = new.workspace_id and s.allow_negative_stock = 1) then
          raise exception '${sql.raw(LEVEL_NOT_NEGATIVE_RULE)}: this workspace keeps stock at zero or more'
            using errcode = 'check_violation', constraint = '${sql.raw(LEVEL_NOT_NEGATIVE_RULE)}';
        end if;
        return new;
      end $$`.execute(db);
    await sql`
      create trigger ${sql.raw(LEVEL_NOT_NEGATIVE_RULE)} before insert or update of quantity_e4 on stock_levels
      for each row execute function ${sql.raw(LEVEL_NOT_NEGATIVE_RULE)}()`.execute(db);
    return;
  }

  await withIdColumn(db.schema.createTable('stock_levels_rebuilt'), engine)
    .addColumn('workspace_id', 'integer', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('item_id', 'integer', (c) => c.notNull())
    .addColumn('location_id', 'integer', (c) => c.notNull())
    .addColumn('quantity_e4', 'integer', (c) => c.notNull().check(within))
    .addColumn('updated_at', timestampType(engine), (c) => c.notNull())
    .addUniqueConstraint('stock_levels_item_location', ['workspace_id', 'item_id', 'location_id'])
    .addForeignKeyConstraint('stock_levels_item', ['workspace_id', 'item_id'], 'items', ['workspace_id', 'id'])
    .addForeignKeyConstraint('stock_levels_location', ['workspace_id', 'location_id'], 'locations', ['workspace_id', 'id'])
    .execute();
  await sql`insert into stock_levels_rebuilt (id, workspace_id, item_id, location_id, quantity_e4, updated_at)
    select id, workspace_id, item_id, location_id, quantity_e4, updated_at from stock_levels`.execute(db);
  await db.schema.dropTable('stock_levels').execute();
  await db.schema.alterTable('stock_levels_rebuilt').renameTo('stock_levels').execute();
  await db.schema.createIndex('stock_levels_location').on('stock_levels').columns(['workspace_id', 'location_id', 'id']).execute();

  const refuse = sql.raw(`select raise(abort, '${LEVEL_NOT_NEGATIVE_RULE}: this workspace keeps stock at zero or more')`);
  const disallowed = sql`not exists (select 1 from workspace_settings s where s.workspace_id = new.workspace_id and s.allow_negative_stock = 1)`;
  await sql`
    create trigger ${sql.raw(`${LEVEL_NOT_NEGATIVE_RULE}_insert`)} before insert on stock_levels
    when new.quantity_e4 < 0 and ${disallowed}
    begin ${refuse}; end`.execute(db);
  await sql`
    create trigger ${sql.raw(`${LEVEL_NOT_NEGATIVE_RULE}_update`)} before update of quantity_e4 on stock_levels
    when new.quantity_e4 < 0 and new.quantity_e4 < old.quantity_e4 and ${disallowed}
    begin ${refuse}; end`.execute(db);
}
