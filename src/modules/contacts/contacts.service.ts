import type { InWorkspaceContext } from '../../core/auth/request-context.ts';
import type { Clock } from '../../core/clock.ts';
import { isForeignKeyViolation, isUniqueViolation, MAX_STORED_ID } from '../../core/db/dialect.ts';
import { inWorkspaceTransaction, scoped, type InWorkspace } from '../../core/db/workspace-scope.ts';
import { AppError } from '../../core/errors.ts';
import { decodeCursor, toPage, type Page } from '../../core/http/pagination.ts';
import { normalizeKey } from '../../core/normalize.ts';
import type { Db, Executor, Tx } from '../../schema/database.ts';
import { recordAudit } from '../audit-log/audit-log.service.ts';
import * as repository from './contacts.repository.ts';
import type { Contact, ContactListQuery, CreateContactBody, UpdateContactBody } from './contacts.schemas.ts';
import type { ContactRow } from './contacts.table.ts';
import { readTaxId } from './tax-id.ts';

function toContact(row: ContactRow): Contact {
  const { workspace_id: _workspace, name_key: _key, ...shown } = row;
  return { ...shown, tax_id_type: row.tax_id === null ? null : row.tax_id.length === 9 ? 'rnc' : 'cedula' };
}

/** The tax id's digits, or null for none; 422 naming the field when it is not a valid RNC or cédula. */
function taxIdDigits(text: string | null): string | null {
  if (text === null) return null;
  const reading = readTaxId(text);
  if (!reading.ok) throw new AppError('VALIDATION.FAILED', { tax_id: reading.problem });
  return reading.digits;
}

/** The columns a body gives (`undefined`: not given), trimmed and normalized. */
function columnsOf(input: UpdateContactBody) {
  const name = input.name?.trim();
  return {
    ...(input.kind === undefined ? {} : { kind: input.kind }),
    ...(name === undefined ? {} : { name, name_key: normalizeKey(name) }),
    ...(input.tax_id === undefined ? {} : { tax_id: taxIdDigits(input.tax_id) }),
    ...(input.email === undefined ? {} : { email: input.email }),
    ...(input.phone === undefined ? {} : { phone: input.phone?.trim() ?? null }),
    ...(input.address === undefined ? {} : { address: input.address?.trim() ?? null }),
  };
}

/** The database's unique index decides a taken tax id, whatever ran at the same time. */
const refusal = (error: unknown, taxId: string | null | undefined) =>
  taxId != null && isUniqueViolation(error, 'tax_id') ? new AppError('CONTACT.TAX_ID_TAKEN', { tax_id: taxId }) : error;

/** A contact of the context's workspace, for documents that name one (undefined when it is not there). */
export async function contactOf(executor: Executor, ctx: InWorkspace, id: number): Promise<ContactRow | undefined> {
  // A body's id past any stored one names nothing, and must not reach PostgreSQL's int4 column.
  return id > MAX_STORED_ID ? undefined : repository.findContact(scoped(executor, ctx, 'contacts'), id);
}

export type ContactsService = ReturnType<typeof createContactsService>;

export function createContactsService(deps: { db: Db; clock: Clock }) {
  const { db, clock } = deps;
  const audit = (tx: Tx, ctx: InWorkspaceContext, action: string, id: number, details: Record<string, unknown>, at: string) =>
    recordAudit(tx, ctx, { action: `contact.${action}`, targetType: 'contact', targetId: id, workspaceId: ctx.workspace.id, details, at });

  return {
    async list(ctx: InWorkspaceContext, query: ContactListQuery): Promise<Page<Contact>> {
      const rows = await repository.listContacts(scoped(db, ctx, 'contacts'), {
        ...(query.q === undefined ? {} : { search: { taxId: query.q.replace(/[\s-]/g, ''), key: normalizeKey(query.q) } }),
        ...(query.kind === undefined ? {} : { kind: query.kind }),
        afterId: decodeCursor(query.cursor),
        rows: query.limit + 1,
      });
      const page = toPage(rows, query.limit);
      return { items: page.items.map(toContact), nextCursor: page.nextCursor };
    },

    async get(ctx: InWorkspaceContext, id: number): Promise<Contact> {
      const row = await repository.findContact(scoped(db, ctx, 'contacts'), id);
      if (!row) throw new AppError('CONTACT.NOT_FOUND');
      return toContact(row);
    },

    async create(ctx: InWorkspaceContext, input: CreateContactBody): Promise<Contact> {
      const now = clock.now().toISOString();
      const name = input.name.trim();
      const values = {
        kind: 'customer' as const,
        tax_id: null,
        email: null,
        phone: null,
        address: null,
        ...columnsOf(input),
        name,
        name_key: normalizeKey(name),
        created_at: now,
        updated_at: now,
      };
      try {
        return await inWorkspaceTransaction(db, ctx, async (tx) => {
          const row = await repository.insertContact(scoped(tx, ctx, 'contacts'), values);
          await audit(tx, ctx, 'created', row.id, { name: row.name, kind: row.kind, tax_id: row.tax_id }, now);
          return toContact(row);
        });
      } catch (error) {
        throw refusal(error, values.tax_id);
      }
    },

    async update(ctx: InWorkspaceContext, id: number, input: UpdateContactBody): Promise<Contact> {
      const now = clock.now().toISOString();
      const columns = columnsOf(input);
      try {
        return await inWorkspaceTransaction(db, ctx, async (tx) => {
          const row = await repository.updateContact(scoped(tx, ctx, 'contacts'), id, { ...columns, updated_at: now });
          if (!row) throw new AppError('CONTACT.NOT_FOUND');
          const { name_key: _key, ...changed } = columns;
          await audit(tx, ctx, 'updated', id, changed, now);
          return toContact(row);
        });
      } catch (error) {
        throw refusal(error, columns.tax_id);
      }
    },

    async remove(ctx: InWorkspaceContext, id: number): Promise<void> {
      const now = clock.now().toISOString();
      try {
        await inWorkspaceTransaction(db, ctx, async (tx) => {
          if (!(await repository.deleteContact(scoped(tx, ctx, 'contacts'), id))) throw new AppError('CONTACT.NOT_FOUND');
          await audit(tx, ctx, 'deleted', id, {}, now);
        });
      } catch (error) {
        // The invoices' foreign key decides: a contact an invoice names is kept.
        throw isForeignKeyViolation(error) ? new AppError('CONTACT.IN_USE') : error;
      }
    },
  };
}
