import { stringify } from 'csv-stringify/sync';
import type { InWorkspaceContext } from '../../core/auth/request-context.ts';
import type { Clock } from '../../core/clock.ts';
import { inWorkspaceTransaction, scoped } from '../../core/db/workspace-scope.ts';
import { AppError } from '../../core/errors.ts';
import type { Db, Tx } from '../../schema/database.ts';
import { RULES } from '../../schema/migrations/0021-invoices-ncf.ts';
import { recordAudit } from '../audit-log/audit-log.service.ts';
import type { NcfSequenceRow, NcfType } from './invoices.table.ts';
import { expiryOf, fiscalDate, largestNumberOf, ncfText } from './ncf.ts';
import * as repository from './ncf-sequences.repository.ts';
import { voidedWithNcf } from './invoices.repository.ts';
import type { CreateNcfSequenceBody, NcfSequence } from './ncf-sequences.schemas.ts';

/** PostgreSQL's exclusion constraint, or SQLite's trigger, refused an overlapping range. */
function isOverlap(error: unknown): boolean {
  const { code, message, constraint } = (error ?? {}) as Record<string, unknown>;
  const refused = code === '23P01' || code === 'SQLITE_CONSTRAINT_TRIGGER';
  return refused && [message, constraint].some((text) => typeof text === 'string' && text.includes(RULES.rangesDisjoint));
}

/** Each range of the workspace as shown, its state decided on `today` (Santo Domingo). */
function describeRanges(rows: readonly NcfSequenceRow[], today: string): NcfSequence[] {
  const activeTypes = new Set<NcfType>();
  return rows.map((row) => {
    const remaining = row.range_end - row.next_number + 1;
    const exhausted = remaining === 0;
    const expired = !exhausted && row.expires_on < today;
    const usable = !exhausted && !expired;
    const state = exhausted ? 'exhausted' : expired ? 'expired' : activeTypes.has(row.document_type) ? 'queued' : 'active';
    if (usable) activeTypes.add(row.document_type);
    const { workspace_id: _workspace, tenant_id: _tenant, next_number: next, ...shown } = row;
    return { ...shown, next_ncf: exhausted ? null : ncfText(row.document_type, next), remaining, is_low: usable && remaining <= row.low_remaining_threshold, state };
  });
}

export type NcfSequencesService = ReturnType<typeof createNcfSequencesService>;

