import type { InWorkspaceContext } from '../../core/auth/request-context.ts';
import type { Clock } from '../../core/clock.ts';
import { isForeignKeyViolation, isRuleViolation, isUniqueViolation } from '../../core/db/dialect.ts';
import { LOCATION_DEFAULT_ARCHIVED_RULE } from '../../schema/migrations/0011-plans-settings-locations.ts';
import { inWorkspaceTransaction, scoped, type InWorkspace } from '../../core/db/workspace-scope.ts';
import { AppError } from '../../core/errors.ts';
import { decodeCursor, toPage, type Page } from '../../core/http/pagination.ts';
import { normalizeKey } from '../../core/normalize.ts';
import type { Db, Tx } from '../../schema/database.ts';
import { recordAudit } from '../audit-log/audit-log.service.ts';
import { consumeAllowance, releaseAllowance } from '../plans/plans.service.ts';
import { defaultLocationsOf, holdDefaultLocations, settingsOf } from '../settings/settings.service.ts';
import type { DefaultLocationSetting } from '../settings/settings.table.ts';
import * as repository from './locations.repository.ts';
import type { CreateLocationBody, Location, UpdateLocationBody } from './locations.schemas.ts';
import type { LocationRow } from './locations.table.ts';

/** The location every workspace starts with, named as seed 002 names it. */
const FIRST_LOCATION_NAME = 'Inventory';

