import type { InWorkspaceContext } from '../../core/auth/request-context.ts';
import type { Clock } from '../../core/clock.ts';
import { fromScaled, toScaled } from '../../core/decimal.ts';
import { inWorkspaceTransaction, type InWorkspace } from '../../core/db/workspace-scope.ts';
import { AppError } from '../../core/errors.ts';
import { isForeignKeyViolation, isRuleViolation } from '../../core/db/dialect.ts';
import { LOCATION_DEFAULT_ARCHIVED_RULE } from '../../schema/migrations/0011-plans-settings-locations.ts';
import type { Db, Executor, Tx } from '../../schema/database.ts';
import { recordAudit } from '../audit-log/audit-log.service.ts';
import * as repository from './settings.repository.ts';
import type { UpdateSettingsBody, WorkspaceSettings } from './settings.schemas.ts';
import { DEFAULT_LOCATION_SETTINGS, type DefaultLocationSetting, type SettingsChanges, type WorkspaceSettingsRow } from './settings.table.ts';

/** Percentages are kept in ten-thousandths (core/decimal.ts). */
const PERCENT_SCALE = 4;

function toSettings(row: WorkspaceSettingsRow): WorkspaceSettings {
  return {
    default_currency: row.default_currency,
    invoice_number_prefix: row.invoice_number_prefix,
    default_tax_percent: fromScaled(row.default_tax_percent_e4, PERCENT_SCALE),
    default_tax_included: row.default_tax_included === 1,
    default_invoice_due_days: row.default_invoice_due_days,
    default_markup_percent: row.default_markup_percent_e4 === null ? null : fromScaled(row.default_markup_percent_e4, PERCENT_SCALE),
    default_location_type: row.default_location_type,
    invoicing_business_name: row.invoicing_business_name,
    invoicing_brand_color: row.invoicing_brand_color,
    invoicing_email: row.invoicing_email,
    invoicing_address: row.invoicing_address,
    default_location_id: row.default_location_id,
    default_invoice_source_location_id: row.default_invoice_source_location_id,
    default_transfer_from_location_id: row.default_transfer_from_location_id,
    allow_negative_stock: row.allow_negative_stock === 1,
  };
}

function toColumns(input: UpdateSettingsBody): SettingsChanges {
  const { default_tax_percent, default_tax_included, default_markup_percent, allow_negative_stock, ...plain } = input;
  return {
    ...plain,
    ...(allow_negative_stock === undefined ? {} : { allow_negative_stock: allow_negative_stock ? 1 : 0 }),
    ...(default_tax_percent === undefined ? {} : { default_tax_percent_e4: toScaled(default_tax_percent, PERCENT_SCALE) }),
    ...(default_tax_included === undefined ? {} : { default_tax_included: default_tax_included ? 1 : 0 }),
    ...(default_markup_percent === undefined
      ? {}
      : { default_markup_percent_e4: default_markup_percent === null ? null : toScaled(default_markup_percent, PERCENT_SCALE) }),
  };
}

/** A new workspace's settings, naming its first location as the default. */
export async function createWorkspaceSettings(tx: Tx, workspaceId: number, defaultLocationId: number): Promise<void> {
  await repository.insertSettings(tx, workspaceId, defaultLocationId);
}

/**
 * Which settings name each location as a default, with the settings row held until the
 * transaction ends: the step a location's archiving or deletion takes before deciding.
 */
export async function holdDefaultLocations(tx: Tx, workspaceId: number): Promise<Map<number, DefaultLocationSetting[]>> {
  const row = await repository.holdSettings(tx, workspaceId);
  return defaultsByLocation(row);
}

function defaultsByLocation(row: WorkspaceSettingsRow | undefined): Map<number, DefaultLocationSetting[]> {
  const named = new Map<number, DefaultLocationSetting[]>();
  for (const setting of DEFAULT_LOCATION_SETTINGS) {
    const id = row?.[setting];
    if (id != null) named.set(id, [...(named.get(id) ?? []), setting]);
  }
  return named;
}

