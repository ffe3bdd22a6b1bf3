/**
 * Seed 004's limitations as the database keeps them (migration 0009), written straight
 * into the table, past the groups service: one admin per sub, no self-link, no link across
 * tenants, and never a workspace that is admin and sub at once (so no chain), on the engine
 * under test. The races that need the trigger's lock are test/process/group-races.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isForeignKeyViolation, isRuleViolation, isUniqueViolation } from '../../src/core/db/dialect.ts';
import { GROUP_ROLES_RULE } from '../../src/schema/migrations/0009-workspace-groups.ts';
import { createTenant, createWorkspace, register, startTestApp, type Session, type TestApp } from '../support/test-app.ts';

let t: TestApp;
let owner: Session;
let tenantId: number;
let seq = 0;

beforeAll(async () => {
  t = await startTestApp();
  owner = await register(t);
  tenantId = (await t.db.selectFrom('tenants').select('id').where('slug', '=', 'default').executeTakeFirstOrThrow()).id;
});
afterAll(async () => t.close());

const workspace = async () => (await createWorkspace(t, owner, `Rules ${(seq += 1)}`)).id;

function link(admin: number, sub: number, tenant = tenantId) {
  return t.db
    .insertInto('workspace_group_members')
    .values({ tenant_id: tenant, admin_workspace_id: admin, sub_workspace_id: sub, invited_by: null, accepted_by: null, created_at: new Date().toISOString() })
    .execute();
}

/** The error a refused insert throws (undefined when it was not refused). */
async function refusal(insert: Promise<unknown>): Promise<unknown> {
  try {
    await insert;
    return undefined;
  } catch (error) {
    return error;
  }
}

describe('workspace group rules in the database', () => {
  it('keeps one admin workspace per sub workspace', async () => {
    const [a1, a2, sub] = [await workspace(), await workspace(), await workspace()];
    await link(a1, sub);
    expect(isUniqueViolation(await refusal(link(a2, sub)), 'sub_workspace_id')).toBe(true);
  });

  it('refuses a self-link', async () => {
    const w = await workspace();
    const error = await refusal(link(w, w));
    expect(error).toBeDefined();
    expect(isRuleViolation(error, 'workspace_group_members_not_self') || isRuleViolation(error, GROUP_ROLES_RULE)).toBe(true);
  });

  it('refuses a sub workspace as admin and an admin workspace as sub: no chain, either way round', async () => {
    const [admin, sub, other] = [await workspace(), await workspace(), await workspace()];
    await link(admin, sub);
    expect(isRuleViolation(await refusal(link(sub, other)), GROUP_ROLES_RULE)).toBe(true);
    expect(isRuleViolation(await refusal(link(other, admin)), GROUP_ROLES_RULE)).toBe(true);
    expect(isRuleViolation(await refusal(link(sub, admin)), GROUP_ROLES_RULE)).toBe(true);
    // An admin workspace may have many subs.
    await link(admin, other);
    const rows = await t.db.selectFrom('workspace_group_members').select('sub_workspace_id').where('admin_workspace_id', '=', admin).execute();
    expect(rows.map((row) => row.sub_workspace_id).sort()).toEqual([sub, other].sort());
  });

  it('refuses a link across tenants, or one naming its workspaces under another tenant', async () => {
    await createTenant(t, 'rules-other');
    const stranger = await register(t, { tenant: 'rules-other' });
    const foreign = (await createWorkspace(t, stranger, 'Rules foreign', { 'x-tenant': 'rules-other' })).id;
    const otherTenantId = (await t.db.selectFrom('tenants').select('id').where('slug', '=', 'rules-other').executeTakeFirstOrThrow()).id;
    const local = await workspace();
    expect(isForeignKeyViolation(await refusal(link(local, foreign)))).toBe(true);
    expect(isForeignKeyViolation(await refusal(link(local, await workspace(), otherTenantId)))).toBe(true);
  });

  it('drops the links of a deleted workspace with it', async () => {
    const [admin, sub] = [await workspace(), await workspace()];
    await link(admin, sub);
    await t.request({ method: 'DELETE', url: `/api/v1/workspaces/${sub}`, headers: owner.auth });
    expect(await t.db.selectFrom('workspace_group_members').select('id').where('sub_workspace_id', '=', sub).execute()).toEqual([]);
  });
});
