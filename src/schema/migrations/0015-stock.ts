import { sql, type Kysely } from 'kysely';
import { timestampType, withIdColumn, type Engine } from '../../core/db/dialect.ts';

/**
 * Stock (issue 17, second part): an append-only ledger of movements and the levels it adds
 * up to, per item and location of one workspace.
 *
 * What the database keeps, past the services:
 * - a movement names an item and a location of its own workspace (composite foreign keys,
 *   NO ACTION: an item or location with history is not deleted, while a whole workspace's
 *   deletion takes everything at once);
 * - a movement never changes: triggers refuse its UPDATE, and its DELETE while its workspace
 *   exists (a workspace's deletion removes its ledger by cascade, after the workspace row);
 * - a level never goes below zero nor past MAX_LEVEL_E4 (a check); the service raises and lowers it with one
 *   guarded statement in the movement's transaction, so levels equal the ledger's sums;
 * - quantities are exact: ten-thousandths as integers (2.5 kg is 25000), bigint on PostgreSQL;
 *   each movement's quantity is non-zero, positive for what comes in, negative for what goes.
 */
export const STOCK_MOVEMENT_KINDS = ['receipt', 'adjustment', 'transfer_out', 'transfer_in', 'sale', 'return'] as const;
export const LEDGER_APPEND_ONLY_RULE = 'stock_ledger_append_only';
/**
 * The largest level, in ten-thousandths: the largest quantity one request may name
 * (99,999,999,999.9999), so a level is always a safe integer in JavaScript.
 */
export const MAX_LEVEL_E4 = 999_999_999_999_999;

export async function up(db: Kysely<any>, engine: Engine): Promise<void> {
  const ts = timestampType(engine);
  const quantity = engine === 'postgres' ? 'bigint' : 'integer';
  const kinds = sql.raw(STOCK_MOVEMENT_KINDS.map((kind) => `'${kind}'`).join(', '));

  await withIdColumn(db.schema.createTable('stock_movements'), engine)
    .addColumn('workspace_id', 'integer', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('item_id', 'integer', (c) => c.notNull())
    .addColumn('location_id', 'integer', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in (${kinds})`))
    .addColumn('quantity_e4', quantity, (c) => c.notNull().check(sql`quantity_e4 <> 0`))
    .addColumn('reason', 'text')
    // On a transfer's incoming leg: the id of its outgoing leg, which is the transfer's id.
    .addColumn('transfer_id', 'integer')
    .addColumn('actor_user_id', 'integer')
    .addColumn('actor_api_key_id', 'integer')
    .addColumn('created_at', ts, (c) => c.notNull())
    .addForeignKeyConstraint('stock_movements_item', ['workspace_id', 'item_id'], 'items', ['workspace_id', 'id'])
    .addForeignKeyConstraint('stock_movements_location', ['workspace_id', 'location_id'], 'locations', ['workspace_id', 'id'])
    .execute();
  await db.schema.createIndex('stock_movements_item').on('stock_movements').columns(['workspace_id', 'item_id', 'id']).execute();
  await db.schema.createIndex('stock_movements_location').on('stock_movements').columns(['workspace_id', 'location_id', 'id']).execute();

  await withIdColumn(db.schema.createTable('stock_levels'), engine)
    .addColumn('workspace_id', 'integer', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('item_id', 'integer', (c) => c.notNull())
    .addColumn('location_id', 'integer', (c) => c.notNull())
    .addColumn('quantity_e4', quantity, (c) => c.notNull().check(sql`quantity_e4 between 0 and ${sql.lit(MAX_LEVEL_E4)}`))
    .addColumn('updated_at', ts, (c) => c.notNull())
    .addUniqueConstraint('stock_levels_item_location', ['workspace_id', 'item_id', 'location_id'])
    .addForeignKeyConstraint('stock_levels_item', ['workspace_id', 'item_id'], 'items', ['workspace_id', 'id'])
    .addForeignKeyConstraint('stock_levels_location', ['workspace_id', 'location_id'], 'locations', ['workspace_id', 'id'])
    .execute();
  await db.schema.createIndex('stock_levels_location').on('stock_levels').columns(['workspace_id', 'location_id', 'id']).execute();

  // The ledger is append-only: a movement is corrected by another movement, never edited.
  if (engine === 'postgres') {
    await sql`
      create function ${sql.raw(LEDGER_APPEND_ONLY_RULE)}() returns trigger language plpgsql as $$
      begin
        if tg_op = 'DELETE' and not exists (select 1 from workspaces w where w.id = old.workspace_id) then return old; end if;
        raise exception '${sql.raw(LEDGER_APPEND_ONLY_RULE)}: stock movements are never changed' using errcode = 'check_violation', constraint = '${sql.raw(LEDGER_APPEND_ONLY_RULE)}';
      end $$`.execute(db);
    await sql`
      create trigger ${sql.raw(LEDGER_APPEND_ONLY_RULE)} before update or delete on stock_movements
      for each row execute function ${sql.raw(LEDGER_APPEND_ONLY_RULE)}()`.execute(db);
  } else {
    await sql`
      create trigger ${sql.raw(`${LEDGER_APPEND_ONLY_RULE}_update`)} before update on stock_movements
      begin select raise(abort, '${sql.raw(LEDGER_APPEND_ONLY_RULE)}: stock movements are never changed'); end`.execute(db);
    await sql`
      create trigger ${sql.raw(`${LEDGER_APPEND_ONLY_RULE}_delete`)} before delete on stock_movements
      when exists (select 1 from workspaces w where w.id = old.workspace_id)
      begin select raise(abort, '${sql.raw(LEDGER_APPEND_ONLY_RULE)}: stock movements are never changed'); end`.execute(db);
  }
}