/** The defaults that name each location, read without a lock (for showing them). */
export async function defaultLocationsOf(db: Executor, workspaceId: number): Promise<Map<number, DefaultLocationSetting[]>> {
  return defaultsByLocation(await repository.findSettings(db, workspaceId));
}

/**
 * The settings, kept from changing (not from other readers) until the transaction ends: what
 * a stock movement decides on (negative stock, the default source) stays true until it commits.
 */
export async function holdSettingsUnchanged(tx: Tx, workspaceId: number): Promise<WorkspaceSettings> {
  const row = await repository.holdSettings(tx, workspaceId, 'share');
  if (!row) throw new AppError('WORKSPACE.NOT_FOUND');
  return toSettings(row);
}

export async function settingsOf(db: Executor, workspaceId: number): Promise<WorkspaceSettings> {
  const row = await repository.findSettings(db, workspaceId);
  if (!row) throw new AppError('WORKSPACE.NOT_FOUND');
  return toSettings(row);
}

export type SettingsService = ReturnType<typeof createSettingsService>;

export function createSettingsService(deps: {
  db: Db;
  clock: Clock;
  /** Of `ids`, those naming a live (not archived) location of the workspace: the locations area answers. */
  liveLocations: (tx: Tx, ctx: InWorkspace, ids: readonly number[]) => Promise<Set<number>>;
}) {
  const { db, clock } = deps;
  /**
   * Changes some settings inside the caller's transaction, audited with what changed. A
   * default location must be a live location of this workspace (422 naming the field
   * otherwise); the database refuses one of another workspace or an archived one too,
   * should a change ever slip past this check.
   */
  async function apply(tx: Tx, ctx: InWorkspaceContext, input: UpdateSettingsBody, now: string): Promise<void> {
    const before = await repository.holdSettings(tx, ctx.workspace.id);
    if (!before) throw new AppError('WORKSPACE.NOT_FOUND');
    const named = DEFAULT_LOCATION_SETTINGS.flatMap((setting) => {
      const id = input[setting];
      return id == null ? [] : [[setting, id] as const];
    });
    if (named.length > 0) {
      const live = await deps.liveLocations(tx, ctx, named.map(([, id]) => id));
      const dead = named.filter(([, id]) => !live.has(id));
      if (dead.length > 0) {
        throw new AppError('VALIDATION.FAILED', Object.fromEntries(dead.map(([setting]) => [setting, 'must name a live location of this workspace'])));
      }
    }
    try {
      await repository.updateSettings(tx, ctx.workspace.id, toColumns(input));
    } catch (error) {
      // The database's own refusal, should a change ever slip past the check above.
      if (isRuleViolation(error, LOCATION_DEFAULT_ARCHIVED_RULE) || isForeignKeyViolation(error)) {
        throw new AppError('VALIDATION.FAILED', Object.fromEntries(named.map(([setting]) => [setting, 'must name a live location of this workspace'])));
      }
      throw error;
    }
    const shown = toSettings(before);
    const changed = Object.fromEntries(Object.entries(input).filter(([key, value]) => shown[key as keyof WorkspaceSettings] !== value));
    await recordAudit(tx, ctx, {
      action: 'workspace.settings_updated',
      targetType: 'workspace',
      targetId: ctx.workspace.id,
      workspaceId: ctx.workspace.id,
      details: changed,
      locationIds: named.map(([, id]) => id),
      at: now,
    });
  }

  return {
    /** The step for a change that also touches the workspace row (seed 002's PATCH): one transaction for both. */
    apply,

    update: (ctx: InWorkspaceContext, input: UpdateSettingsBody): Promise<void> =>
      inWorkspaceTransaction(db, ctx, (tx) => apply(tx, ctx, input, clock.now().toISOString())),
  };
}
