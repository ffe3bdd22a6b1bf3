import type { InWorkspaceContext } from '../../core/auth/request-context.ts';
import type { Clock } from '../../core/clock.ts';
import { isUniqueViolation } from '../../core/db/dialect.ts';
import { inWorkspaceTransaction, scoped, type InWorkspace } from '../../core/db/workspace-scope.ts';
import { AppError, type ErrorCode } from '../../core/errors.ts';
import { decodeCursor, toPage, type Page } from '../../core/http/pagination.ts';
import { normalizeKey } from '../../core/normalize.ts';
import type { Db, Tx } from '../../schema/database.ts';
import { recordAudit } from '../audit-log/audit-log.service.ts';
import { consumeAllowance, releaseAllowance } from '../plans/plans.service.ts';
import * as repository from './named-records.repository.ts';
import type { NamedRows, NamedTable } from './named-records.repository.ts';

/** What tells suppliers and tags apart; the rules (a unique name, the plan's limit, audit) are one. */
export interface NamedKind<T extends NamedTable, Shown> {
  table: T;
  /** The audit log's target type, and the prefix of its actions (`supplier.created`). */
  noun: 'supplier' | 'tag';
  notFound: ErrorCode;
  nameTaken: ErrorCode;
  /** What a client sees of a row. */
  present: (row: NamedRows[T]) => Shown;
  /** Optional columns as the body gives them (`undefined`: not given). */
  columns: (input: Record<string, unknown>) => Record<string, unknown>;
  /**
   * What else goes in the transaction that deletes one, before the row: a supplier named by
   * items leaves them without a preferred supplier.
   */
  beforeDelete?: (tx: Tx, ctx: InWorkspace, id: number) => Promise<void>;
}

/** Of `ids`, those naming a record of `table` in the context's workspace. */
export function existingIds(tx: Tx, ctx: InWorkspace, table: NamedTable, ids: readonly number[]): Promise<Set<number>> {
  return repository.existingIds(scoped(tx, ctx, table), ids);
}

export type NamedRecordsService<Shown> = ReturnType<typeof createNamedRecordsService<NamedTable, Shown>>;

/** A unique name per workspace, counted against the plan's limit of the same name (402 past it), every change audited. */
export function createNamedRecordsService<T extends NamedTable, Shown>(deps: { db: Db; clock: Clock }, kind: NamedKind<T, Shown>) {
  const { db, clock } = deps;
  const refusal = (error: unknown, name: string | undefined) =>
    name !== undefined && isUniqueViolation(error, 'name_key') ? new AppError(kind.nameTaken, { name }) : error;
  const audit = (tx: Tx, ctx: InWorkspaceContext, action: string, id: number, details: Record<string, unknown>, at: string) =>
    recordAudit(tx, ctx, { action: `${kind.noun}.${action}`, targetType: kind.noun, targetId: id, workspaceId: ctx.workspace.id, details, at });

  return {
    async list(ctx: InWorkspaceContext, query: { limit: number; cursor?: string; q?: string }): Promise<Page<Shown>> {
      const rows = await repository.listNamed(scoped(db, ctx, kind.table), {
        afterId: decodeCursor(query.cursor),
        rows: query.limit + 1,
        ...(query.q === undefined ? {} : { namePrefix: normalizeKey(query.q) }),
      });
      const page = toPage(rows, query.limit);
      return { items: page.items.map(kind.present), nextCursor: page.nextCursor };
    },

    async get(ctx: InWorkspaceContext, id: number): Promise<Shown> {
      const row = await repository.findNamed(scoped(db, ctx, kind.table), id);
      if (!row) throw new AppError(kind.notFound);
      return kind.present(row);
    },

    async create(ctx: InWorkspaceContext, input: { name: string } & Record<string, unknown>): Promise<Shown> {
      const now = clock.now().toISOString();
      const name = input.name.trim();
      try {
        return await inWorkspaceTransaction(db, ctx, async (tx) => {
          await consumeAllowance(tx, ctx.workspace.id, kind.table);
          const row = await repository.insertNamed(scoped(tx, ctx, kind.table), {
            ...kind.columns(input),
            name,
            name_key: normalizeKey(name),
            created_at: now,
            updated_at: now,
          });
          await audit(tx, ctx, 'created', row.id, { name }, now);
          return kind.present(row);
        });
      } catch (error) {
        throw refusal(error, name);
      }
    },

    async update(ctx: InWorkspaceContext, id: number, input: { name?: string } & Record<string, unknown>): Promise<Shown> {
      const now = clock.now().toISOString();
      const name = input.name?.trim();
      try {
        return await inWorkspaceTransaction(db, ctx, async (tx) => {
          const row = await repository.updateNamed(scoped(tx, ctx, kind.table), id, {
            ...kind.columns(input),
            ...(name === undefined ? {} : { name, name_key: normalizeKey(name) }),
            updated_at: now,
          });
          if (!row) throw new AppError(kind.notFound);
          await audit(tx, ctx, 'updated', id, { ...input }, now);
          return kind.present(row);
        });
      } catch (error) {
        throw refusal(error, name);
      }
    },

    /** Deletes one, giving its place in the plan back. */
    async remove(ctx: InWorkspaceContext, id: number): Promise<void> {
      const now = clock.now().toISOString();
      await inWorkspaceTransaction(db, ctx, async (tx) => {
        await kind.beforeDelete?.(tx, ctx, id);
        const name = await repository.deleteNamed(scoped(tx, ctx, kind.table), id);
        if (name === undefined) throw new AppError(kind.notFound);
        await releaseAllowance(tx, ctx.workspace.id, kind.table);
        await audit(tx, ctx, 'deleted', id, { name }, now);
      });
    },
  };
}
