import { sql, type Kysely } from 'kysely';
import { timestampType, withIdColumn, type Engine } from '../../core/db/dialect.ts';

/**
 * The product catalogue (issue 17): suppliers, tags and items, each owned by one workspace.
 *
 * What the database keeps, past the services:
 * - names (suppliers, tags) and SKUs (items) unique per workspace by their normalized key,
 *   and a barcode names at most one item of a workspace;
 * - an item's preferred supplier and its tags are of the item's own workspace: the foreign
 *   keys go through (workspace_id, id). A tag's links go with the tag or the item; a supplier
 *   named by items is refused deletion by NO ACTION unless the service clears them first
 *   (it does, in the same transaction), while a whole workspace's deletion takes all at once;
 * - money is exact: ten-thousandths of the currency unit as integers (12.50 is 125000),
 *   never below zero (checks); bigint on PostgreSQL, SQLite's integer is 64-bit already.
 */
export async function up(db: Kysely<any>, engine: Engine): Promise<void> {
  const ts = timestampType(engine);
  const money = engine === 'postgres' ? 'bigint' : 'integer';

  for (const table of ['suppliers', 'tags'] as const) {
    let builder = withIdColumn(db.schema.createTable(table), engine)
      .addColumn('workspace_id', 'integer', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('name_key', 'text', (c) => c.notNull());
    builder =
      table === 'suppliers'
        ? builder.addColumn('email', 'text').addColumn('phone', 'text').addColumn('tax_id', 'text').addColumn('notes', 'text')
        : builder.addColumn('color', 'text');
    await builder
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('updated_at', ts, (c) => c.notNull())
      .addUniqueConstraint(`${table}_workspace_name_key`, ['workspace_id', 'name_key'])
      .addUniqueConstraint(`${table}_workspace_id`, ['workspace_id', 'id'])
      .execute();
  }

  await withIdColumn(db.schema.createTable('items'), engine)
    .addColumn('workspace_id', 'integer', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('sku', 'text', (c) => c.notNull())
    .addColumn('sku_key', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('name_key', 'text', (c) => c.notNull())
    .addColumn('unit', 'text', (c) => c.notNull())
    .addColumn('barcode', 'text')
    .addColumn('unit_cost_e4', money, (c) => c.notNull().check(sql`unit_cost_e4 >= 0`))
    .addColumn('sell_price_e4', money, (c) => c.notNull().check(sql`sell_price_e4 >= 0`))
    .addColumn('preferred_supplier_id', 'integer')
    .addColumn('archived_at', ts)
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .addUniqueConstraint('items_workspace_sku_key', ['workspace_id', 'sku_key'])
    .addUniqueConstraint('items_workspace_id', ['workspace_id', 'id'])
    .addForeignKeyConstraint('items_preferred_supplier', ['workspace_id', 'preferred_supplier_id'], 'suppliers', ['workspace_id', 'id'])
    .execute();
  await db.schema.createIndex('items_workspace_barcode').on('items').columns(['workspace_id', 'barcode']).unique().where(sql.ref('barcode'), 'is not', null).execute();
  // Prefix search by name, in key order within the workspace.
  await db.schema.createIndex('items_workspace_name_key').on('items').columns(['workspace_id', 'name_key', 'id']).execute();
  await db.schema.createIndex('items_workspace_supplier').on('items').columns(['workspace_id', 'preferred_supplier_id']).execute();

  await db.schema
    .createTable('item_tags')
    .addColumn('workspace_id', 'integer', (c) => c.notNull())
    .addColumn('item_id', 'integer', (c) => c.notNull())
    .addColumn('tag_id', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('item_tags_pk', ['item_id', 'tag_id'])
    .addForeignKeyConstraint('item_tags_item', ['workspace_id', 'item_id'], 'items', ['workspace_id', 'id'], (fk) => fk.onDelete('cascade'))
    .addForeignKeyConstraint('item_tags_tag', ['workspace_id', 'tag_id'], 'tags', ['workspace_id', 'id'], (fk) => fk.onDelete('cascade'))
    .execute();
  await db.schema.createIndex('item_tags_tag').on('item_tags').columns(['workspace_id', 'tag_id', 'item_id']).execute();
}
