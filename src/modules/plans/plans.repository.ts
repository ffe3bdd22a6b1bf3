import { sql } from 'kysely';
import type { Executor, Tx } from '../../schema/database.ts';
import {
  LIMIT_COLUMN,
  USAGE_COLUMN,
  type PlanKey,
  type PlanLimit,
  type PlanRow,
  type PlansTable,
  type WorkspacePlanChanges,
  type WorkspacePlanRow,
} from './plans.table.ts';

export type WorkspacePlan = WorkspacePlanRow & Omit<PlanRow, 'key' | 'position' | 'is_default'>;

/** The workspace's plan row, on the plan marked default. */
export async function insertWorkspacePlan(tx: Tx, workspaceId: number, billingCycleStart: number): Promise<boolean> {
  const result = await tx
    .insertInto('workspace_plans')
    .columns(['workspace_id', 'plan_key', 'billing_cycle_start'])
    .expression((eb) =>
      eb
        .selectFrom('plans')
        .select([eb.val(workspaceId).as('workspace_id'), 'key', eb.val(billingCycleStart).as('billing_cycle_start')])
        .where('is_default', '=', 1),
    )
    .executeTakeFirst();
  return (result.numInsertedOrUpdatedRows ?? 0n) > 0n;
}

/**
 * Raises a counter by `count` unless that passes the plan's limit, in one statement: both
 * engines evaluate the condition against the latest committed row, under its row lock, so
 * concurrent raises never pass the limit together. False when the limit stood in the way.
 */
export async function raiseCounter(tx: Tx, workspaceId: number, limit: PlanLimit, count: number): Promise<boolean> {
  const counter = sql.ref(`workspace_plans.${USAGE_COLUMN[limit]}`);
  const allowed = sql`(select ${sql.ref(`p.${LIMIT_COLUMN[limit]}`)} from plans p where p.key = workspace_plans.plan_key)`;
  const result = await tx
    .updateTable('workspace_plans')
    .set(USAGE_COLUMN[limit], sql`${counter} + ${count}`)
    .where('workspace_id', '=', workspaceId)
    .where(sql<boolean>`${counter} + ${count} <= ${allowed}`)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function lowerCounter(tx: Tx, workspaceId: number, limit: PlanLimit, count: number): Promise<void> {
  const counter = sql.ref(`workspace_plans.${USAGE_COLUMN[limit]}`);
  await tx
    .updateTable('workspace_plans')
    .set(USAGE_COLUMN[limit], sql`${counter} - ${count}`)
    .where('workspace_id', '=', workspaceId)
    .execute();
}

export async function findWorkspacePlan(db: Executor, workspaceId: number): Promise<WorkspacePlan | undefined> {
  return db
    .selectFrom('workspace_plans as wp')
    .innerJoin('plans as p', 'p.key', 'wp.plan_key')
    .selectAll('wp')
    .select(['p.users_limit', 'p.locations_limit', 'p.items_limit', 'p.suppliers_limit', 'p.tags_limit', 'p.usage_limit'])
    .where('wp.workspace_id', '=', workspaceId)
    .executeTakeFirst();
}

export async function listPlans(db: Executor): Promise<PlanRow[]> {
  return db.selectFrom('plans').selectAll().orderBy('position').execute();
}

export async function updatePlanLimits(db: Executor, key: PlanKey, changes: Partial<Pick<PlansTable, (typeof LIMIT_COLUMN)[PlanLimit]>>): Promise<boolean> {
  const result = await db.updateTable('plans').set(changes).where('key', '=', key).executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Moves the default mark; the caller runs both statements in one transaction. False (and nothing to keep) for an unknown plan. */
export async function markDefaultPlan(tx: Tx, key: PlanKey): Promise<boolean> {
  await tx.updateTable('plans').set({ is_default: 0 }).where('is_default', '=', 1).execute();
  const result = await tx.updateTable('plans').set({ is_default: 1 }).where('key', '=', key).executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function updateWorkspacePlan(
  db: Executor,
  workspaceId: number,
  changes: WorkspacePlanChanges,
): Promise<boolean> {
  const result = await db.updateTable('workspace_plans').set(changes).where('workspace_id', '=', workspaceId).executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
