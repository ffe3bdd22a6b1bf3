import { startsWith } from '../../core/db/dialect.ts';
import type { WorkspaceTable } from '../../core/db/workspace-scope.ts';
import { afterKey } from '../../core/http/pagination.ts';
import type { Database } from '../../schema/database.ts';
import type { ContactKind, ContactRow, ContactsTable } from './contacts.table.ts';

export type WorkspaceContacts = WorkspaceTable<Database, 'contacts'>;
export type ContactColumns = Omit<ContactsTable, 'id' | 'workspace_id'>;

export interface ContactFilter {
  /** A tax id's digits (exact), or the start of a normalized name. */
  search?: { taxId: string; key: string };
  /** Contacts of this kind and those of both. */
  kind?: Exclude<ContactKind, 'both'>;
  afterId: number;
  rows: number;
}

export async function listContacts(contacts: WorkspaceContacts, filter: ContactFilter): Promise<ContactRow[]> {
  const { search, kind } = filter;
  let query = contacts.selectFrom().selectAll();
  if (search) query = query.where((eb) => eb.or([eb('tax_id', '=', search.taxId), startsWith('name_key', search.key)]));
  if (kind) query = query.where('kind', 'in', [kind, 'both']);
  return query.$call(afterKey('id', filter.afterId, filter.rows)).execute();
}

export async function findContact(contacts: WorkspaceContacts, id: number): Promise<ContactRow | undefined> {
  return contacts.selectFrom().selectAll().where('id', '=', id).executeTakeFirst();
}

export async function insertContact(contacts: WorkspaceContacts, values: ContactColumns): Promise<ContactRow> {
  return contacts.insertInto(values).returningAll().executeTakeFirstOrThrow();
}

export async function updateContact(contacts: WorkspaceContacts, id: number, changes: Partial<ContactColumns> & { updated_at: string }): Promise<ContactRow | undefined> {
  return contacts.update(changes).where('id', '=', id).returningAll().executeTakeFirst();
}

export async function deleteContact(contacts: WorkspaceContacts, id: number): Promise<boolean> {
  const result = await contacts.deleteFrom().where('id', '=', id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}
