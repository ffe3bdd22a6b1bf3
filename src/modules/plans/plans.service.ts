import type { Db, Executor, Tx } from '../../schema/database.ts';
import { inTransaction } from '../../core/db/transaction.ts';
import { AppError } from '../../core/errors.ts';
import * as repository from './plans.repository.ts';
import { LIMIT_COLUMN, PLAN_KEYS, type PlanKey, type PlanLimit, type PlanRow, type WorkspacePlanChanges } from './plans.table.ts';

export type { WorkspacePlan } from './plans.repository.ts';

/**
 * The plan step every area calls inside the transaction that adds what a limit counts:
 * the counter moves with the row, or (past the limit) neither does: 402
 * `PLAN.LIMIT_REACHED` naming the limit, and the transaction rolls back.
 * Reads and deletes are never gated; a delete gives the place back with `releaseAllowance`.
 */
export async function consumeAllowance(tx: Tx, workspaceId: number, limit: PlanLimit, count = 1): Promise<void> {
  if (await repository.raiseCounter(tx, workspaceId, limit, count)) return;
  const plan = await repository.findWorkspacePlan(tx, workspaceId);
  if (!plan) throw new AppError('WORKSPACE.NOT_FOUND');
  const allowed = plan[LIMIT_COLUMN[limit]];
  throw new AppError('PLAN.LIMIT_REACHED', { limit: `${limit}_limit`, plan: plan.plan_key, allowed }, { limit, allowed });
}

/** Gives back places a removed record held, in the transaction that removes it. */
export async function releaseAllowance(tx: Tx, workspaceId: number, limit: PlanLimit, count = 1): Promise<void> {
  await repository.lowerCounter(tx, workspaceId, limit, count);
}

/** Every new workspace starts on the default plan, its billing cycle restarting on the day of the month it was created. */
export async function startWorkspacePlan(tx: Tx, workspaceId: number, createdAt: Date): Promise<void> {
  // `plan default` always leaves one plan marked; a database edited by hand might not.
  if (!(await repository.insertWorkspacePlan(tx, workspaceId, createdAt.getUTCDate()))) throw new Error('no plan is marked default (npm run tessera -- plan default <plan>)');
}

export async function workspacePlanOf(db: Executor, workspaceId: number): Promise<repository.WorkspacePlan> {
  const plan = await repository.findWorkspacePlan(db, workspaceId);
  if (!plan) throw new AppError('WORKSPACE.NOT_FOUND');
  return plan;
}

export function isPlanKey(value: string): value is PlanKey {
  return (PLAN_KEYS as readonly string[]).includes(value);
}

/** What the operator changes from the command line (`npm run tessera -- plan …`). */
export const planAdministration = {
  list: (db: Db): Promise<PlanRow[]> => repository.listPlans(db),

  async setLimits(db: Db, key: PlanKey, limits: Partial<Record<PlanLimit, number>>): Promise<void> {
    const changes = Object.fromEntries(Object.entries(limits).map(([limit, value]) => [LIMIT_COLUMN[limit as PlanLimit], value]));
    if (!(await repository.updatePlanLimits(db, key, changes))) throw new AppError('PLAN.NOT_FOUND');
  },

  setDefault: (db: Db, key: PlanKey): Promise<void> =>
    inTransaction(db, async (tx) => {
      if (!(await repository.markDefaultPlan(tx, key))) throw new AppError('PLAN.NOT_FOUND');
    }),

  async assign(
    db: Db,
    workspaceId: number,
    changes: WorkspacePlanChanges,
  ): Promise<repository.WorkspacePlan> {
    if (!(await repository.updateWorkspacePlan(db, workspaceId, changes))) throw new AppError('WORKSPACE.NOT_FOUND');
    return workspacePlanOf(db, workspaceId);
  },
};
