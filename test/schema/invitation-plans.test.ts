/**
 * A new invitation first expires a stale pending one for the same address (or, for a workspace
 * group, the same pair of workspaces). That update must find it through the partial unique index
 * of pending invitations, not by reading every invitation the workspace ever had. It compared
 * `status` with a bound parameter: SQLite plans with the value bound and used the index, but
 * PostgreSQL's generic plan, which a named prepared statement may settle on after a few runs,
 * cannot prove a partial index applies to a parameter and read the whole workspace's
 * invitations. Checked on the engine's plan (PostgreSQL's generic one) of the very statement
 * the repository sends, over enough answered invitations for the planner to prefer an index.
 */
import { CompiledQuery } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from '../../src/core/db/transaction.ts';
import * as groups from '../../src/modules/groups/groups.repository.ts';
import * as invitations from '../../src/modules/invitations/invitations.repository.ts';
import { planOf, statementsOf } from '../support/query-plans.ts';
import { createWorkspace, register, startTestApp, type TestApp } from '../support/test-app.ts';

const ANSWERED = 3000;
const NOW = '2026-06-01T12:00:00.000Z';

let t: TestApp;
let tenantId: number;
let ownerId: number;
let workspaceId: number;
let subWorkspaceId: number;
beforeAll(async () => {
  t = await startTestApp();
  const owner = await register(t);
  ownerId = owner.userId;
  workspaceId = (await createWorkspace(t, owner, 'Invites a lot')).id;
  subWorkspaceId = (await createWorkspace(t, owner, 'Invited a lot')).id;
  tenantId = (await t.db.selectFrom('tenants').select('id').executeTakeFirstOrThrow()).id;
  const common = { tenant_id: tenantId, invited_by: ownerId, locale: 'en', expires_at: NOW, responded_at: NOW, created_at: NOW };
  for (let start = 0; start < ANSWERED; start += 500) {
    const batch = Array.from({ length: Math.min(500, ANSWERED - start) }, (_, i) => start + i);
    await t.db
      .insertInto('invitations')
      .values(
        batch.map((i) => ({
          ...common,
          workspace_id: workspaceId,
          email: `answered-${i}@example.com`,
          email_key: `answered-${i}@example.com`,
          role: 'member',
          token_hash: `answered-${i}`,
          status: 'accepted' as const,
          acting_from_workspace_id: null,
          accepted_by: null,
          updated_at: NOW,
        })),
      )
      .execute();
    await t.db
      .insertInto('workspace_group_invitations')
      .values(batch.map(() => ({ ...common, admin_workspace_id: workspaceId, sub_workspace_id: subWorkspaceId, status: 'declined' as const, responded_by: ownerId })))
      .execute();
  }
  if (t.database.engine === 'postgres') await t.db.executeQuery(CompiledQuery.raw('analyze invitations, workspace_group_invitations'));
});
afterAll(async () => t.close());

async function planOfTheUpdate(work: Parameters<typeof statementsOf>[1]): Promise<string> {
  const updates = (await statementsOf(t, work)).filter((statement) => /^update/i.test(statement.sql));
  expect(updates).toHaveLength(1);
  return planOf(t, updates[0] as CompiledQuery);
}

describe(`expiring a stale pending invitation, in a workspace with ${ANSWERED.toLocaleString('en-US')} answered ones`, () => {
  it('finds it through the index of pending invitations', async () => {
    const plan = await planOfTheUpdate((db) => inTransaction(db, (tx) => invitations.expireStalePending(tx, workspaceId, 'someone@example.com', NOW)));
    expect(plan).toMatch(/invitations_one_pending/);
    expect(plan).not.toMatch(/invitations_workspace|Seq Scan/);
  });

  it('finds a workspace group invitation through the index of pending ones', async () => {
    const plan = await planOfTheUpdate((db) => inTransaction(db, (tx) => groups.expireStalePending(tx, workspaceId, subWorkspaceId, NOW)));
    expect(plan).toMatch(/workspace_group_invitations_one_pending/);
    expect(plan).not.toMatch(/workspace_group_invitations_sub|Seq Scan/);
  });
});
