import { randomBytes } from 'node:crypto';
import { tenantRoleGrants } from '../../core/auth/permissions.ts';
import type { InWorkspaceContext, UserContext } from '../../core/auth/request-context.ts';
import { recordAudit } from '../audit-log/audit-log.service.ts';
import { createVersionedCache, readThrough, versionStamp } from '../../core/cache/versioned-cache.ts';
import type { Clock } from '../../core/clock.ts';
import type { Db, Tx } from '../../schema/database.ts';
import { isUniqueViolation, lockRow } from '../../core/db/dialect.ts';
import { inTransaction } from '../../core/db/transaction.ts';
import { inWorkspaceTransaction } from '../../core/db/workspace-scope.ts';
import { AppError } from '../../core/errors.ts';
import { decodeCursor, toPage, type Page } from '../../core/http/pagination.ts';
import { normalizeKey } from '../../core/normalize.ts';
import { forgetCurrentWorkspace, setCurrentWorkspace, setDefaultWorkspace } from '../identity/identity.service.ts';
import { addMember, countOwnedWorkspaces } from '../members/members.service.ts';
import { createBuiltinRoles } from '../roles/roles.service.ts';
import * as repository from './workspaces.repository.ts';
import type { CreateWorkspaceBody, UpdateWorkspaceBody } from './workspaces.schemas.ts';

export type { WorkspaceListing } from './workspaces.repository.ts';

/** A URL-safe slug from a name: accents dropped, anything else non-alphanumeric becomes a dash. */
export function slugFromName(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return slug.length >= 3 ? slug : `ws-${slug || randomBytes(3).toString('hex')}`;
}

async function availableSlug(tx: Tx, tenantId: number, wanted: string | undefined, name: string): Promise<string> {
  if (wanted !== undefined) {
    if (await repository.slugExists(tx, tenantId, wanted)) throw new AppError('WORKSPACE.SLUG_TAKEN', { slug: wanted });
    return wanted;
  }
  const base = slugFromName(name);
  let candidate = base;
  while (await repository.slugExists(tx, tenantId, candidate)) candidate = `${base}-${randomBytes(3).toString('hex')}`;
  return candidate;
}

const DERIVED_SLUG_ATTEMPTS = 5;

function mapUniqueViolation(error: unknown, input: { name?: string; slug?: string }): unknown {
  if (isUniqueViolation(error, 'name_key')) return new AppError('WORKSPACE.NAME_TAKEN', { name: input.name ?? '' });
  if (isUniqueViolation(error, 'slug')) return new AppError('WORKSPACE.SLUG_TAKEN', { slug: input.slug ?? '' });
  return error;
}

export type WorkspacesService = ReturnType<typeof createWorkspacesService>;

