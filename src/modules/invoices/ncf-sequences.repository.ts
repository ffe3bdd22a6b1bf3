import type { WorkspaceTable } from '../../core/db/workspace-scope.ts';
import type { Database } from '../../schema/database.ts';
import type { NcfSequenceRow, NcfSequencesTable, NcfType } from './invoices.table.ts';

export type WorkspaceNcfSequences = WorkspaceTable<Database, 'ncf_sequences'>;

export async function listSequences(sequences: WorkspaceNcfSequences): Promise<NcfSequenceRow[]> {
  return sequences.selectFrom().selectAll().orderBy('document_type').orderBy('range_start').execute();
}

export async function findSequence(sequences: WorkspaceNcfSequences, id: number): Promise<NcfSequenceRow | undefined> {
  return sequences.selectFrom().selectAll().where('id', '=', id).executeTakeFirst();
}

/** The ranges of a type with numbers left, in the order they are drawn from (lowest first). */
export async function rangesWithNumbersLeft(sequences: WorkspaceNcfSequences, type: NcfType): Promise<NcfSequenceRow[]> {
  return sequences
    .selectFrom()
    .selectAll()
    .where('document_type', '=', type)
    .where((eb) => eb('next_number', '<=', eb.ref('range_end')))
    .orderBy('range_start')
    .execute();
}

/**
 * Takes the next number of a range if it has one left: one guarded statement, decided on the
 * latest committed row under its row lock (a racing draw that emptied it leaves undefined).
 */
export async function drawNext(sequences: WorkspaceNcfSequences, id: number): Promise<number | undefined> {
  const row = await sequences
    .update({})
    .set((eb) => ({ next_number: eb('next_number', '+', 1) }))
    .where('id', '=', id)
    .where((eb) => eb('next_number', '<=', eb.ref('range_end')))
    .returning('next_number')
    .executeTakeFirst();
  return row === undefined ? undefined : row.next_number - 1;
}

export async function insertSequence(sequences: WorkspaceNcfSequences, values: Omit<NcfSequencesTable, 'id' | 'workspace_id'>): Promise<NcfSequenceRow> {
  return sequences.insertInto(values).returningAll().executeTakeFirstOrThrow();
}

/** Deletes a range nothing was drawn from; false when there is none such. */
export async function deleteUnusedSequence(sequences: WorkspaceNcfSequences, id: number): Promise<boolean> {
  const result = await sequences.deleteFrom().where('id', '=', id).where((eb) => eb('next_number', '=', eb.ref('range_start'))).executeTakeFirst();
  return result.numDeletedRows > 0n;
}
