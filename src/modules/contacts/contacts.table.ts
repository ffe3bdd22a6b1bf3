import type { Generated, Selectable } from 'kysely';
import type { CONTACT_KINDS } from '../../schema/migrations/0019-contacts.ts';

export type ContactKind = (typeof CONTACT_KINDS)[number];

/** Whom a workspace sells to or buys from (migration 0019). */
export interface ContactsTable {
  id: Generated<number>;
  workspace_id: number;
  kind: ContactKind;
  name: string;
  /** The normalized name searches start from. */
  name_key: string;
  /** An RNC (9 digits) or a cédula (11), digits only, unique in the workspace; null for none. */
  tax_id: string | null;
  email: string | null;
  phone: string | null;
  address: string | null;
  created_at: string;
  updated_at: string;
}

export type ContactRow = Selectable<ContactsTable>;
