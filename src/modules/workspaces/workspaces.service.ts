import { randomBytes } from 'node:crypto';
import { tenantRoleGrants } from '../../core/auth/permissions.ts';
import type { AllowedLocations, InWorkspaceContext, UserContext } from '../../core/auth/request-context.ts';
import { recordAudit } from '../audit-log/audit-log.service.ts';
import { createVersionedCache, readThrough, versionStamp } from '../../core/cache/versioned-cache.ts';
import type { Clock } from '../../core/clock.ts';
import type { Db, Executor, Tx } from '../../schema/database.ts';
import { isUniqueViolation, lockRow } from '../../core/db/dialect.ts';
import { inTransaction } from '../../core/db/transaction.ts';
import { inWorkspaceTransaction } from '../../core/db/workspace-scope.ts';
import { AppError } from '../../core/errors.ts';
import { decodeCursor, toPage, type Page } from '../../core/http/pagination.ts';
import { normalizeKey } from '../../core/normalize.ts';
import { forgetCurrentWorkspace, setCurrentWorkspace, setDefaultWorkspace } from '../identity/identity.service.ts';
import { addMember, countOwnedWorkspaces } from '../members/members.service.ts';
import { visibleInviteCode } from '../invite-codes/invite-codes.service.ts';
import { workspaceSsoOf } from '../sso/sso.service.ts';
import { addFirstLocation } from '../locations/locations.service.ts';
import { startWorkspacePlan, workspacePlanOf } from '../plans/plans.service.ts';
import { createBuiltinRoles } from '../roles/roles.service.ts';
import type { RoleGrants } from '../roles/roles.grants.ts';
import { accessProfileOf, standingOf } from '../members/members.service.ts';
import type { UpdateSettingsBody } from '../settings/settings.schemas.ts';
import { createWorkspaceSettings, settingsOf, type SettingsService } from '../settings/settings.service.ts';
import * as repository from './workspaces.repository.ts';
import type { CreateWorkspaceBody, SeedUpdateFields, UpdateWorkspaceBody, WorkspaceDetails } from './workspaces.schemas.ts';
import { toWorkspace } from './workspaces.view.ts';

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
  // A slug always has a letter, so it never reads as an id (seed 002's {idOrSlug}).
  return slug.length >= 3 && /[a-z]/.test(slug) ? slug : `ws-${slug || randomBytes(3).toString('hex')}`;
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

/** The NCF type new invoices of the workspace draw from (seed 001's preferred document subtype); null when none is set. */
export function preferredDocumentSubtypeOf(executor: Executor, workspaceId: number): Promise<string | null> {
  return repository.preferredDocumentSubtypeOf(executor, workspaceId);
}

