import type { Kysely } from 'kysely';
import type { Engine } from '../../core/db/dialect.ts';
import { coverWithRecordVersionTriggers } from '../record-versions.ts';

/**
 * Record versions (../record-versions.ts): a counter per workspace and scope of records, so
 * pages of items and of stock levels can be kept between changes to what they show. Items
 * and their tags move `items`; stock levels move `stock` (every movement changes a level).
 */
export async function up(db: Kysely<any>, engine: Engine): Promise<void> {
  await db.schema
    .createTable('workspace_record_versions')
    .addColumn('workspace_id', 'integer', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('version', engine === 'postgres' ? 'bigint' : 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('workspace_record_versions_pk', ['workspace_id', 'scope'])
    .execute();
  await coverWithRecordVersionTriggers(db, engine, [
    { table: 'items', scope: 'items' },
    { table: 'item_tags', scope: 'items' },
    { table: 'stock_levels', scope: 'stock' },
  ]);
}