export function createNcfSequencesService(deps: { db: Db; clock: Clock }) {
  const { db, clock } = deps;

  return {
    async list(ctx: InWorkspaceContext): Promise<NcfSequence[]> {
      return describeRanges(await repository.listSequences(scoped(db, ctx, 'ncf_sequences')), fiscalDate(clock.now()));
    },

    async create(ctx: InWorkspaceContext, input: CreateNcfSequenceBody): Promise<NcfSequence> {
      const problems: Record<string, string> = {};
      const today = fiscalDate(clock.now());
      if (input.range_end < input.range_start) problems.range_end = 'must not be below range_start';
      if (input.range_end > largestNumberOf(input.document_type)) problems.range_end = `must have at most ${input.document_type.startsWith('B') ? 8 : 10} digits for ${input.document_type}`;
      if (input.authorized_on > today) problems.authorized_on = 'must not be in the future';
      else if (expiryOf(input.authorized_on) < today) problems.authorized_on = `a range authorised then expired on ${expiryOf(input.authorized_on)}`;
      if (Object.keys(problems).length > 0) throw new AppError('VALIDATION.FAILED', problems);
      const now = clock.now().toISOString();
      const size = input.range_end - input.range_start + 1;
      try {
        return await inWorkspaceTransaction(db, ctx, async (tx) => {
          const sequences = scoped(tx, ctx, 'ncf_sequences');
          const row = await repository.insertSequence(sequences, {
            tenant_id: ctx.tenant.id,
            document_type: input.document_type,
            range_start: input.range_start,
            range_end: input.range_end,
            next_number: input.range_start,
            authorization_number: input.authorization_number.trim(),
            authorized_on: input.authorized_on,
            expires_on: expiryOf(input.authorized_on),
            low_remaining_threshold: input.low_remaining_threshold ?? Math.ceil(size / 10),
            created_at: now,
          });
          await recordAudit(tx, ctx, {
            action: 'ncf.range_created',
            targetType: 'ncf_sequence',
            targetId: row.id,
            workspaceId: ctx.workspace.id,
            details: { document_type: row.document_type, range_start: row.range_start, range_end: row.range_end, authorization_number: row.authorization_number },
            at: now,
          });
          const shown = describeRanges(await repository.listSequences(sequences), today).find((range) => range.id === row.id);
          if (!shown) throw new Error('the range just stored is not listed');
          return shown;
        });
      } catch (error) {
        if (isOverlap(error)) throw new AppError('NCF.RANGE_OVERLAPS', { document_type: input.document_type });
        throw error;
      }
    },

    async remove(ctx: InWorkspaceContext, id: number): Promise<void> {
      const now = clock.now().toISOString();
      await inWorkspaceTransaction(db, ctx, async (tx) => {
        const sequences = scoped(tx, ctx, 'ncf_sequences');
        if (!(await repository.findSequence(sequences, id))) throw new AppError('NCF.SEQUENCE_NOT_FOUND');
        if (!(await repository.deleteUnusedSequence(sequences, id))) throw new AppError('NCF.RANGE_IN_USE');
        await recordAudit(tx, ctx, { action: 'ncf.range_deleted', targetType: 'ncf_sequence', targetId: id, workspaceId: ctx.workspace.id, details: {}, at: now });
      });
    },

    /**
     * DGII's format 608 for a month (YYYYMM, the current one when none is named): the NCFs voided in it (Santo Domingo time), one per
     * row with the receipt's date (YYYYMMDD) and the tipo de anulación, in NCF order.
     */
    async report608(ctx: InWorkspaceContext, named: string | undefined): Promise<{ period: string; csv: string }> {
      const period = named ?? fiscalDate(clock.now()).slice(0, 7).replace('-', '');
      const year = Number(period.slice(0, 4));
      const month = Number(period.slice(4, 6));
      // Santo Domingo is UTC−4 all year (no daylight saving): a month there starts at 04:00 UTC.
      const from = new Date(Date.UTC(year, month - 1, 1, 4)).toISOString();
      const to = new Date(Date.UTC(year, month, 1, 4)).toISOString();
      const rows = await voidedWithNcf(scoped(db, ctx, 'invoices'), from, to);
      const records = rows.map((row) => [row.ncf, (row.issue_date ?? '').replaceAll('-', ''), row.void_reason, row.number, fiscalDate(new Date(row.voided_at ?? 0))]);
      return { period, csv: stringify(records, { header: true, columns: ['ncf', 'fecha_comprobante', 'tipo_anulacion', 'numero_factura', 'fecha_anulacion'], record_delimiter: 'windows' }) };
    },
  };
}

/**
 * The next NCF of `type` for the context's workspace, drawn inside the caller's transaction
 * from the lowest range with numbers left that has not expired on `today`: an exhausted range
 * hands over to the next one queued. 409 NCF.SEQUENCE_EXPIRED when numbers are left only in
 * expired ranges, NCF.SEQUENCE_EXHAUSTED when none are left; the caller's transaction then
 * writes nothing.
 */
export async function drawNcf(tx: Tx, ctx: InWorkspaceContext, type: NcfType, today: string): Promise<{ ncf: string; sequenceId: number }> {
  const sequences = scoped(tx, ctx, 'ncf_sequences');
  for (;;) {
    const ranges = await repository.rangesWithNumbersLeft(sequences, type);
    const usable = ranges.find((range) => range.expires_on >= today);
    if (!usable) {
      if (ranges.length > 0) throw new AppError('NCF.SEQUENCE_EXPIRED', { document_subtype: type, expired_on: ranges[ranges.length - 1]?.expires_on ?? '' });
      throw new AppError('NCF.SEQUENCE_EXHAUSTED', { document_subtype: type });
    }
    // Undefined only when a racing draw took the range's last number since it was read: read again.
    const number = await repository.drawNext(sequences, usable.id);
    if (number !== undefined) return { ncf: ncfText(type, number), sequenceId: usable.id };
  }
}
