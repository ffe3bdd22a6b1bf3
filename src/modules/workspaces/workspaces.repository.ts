import { sql } from 'kysely';
import type { Db, Executor, Tx } from '../../schema/database.ts';
import { precompile } from '../../core/db/precompiled.ts';
import { workspaceRowToWorkspace, type Workspace } from './workspaces.table.ts';

export interface WorkspaceListing extends Workspace {
  owner: { id: number; name: string; email: string } | null;
  callerRole: string | null;
  memberCount?: number;
}

/**
 * `'owner'` written into the SQL, not bound: only a literal lets SQLite, and PostgreSQL's
 * generic plan of a prepared statement, find the owner through the partial index
 * `memberships_one_owner` instead of scanning every membership of the workspace.
 */
const OWNER_ROLE = sql.lit('owner');

/** Workspaces with their owner and the caller's role; `allOfTenant` widens from memberships to the whole tenant. */
function listing(db: Executor, tenantId: number, callerId: number) {
  return db
    .selectFrom('workspaces as w')
    .leftJoin('memberships as o', (join) => join.onRef('o.workspace_id', '=', 'w.id').on('o.role', '=', OWNER_ROLE))
    .leftJoin('users as ou', 'ou.id', 'o.user_id')
    .leftJoin('memberships as me', (join) => join.onRef('me.workspace_id', '=', 'w.id').on('me.user_id', '=', callerId))
    .selectAll('w')
    .select(['ou.id as owner_id', 'ou.name as owner_name', 'ou.email as owner_email', 'me.role as caller_role'])
    .where('w.tenant_id', '=', tenantId);
}

type ListingRow = Awaited<ReturnType<ReturnType<typeof listing>['executeTakeFirstOrThrow']>>;

function toListing(row: ListingRow): WorkspaceListing {
  const { owner_id, owner_name, owner_email, caller_role, ...workspace } = row;
  return {
    ...workspaceRowToWorkspace(workspace),
    owner: owner_id !== null && owner_name !== null && owner_email !== null ? { id: owner_id, name: owner_name, email: owner_email } : null,
    callerRole: caller_role,
  };
}

// Two shapes, each walking an index in key order: a member's workspaces from their
// memberships, and (with view_all_locations) the tenant's from (tenant_id, id).
const memberWorkspacePage = precompile(
  (db: Db, page: { tenantId: number; callerId: number; afterId: number; limit: number }) =>
    listing(db, page.tenantId, page.callerId)
      .where('me.user_id', '=', page.callerId)
      .where('me.workspace_id', '>', page.afterId)
      .orderBy('me.workspace_id')
      .limit(page.limit),
);

const tenantWorkspacePage = precompile(
  (db: Db, page: { tenantId: number; callerId: number; afterId: number; limit: number }) =>
    listing(db, page.tenantId, page.callerId).where('w.id', '>', page.afterId).orderBy('w.id').limit(page.limit),
);

export async function listWorkspaces(
  db: Db,
  query: { tenantId: number; callerId: number; allOfTenant: boolean; afterId: number; limit: number },
): Promise<WorkspaceListing[]> {
  const { allOfTenant, ...page } = query;
  const rows = await (allOfTenant ? tenantWorkspacePage : memberWorkspacePage)(db, page);
  return rows.map(toListing);
}

export async function findWorkspaceListing(
  db: Executor,
  tenantId: number,
  callerId: number,
  workspaceId: number,
): Promise<WorkspaceListing | undefined> {
  const row = await listing(db, tenantId, callerId)
    .select((eb) =>
      eb.selectFrom('memberships as c').select((inner) => inner.fn.countAll<number>().as('n')).whereRef('c.workspace_id', '=', 'w.id').as('member_count'),
    )
    .where('w.id', '=', workspaceId)
    .executeTakeFirst();
  if (!row) return undefined;
  const { member_count, ...rest } = row;
  return { ...toListing(rest), memberCount: Number(member_count ?? 0) };
}

export async function slugExists(tx: Tx, tenantId: number, slug: string): Promise<boolean> {
  const row = await tx.selectFrom('workspaces').select('id').where('tenant_id', '=', tenantId).where('slug', '=', slug).executeTakeFirst();
  return row !== undefined;
}

export async function insertWorkspace(
  tx: Tx,
  values: { tenantId: number; bizId: string; name: string; nameKey: string; slug: string; logo: string | null; now: string },
): Promise<Workspace> {
  const row = await tx
    .insertInto('workspaces')
    .values({
      tenant_id: values.tenantId,
      biz_id: values.bizId,
      name: values.name,
      name_key: values.nameKey,
      slug: values.slug,
      logo: values.logo,
      created_at: values.now,
      updated_at: values.now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return workspaceRowToWorkspace(row);
}

export async function updateWorkspace(
  tx: Tx,
  id: number,
  changes: { name?: string; name_key?: string; slug?: string; logo?: string | null; preferred_document_subtype?: string; updated_at: string },
): Promise<Workspace | undefined> {
  const row = await tx.updateTable('workspaces').set(changes).where('id', '=', id).returningAll().executeTakeFirst();
  return row && workspaceRowToWorkspace(row);
}

export async function preferredDocumentSubtypeOf(executor: Executor, id: number): Promise<string | null> {
  const row = await executor.selectFrom('workspaces').select('preferred_document_subtype').where('id', '=', id).executeTakeFirst();
  return row?.preferred_document_subtype ?? null;
}

/** Deletes the workspace; everything inside it goes with it (foreign-key cascades). */
export async function deleteWorkspace(tx: Tx, id: number): Promise<boolean> {
  const result = await tx.deleteFrom('workspaces').where('id', '=', id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}
