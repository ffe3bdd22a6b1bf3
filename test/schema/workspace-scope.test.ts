/**
 * The workspace-scoped kit: a query started from one workspace's view of a table never
 * reads, changes or removes another workspace's rows, and an insert lands in it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scoped, type InWorkspace } from '../../src/core/db/workspace-scope.ts';
import { createWorkspace, register, startTestApp, type TestApp } from '../support/test-app.ts';

let t: TestApp;
let mine: InWorkspace;
let theirs: InWorkspace;
let owner: number;

beforeAll(async () => {
  t = await startTestApp();
  const ann = await register(t);
  owner = ann.userId;
  mine = inWorkspace((await createWorkspace(t, ann, 'Scope Mine')).id);
  theirs = inWorkspace((await createWorkspace(t, ann, 'Scope Theirs')).id);
});
afterAll(async () => t.close());

/** A resolved context's workspace, as the context step would hand it to a service. */
function inWorkspace(id: number): InWorkspace {
  return { workspace: { id, bizId: `ws_${id}`, name: 'W', source: 'header', memberRole: 'owner', permissions: new Set(), locations: 'all', dataVersion: 0, recordVersions: '', actingFrom: null } };
}

async function insertKey(context: InWorkspace, name: string): Promise<number> {
  const row = await scoped(t.db, context, 'api_keys')
    .insertInto({ tenant_id: 1, created_by: owner, name, prefix: 'tsk_x', key_hash: `hash-${name}`, expires_at: null, created_at: new Date().toISOString() })
    .returning(['id', 'workspace_id'])
    .executeTakeFirstOrThrow();
  expect(row.workspace_id).toBe(context.workspace.id);
  return row.id;
}

describe('scoped(executor, context, table)', () => {
  it('inserts into the context workspace and reads only its rows', async () => {
    const own = await insertKey(mine, 'own');
    const other = await insertKey(theirs, 'other');
    const seen = await scoped(t.db, mine, 'api_keys').selectFrom().select(['id']).execute();
    expect(seen.map((row) => row.id)).toContain(own);
    expect(seen.map((row) => row.id)).not.toContain(other);
    expect(await scoped(t.db, mine, 'api_keys').selectFrom().select('id').where('id', '=', other).executeTakeFirst()).toBeUndefined();
  });

  it("neither updates nor deletes another workspace's row, even by its id", async () => {
    const other = await insertKey(theirs, 'untouchable');
    const updated = await scoped(t.db, mine, 'api_keys').update({ name: 'taken' }).where('id', '=', other).executeTakeFirst();
    const deleted = await scoped(t.db, mine, 'api_keys').deleteFrom().where('id', '=', other).executeTakeFirst();
    expect([updated.numUpdatedRows, deleted.numDeletedRows]).toEqual([0n, 0n]);
    const row = await t.db.selectFrom('api_keys').select('name').where('id', '=', other).executeTakeFirstOrThrow();
    expect(row.name).toBe('untouchable');
  });

  it('cannot move a row to another workspace, even when a caller casts the workspace column in', async () => {
    const own = await insertKey(mine, 'stays');
    await scoped(t.db, mine, 'api_keys').update({ name: 'renamed', workspace_id: theirs.workspace.id } as never).where('id', '=', own).execute();
    const row = await t.db.selectFrom('api_keys').select(['name', 'workspace_id']).where('id', '=', own).executeTakeFirstOrThrow();
    expect(row).toEqual({ name: 'renamed', workspace_id: mine.workspace.id });
  });

  it('names the workspace column of its own table in every statement, so joins cannot make it ambiguous', () => {
    const compiled = scoped(t.db, mine, 'api_keys').selectFrom().select('id').compile();
    expect(compiled.sql).toMatch(/"api_keys"\."workspace_id" = /);
    expect(compiled.parameters).toContain(mine.workspace.id);
  });
});