function toLocation(row: LocationRow, defaults: Map<number, DefaultLocationSetting[]>): Location {
  return {
    id: row.id,
    name: row.name,
    type: row.type,
    address: row.address,
    archived: row.archived_at !== null,
    archived_at: row.archived_at,
    default_for: defaults.get(row.id) ?? [],
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/** A new workspace's "Inventory" location, counted against its plan; returns its id. */
export async function addFirstLocation(tx: Tx, workspaceId: number, now: string): Promise<number> {
  await consumeAllowance(tx, workspaceId, 'locations');
  return repository.insertFirstLocation(tx, workspaceId, {
    name: FIRST_LOCATION_NAME,
    nameKey: normalizeKey(FIRST_LOCATION_NAME),
    type: 'warehouse',
    address: null,
    now,
  });
}

/** Of `ids`, those naming a live location of the context's workspace. */
export function liveLocationIds(tx: Tx, ctx: InWorkspace, ids: readonly number[]): Promise<Set<number>> {
  return repository.liveLocationIds(scoped(tx, ctx, 'locations'), ids);
}

function mapRefusal(error: unknown, name: string | undefined): unknown {
  if (name !== undefined && isUniqueViolation(error, 'name_key')) return new AppError('LOCATION.NAME_TAKEN', { name });
  // The database's own check, should a default ever be archived past requireNotDefault.
  if (isRuleViolation(error, LOCATION_DEFAULT_ARCHIVED_RULE)) return new AppError('LOCATION.IS_DEFAULT');
  return error;
}

export type LocationsService = ReturnType<typeof createLocationsService>;

export function createLocationsService(deps: { db: Db; clock: Clock }) {
  const { db, clock } = deps;

  /**
   * Refuses (409) to archive or delete a location some setting names as a default; holds the
   * settings row meanwhile. A location the caller cannot see answers 404 first, as it would
   * for the change itself, so a restricted member learns nothing of the others.
   */
  async function requireNotDefault(tx: Tx, ctx: InWorkspaceContext, id: number): Promise<void> {
    if (!(await repository.findLocation(scoped(tx, ctx, 'locations'), id))) throw new AppError('LOCATION.NOT_FOUND');
    const defaults = (await holdDefaultLocations(tx, ctx.workspace.id)).get(id);
    if (defaults) throw new AppError('LOCATION.IS_DEFAULT', { default_for: defaults.join(', ') });
  }

  async function get(ctx: InWorkspaceContext, id: number): Promise<Location> {
    const row = await repository.findLocation(scoped(db, ctx, 'locations'), id);
    if (!row) throw new AppError('LOCATION.NOT_FOUND');
    return toLocation(row, await defaultLocationsOf(db, ctx.workspace.id));
  }

  return {
    async list(ctx: InWorkspaceContext, query: { limit: number; cursor?: string; archived?: boolean }): Promise<Page<Location>> {
      const rows = await repository.listLocations(scoped(db, ctx, 'locations'), {
        archived: query.archived ?? false,
        afterId: decodeCursor(query.cursor),
        rows: query.limit + 1,
      });
      const defaults = await defaultLocationsOf(db, ctx.workspace.id);
      const page = toPage(rows, query.limit);
      return { items: page.items.map((row) => toLocation(row, defaults)), nextCursor: page.nextCursor };
    },

    get,

    /**
     * Counted against the plan's `locations` limit in the same transaction (402 past it). A
     * member restricted to some locations creates none: they could not see it.
     */
    async create(ctx: InWorkspaceContext, input: CreateLocationBody): Promise<Location> {
      if (ctx.workspace.locations !== 'all') throw new AppError('AUTH.FORBIDDEN', { reason: 'restricted_to_locations' });
      const now = clock.now().toISOString();
      const name = input.name.trim();
      try {
        const row = await inWorkspaceTransaction(db, ctx, async (tx) => {
          await consumeAllowance(tx, ctx.workspace.id, 'locations');
          const type = input.type ?? (await settingsOf(tx, ctx.workspace.id)).default_location_type;
          const created = await repository.insertLocation(scoped(tx, ctx, 'locations'), {
            name,
            nameKey: normalizeKey(name),
            type,
            address: input.address ?? null,
            now,
          });
          await recordAudit(tx, ctx, {
            action: 'location.created',
            targetType: 'location',
            targetId: created.id,
            workspaceId: ctx.workspace.id,
            details: { name, type },
            locationIds: [created.id],
            at: now,
          });
          return created;
        });
        return toLocation(row, new Map());
      } catch (error) {
        throw mapRefusal(error, name);
      }
    },

    /** Renames, retypes, moves or (un)archives; a default location cannot be archived (409). */
    async update(ctx: InWorkspaceContext, id: number, input: UpdateLocationBody): Promise<Location> {
      const now = clock.now().toISOString();
      const name = input.name?.trim();
      try {
        await inWorkspaceTransaction(db, ctx, async (tx) => {
          const locations = scoped(tx, ctx, 'locations');
          let archivedAt: string | null | undefined;
          if (input.archived === true) {
            await requireNotDefault(tx, ctx, id);
            // Archiving an archived location keeps the time it was first archived.
            archivedAt = (await repository.findLocation(locations, id))?.archived_at ?? now;
          } else if (input.archived === false) archivedAt = null;
          const updated = await repository.updateLocation(locations, id, {
            ...(name === undefined ? {} : { name, name_key: normalizeKey(name) }),
            ...(input.type === undefined ? {} : { type: input.type }),
            ...(input.address === undefined ? {} : { address: input.address }),
            ...(archivedAt === undefined ? {} : { archived_at: archivedAt }),
            updated_at: now,
          });
          if (!updated) throw new AppError('LOCATION.NOT_FOUND');
          await recordAudit(tx, ctx, {
            action: 'location.updated',
            targetType: 'location',
            targetId: id,
            workspaceId: ctx.workspace.id,
            details: { ...input },
            locationIds: [id],
            at: now,
          });
        });
      } catch (error) {
        throw mapRefusal(error, name);
      }
      return get(ctx, id);
    },

    /**
     * Deletes a location that no setting names as a default and no record refers to (409
     * otherwise), giving its place back.
     */
    async remove(ctx: InWorkspaceContext, id: number): Promise<void> {
      const now = clock.now().toISOString();
      try {
        await inWorkspaceTransaction(db, ctx, async (tx) => {
          await requireNotDefault(tx, ctx, id);
          const name = await repository.deleteLocation(scoped(tx, ctx, 'locations'), id);
          if (name === undefined) throw new AppError('LOCATION.NOT_FOUND');
          await releaseAllowance(tx, ctx.workspace.id, 'locations');
          await recordAudit(tx, ctx, {
            action: 'location.deleted',
            targetType: 'location',
            targetId: id,
            workspaceId: ctx.workspace.id,
            details: { name },
            locationIds: [id],
            at: now,
          });
        });
      } catch (error) {
        // Other records name it (stock history: the ledger's foreign keys refuse its deletion).
        throw isForeignKeyViolation(error) ? new AppError('LOCATION.IN_USE') : error;
      }
    },
  };
}