export function createWorkspacesService(deps: { db: Db; clock: Clock; readCacheEntries: number }) {
  const { db, clock } = deps;
  const pages = createVersionedCache<Page<repository.WorkspaceListing>>(deps.readCacheEntries);

  async function listingOf(ctx: { tenant: { id: number }; actor: { userId: number } }, workspaceId: number) {
    const listing = await repository.findWorkspaceListing(db, ctx.tenant.id, ctx.actor.userId, workspaceId);
    if (!listing) throw new AppError('WORKSPACE.NOT_FOUND');
    return listing;
  }

  return {
    /** The list-page cache's hits and misses, for GET /metrics. */
    cacheStats: () => pages.stats(),

    /** Members see their workspaces; holders of view_all_locations see the whole tenant's. */
    list(ctx: UserContext, query: { limit: number; cursor?: string }): Promise<Page<repository.WorkspaceListing>> {
      const page = {
        tenantId: ctx.tenant.id,
        callerId: ctx.actor.userId,
        allOfTenant: tenantRoleGrants(ctx.actor.tenantRole, 'view_all_locations'),
        afterId: decodeCursor(query.cursor),
        limit: query.limit + 1,
      };
      const key = `${page.tenantId} ${page.callerId} ${page.allOfTenant} ${page.afterId} ${page.limit}`;
      // The caller's memberships (their version), and workspaces and owners (the tenant's).
      return readThrough(pages, key, versionStamp(ctx.tenant.dataVersion, ctx.actor.dataVersion), async () =>
        toPage(await repository.listWorkspaces(db, page), query.limit),
      );
    },

    get: (ctx: InWorkspaceContext) => listingOf(ctx, ctx.workspace.id),

    /** The creator becomes owner and member, and the new workspace becomes their current one. */
    async create(ctx: UserContext, input: CreateWorkspaceBody): Promise<repository.WorkspaceListing> {
      const name = input.name.trim();
      const now = clock.now().toISOString();
      const insertOnce = () =>
        inTransaction(db, async (tx) => {
          // One creation at a time per user, so the owned-workspace limit cannot be raced.
          await lockRow(tx, 'users', ctx.actor.userId);
          const limit = ctx.tenant.maxOwnedWorkspacesPerUser;
          if (limit !== null && (await countOwnedWorkspaces(tx, ctx.actor.userId)) >= limit) {
            throw new AppError('WORKSPACE.ALREADY_OWNS_WORKSPACE', { limit });
          }
          const created = await repository.insertWorkspace(tx, {
            tenantId: ctx.tenant.id,
            bizId: `ws_${randomBytes(12).toString('base64url')}`,
            name,
            nameKey: normalizeKey(name),
            slug: await availableSlug(tx, ctx.tenant.id, input.slug, name),
            logo: input.logo ?? null,
            now,
          });
          await createBuiltinRoles(tx, created.id, now);
          await addMember(tx, created.id, ctx.actor.userId, 'owner', now);
          await setCurrentWorkspace(tx, ctx.actor.userId, created.id);
          await recordAudit(tx, ctx, {
            action: 'workspace.created',
            targetType: 'workspace',
            targetId: created.id,
            workspaceId: created.id,
            details: { name },
            at: now,
          });
          return created;
        });
      for (let attempt = 1; ; attempt += 1) {
        try {
          return await listingOf(ctx, (await insertOnce()).id);
        } catch (error) {
          // A slug derived from the name (none was asked for) lost a race to a concurrent
          // creation: the next attempt sees it taken and derives another.
          if (input.slug === undefined && isUniqueViolation(error, 'slug') && attempt < DERIVED_SLUG_ATTEMPTS) continue;
          throw mapUniqueViolation(error, { name, ...(input.slug ? { slug: input.slug } : {}) });
        }
      }
    },

    async update(ctx: InWorkspaceContext, input: UpdateWorkspaceBody): Promise<repository.WorkspaceListing> {
      const now = clock.now().toISOString();
      const name = input.name?.trim();
      try {
        await inTransaction(db, async (tx) => {
          const updated = await repository.updateWorkspace(tx, ctx.workspace.id, {
            ...(name === undefined ? {} : { name, name_key: normalizeKey(name) }),
            ...(input.slug === undefined ? {} : { slug: input.slug }),
            ...(input.logo === undefined ? {} : { logo: input.logo }),
            updated_at: now,
          });
          if (!updated) throw new AppError('WORKSPACE.NOT_FOUND');
          await recordAudit(tx, ctx, {
            action: 'workspace.updated',
            targetType: 'workspace',
            targetId: ctx.workspace.id,
            workspaceId: ctx.workspace.id,
            details: { ...input },
            at: now,
          });
        });
      } catch (error) {
        throw mapUniqueViolation(error, { ...(name ? { name } : {}), ...(input.slug ? { slug: input.slug } : {}) });
      }
      return listingOf(ctx, ctx.workspace.id);
    },

    /**
     * Deletes the workspace with everything inside it: roles, memberships, API keys
     * (foreign-key cascades, one transaction). Users whose current or default workspace
     * it was are left with none. The audit trail keeps the event.
     */
    async remove(ctx: InWorkspaceContext): Promise<void> {
      const now = clock.now().toISOString();
      await inTransaction(db, async (tx) => {
        await recordAudit(tx, ctx, {
          action: 'workspace.deleted',
          targetType: 'workspace',
          targetId: ctx.workspace.id,
          workspaceId: ctx.workspace.id,
          details: { name: ctx.workspace.name },
          at: now,
        });
        if (!(await repository.deleteWorkspace(tx, ctx.workspace.id))) throw new AppError('WORKSPACE.NOT_FOUND');
      });
    },

    async switchContext(ctx: InWorkspaceContext & UserContext): Promise<void> {
      await inWorkspaceTransaction(db, ctx, (tx) => setCurrentWorkspace(tx, ctx.actor.userId, ctx.workspace.id));
    },

    /** Clears the current workspace if it is this one; clearing another is a no-op. */
    async clearContext(ctx: UserContext, workspaceId: number): Promise<void> {
      await inTransaction(db, (tx) => forgetCurrentWorkspace(tx, ctx.actor.userId, workspaceId));
    },

    async setDefault(ctx: InWorkspaceContext & UserContext): Promise<void> {
      await inWorkspaceTransaction(db, ctx, (tx) => setDefaultWorkspace(tx, ctx.actor.userId, ctx.workspace.id));
    },

    async setDocumentSubtype(ctx: InWorkspaceContext, subtype: string): Promise<void> {
      const now = clock.now().toISOString();
      await inTransaction(db, async (tx) => {
        await repository.updateWorkspace(tx, ctx.workspace.id, { preferred_document_subtype: subtype, updated_at: now });
        await recordAudit(tx, ctx, {
          action: 'workspace.document_subtype_set',
          targetType: 'workspace',
          targetId: ctx.workspace.id,
          workspaceId: ctx.workspace.id,
          details: { document_subtype: subtype },
          at: now,
        });
      });
    },
  };
}
