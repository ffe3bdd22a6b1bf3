import { MAX_STORED_ID } from '../../core/db/dialect.ts';
import type { WorkspaceTable } from '../../core/db/workspace-scope.ts';
import { afterKey } from '../../core/http/pagination.ts';
import type { Database } from '../../schema/database.ts';
import type { QuotationLineRow, QuotationLinesTable, QuotationRow, QuotationsTable, QuotationStatus } from './quotations.table.ts';

export type WorkspaceQuotations = WorkspaceTable<Database, 'quotations'>;
export type WorkspaceQuotationLines = WorkspaceTable<Database, 'quotation_lines'>;
export type QuotationColumns = Omit<QuotationsTable, 'id' | 'workspace_id'>;

export async function listQuotations(quotations: WorkspaceQuotations, filter: { status?: QuotationStatus; contactId?: number; afterId: number; rows: number }): Promise<QuotationRow[]> {
  if (filter.contactId !== undefined && filter.contactId > MAX_STORED_ID) return [];
  let query = quotations.selectFrom().selectAll();
  if (filter.status) query = query.where('status', '=', filter.status);
  if (filter.contactId !== undefined) query = query.where('contact_id', '=', filter.contactId);
  return query.$call(afterKey('id', filter.afterId, filter.rows)).execute();
}

/** One quotation; `lockForUpdate` (PostgreSQL) holds it until the transaction ends, so two conversions run one after the other. */
export async function findQuotation(quotations: WorkspaceQuotations, id: number, lockForUpdate = false): Promise<QuotationRow | undefined> {
  const query = quotations.selectFrom().selectAll().where('id', '=', id);
  return (lockForUpdate ? query.forUpdate() : query).executeTakeFirst();
}

export async function insertQuotation(quotations: WorkspaceQuotations, values: QuotationColumns): Promise<QuotationRow> {
  return quotations.insertInto(values).returningAll().executeTakeFirstOrThrow();
}

/** Changes a quotation that is still open; undefined when it is not (converted meanwhile). */
export async function updateOpenQuotation(quotations: WorkspaceQuotations, id: number, changes: Partial<QuotationColumns> & { updated_at: string }): Promise<QuotationRow | undefined> {
  return quotations.update(changes).where('id', '=', id).where('status', '=', 'open').returningAll().executeTakeFirst();
}

export async function deleteOpenQuotation(quotations: WorkspaceQuotations, id: number): Promise<boolean> {
  const result = await quotations.deleteFrom().where('id', '=', id).where('status', '=', 'open').executeTakeFirst();
  return result.numDeletedRows > 0n;
}

export async function quotationLinesOf(lines: WorkspaceQuotationLines, quotationId: number): Promise<QuotationLineRow[]> {
  return lines.selectFrom().selectAll().where('quotation_id', '=', quotationId).orderBy('position').execute();
}

export async function replaceQuotationLines(lines: WorkspaceQuotationLines, quotationId: number, rows: ReadonlyArray<Omit<QuotationLinesTable, 'id' | 'workspace_id' | 'quotation_id'>>): Promise<void> {
  await lines.deleteFrom().where('quotation_id', '=', quotationId).execute();
  for (const row of rows) await lines.insertInto({ ...row, quotation_id: quotationId }).execute();
}