export function createWorkspacesService(deps: {
  db: Db;
  clock: Clock;
  readCacheEntries: number;
  settings: SettingsService;
  grants: RoleGrants;
  /** Every workspace permission, in catalogue order: the object's `member_permissions.capabilities`. */
  permissionNames: readonly string[];
}) {
  const { db, clock } = deps;
  const pages = createVersionedCache<Page<repository.WorkspaceListing>>(deps.readCacheEntries);

  async function listingOf(ctx: { tenant: { id: number }; actor: { userId: number } }, workspaceId: number) {
    const listing = await repository.findWorkspaceListing(db, ctx.tenant.id, ctx.actor.userId, workspaceId);
    if (!listing) throw new AppError('WORKSPACE.NOT_FOUND');
    return listing;
  }

  /** Seed 002's object with the list's fields: the workspace, its plan and usage, its settings, and the caller's standing in it. */
  async function details(ctx: InWorkspaceContext): Promise<WorkspaceDetails> {
    // Acting from an admin workspace, the caller is no member here: their permissions come from
    // their role there, which is where the profile's role is looked up.
    const seen = {
      role: ctx.workspace.memberRole,
      roleWorkspaceId: ctx.workspace.actingFrom?.id ?? ctx.workspace.id,
      held: ctx.workspace.permissions,
      locations: ctx.workspace.locations,
      inviteCode: await visibleInviteCode(db, ctx),
      sso: await workspaceSsoOf(db, ctx),
    };
    return detailsAs(ctx, ctx.workspace.id, seen);
  }

  /** `seen`: the caller's role and permissions there, and the invite code if they may see it. */
  async function detailsAs(
    ctx: UserContext | InWorkspaceContext,
    workspaceId: number,
    seen: {
      role: string | null;
      roleWorkspaceId: number;
      held: ReadonlySet<string>;
      locations: AllowedLocations;
      inviteCode: string | null;
      sso: { sso_email_domain: string | null; sso_enforced_at: string | null };
    },
  ): Promise<WorkspaceDetails> {
    const { role, held } = seen;
    const listing = await listingOf(ctx, workspaceId);
    const plan = await workspacePlanOf(db, workspaceId);
    const settings = await settingsOf(db, workspaceId);
    const standing = role === null ? undefined : await standingOf(deps.grants, db, seen.roleWorkspaceId, ctx.actor.userId);
    return {
      ...toWorkspace(listing, ctx.actor.userId),
      usage: plan.usage,
      usage_limit: plan.usage_limit,
      items_usage: plan.items_usage,
      items_limit: plan.items_limit,
      suppliers_usage: plan.suppliers_usage,
      suppliers_limit: plan.suppliers_limit,
      locations_usage: plan.locations_usage,
      locations_limit: plan.locations_limit,
      tags_usage: plan.tags_usage,
      tags_limit: plan.tags_limit,
      users_usage: plan.users_usage,
      users_limit: plan.users_limit,
      ...settings,
      plan: plan.plan_key,
      // The self-hosted product has no payment provider, so nothing is ever stored for it.
      stripe_id: null,
      billing_cycle_start: plan.billing_cycle_start,
      trial_ends_at: plan.trial_ends_at,
      users: role === null || seen.roleWorkspaceId !== workspaceId ? [] : [{ role }],
      invite_code: seen.inviteCode,
      ...seen.sso,
      location_access:
        seen.locations === 'all'
          ? { restricted: false, locations: [] }
          : { restricted: true, locations: [...seen.locations].sort((a, b) => a - b).map((id) => ({ location_id: id })) },
      member_permissions: {
        capabilities: Object.fromEntries(deps.permissionNames.map((permission) => [permission, held.has(permission)])),
        profile: accessProfileOf(standing),
      },
    };
  }

  /** Renames, re-slugs or re-logos the workspace; with `settings`, changes those in the same transaction. */
  async function update(ctx: InWorkspaceContext, input: UpdateWorkspaceBody, settings?: UpdateSettingsBody): Promise<WorkspaceDetails> {
    const now = clock.now().toISOString();
    const name = input.name?.trim();
    try {
      await inWorkspaceTransaction(db, ctx, async (tx) => {
        if (settings && Object.keys(settings).length > 0) await deps.settings.apply(tx, ctx, settings, now);
        if (Object.keys(input).length === 0) return;
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
    return details(ctx);
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

    details,

    /** The creator becomes owner and member, and the new workspace becomes their current one. */
    async create(ctx: UserContext, input: CreateWorkspaceBody): Promise<WorkspaceDetails> {
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
          // The plan first: the owner and the first location count against it.
          await startWorkspacePlan(tx, created.id, clock.now());
          await createBuiltinRoles(tx, created.id, now);
          await addMember(tx, created.id, ctx.actor.userId, 'owner', now);
          await createWorkspaceSettings(tx, created.id, await addFirstLocation(tx, created.id, now));
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
          // The creator is its owner, who holds every permission.
          const { id } = await insertOnce();
          return await detailsAs(ctx, id, { role: 'owner', roleWorkspaceId: id, held: new Set(deps.permissionNames), locations: 'all', inviteCode: null, sso: { sso_email_domain: null, sso_enforced_at: null } });
        } catch (error) {
          // A slug derived from the name (none was asked for) lost a race to a concurrent
          // creation: the next attempt sees it taken and derives another.
          if (input.slug === undefined && isUniqueViolation(error, 'slug') && attempt < DERIVED_SLUG_ATTEMPTS) continue;
          throw mapUniqueViolation(error, { name, ...(input.slug ? { slug: input.slug } : {}) });
        }
      }
    },

    update,

    /**
     * Seed 002's PATCH: the workspace's own fields and its settings in one transaction. One
     * route carries both, so its policy checks `settings:edit` and the owner's
     * `workspaces:edit` is checked here, only when the body renames, re-slugs or re-logos.
     */
    async updateFields(ctx: InWorkspaceContext, fields: SeedUpdateFields): Promise<WorkspaceDetails> {
      const { name, slug, logo, ...settings } = fields;
      const own = { ...(name === undefined ? {} : { name }), ...(slug === undefined ? {} : { slug }), ...(logo === undefined ? {} : { logo }) };
      if (Object.keys(own).length > 0 && !ctx.workspace.permissions.has('workspaces:edit')) {
        throw new AppError('AUTH.FORBIDDEN', { permission: 'workspaces:edit' });
      }
      return update(ctx, own, settings);
    },

    /** Changes the workspace settings; answers the whole object, as seed 002's PATCH does. */
    async updateSettings(ctx: InWorkspaceContext, settings: UpdateSettingsBody): Promise<WorkspaceDetails> {
      await deps.settings.update(ctx, settings);
      return details(ctx);
    },

    /**
     * Deletes the workspace with everything inside it: roles, memberships, API keys,
     * locations, settings, its plan row and invite code (foreign-key cascades, one transaction). Users whose current or default workspace
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
