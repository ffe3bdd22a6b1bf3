import type { Selectable } from 'kysely';
import type { WorkspaceTable } from '../../core/db/workspace-scope.ts';
import type { Database, Executor, Tx } from '../../schema/database.ts';
import type { SsoConnectionsTable, SsoSignInsTable } from './sso.table.ts';

export type SsoConnection = Selectable<SsoConnectionsTable>;
export type SsoSignIn = Selectable<SsoSignInsTable>;

/** The workspace's single sign-on row, seen only from that workspace. */
export type WorkspaceConnection = WorkspaceTable<Database, 'sso_connections'>;

export function findConnection(connection: WorkspaceConnection): Promise<SsoConnection | undefined> {
  return connection.selectFrom().selectAll().executeTakeFirst();
}

/**
 * Creates the workspace's row with `changes`, or changes the row the transaction holds. Not an
 * upsert: the checks would judge the insert's partial row before the conflict turned it into an update.
 */
export function saveConnection(
  connection: WorkspaceConnection,
  values: { tenantId: number; now: string; exists: boolean; changes: SaveChanges },
): Promise<SsoConnection> {
  const query = values.exists
    ? connection.update({ ...values.changes, updated_at: values.now })
    : connection.insertInto({ tenant_id: values.tenantId, created_at: values.now, updated_at: values.now, ...values.changes });
  return query.returningAll().executeTakeFirstOrThrow();
}

/** The workspace of the tenant whose proved domain this is, with its connection (whether or not a provider is connected). */
export function findByVerifiedDomain(db: Executor, tenantId: number, domain: string): Promise<SsoConnection | undefined> {
  return db
    .selectFrom('sso_connections')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('email_domain', '=', domain)
    .where('domain_verified_at', 'is not', null)
    .executeTakeFirst();
}

export async function insertSignIn(
  tx: Tx,
  values: {
    stateHash: string;
    tenantId: number;
    workspaceId: number;
    nonce: string;
    codeVerifier: string;
    returnTo: string | null;
    browserBindingHash: string | null;
    now: string;
    expiresAt: string;
  },
): Promise<void> {
  await tx
    .insertInto('sso_sign_ins')
    .values({
      state_hash: values.stateHash,
      tenant_id: values.tenantId,
      workspace_id: values.workspaceId,
      nonce: values.nonce,
      code_verifier: values.codeVerifier,
      return_to: values.returnTo,
      browser_binding_hash: values.browserBindingHash,
      created_at: values.now,
      expires_at: values.expiresAt,
    })
    .execute();
}

/** Takes a live sign-in by its state, once: a second callback with the same state finds nothing. */
export function claimSignIn(tx: Tx, stateHash: string, now: string): Promise<SsoSignIn | undefined> {
  return tx
    .updateTable('sso_sign_ins')
    .set({ used_at: now })
    .where('state_hash', '=', stateHash)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .returningAll()
    .executeTakeFirst();
}

/** Sign-ins that can no longer complete: past their expiry for a day, used or not. */
export async function deleteStaleSignIns(tx: Tx, before: string): Promise<void> {
  await tx.deleteFrom('sso_sign_ins').where('expires_at', '<', before).execute();
}

export async function findLinkedUser(tx: Tx, tenantId: number, issuer: string, subject: string): Promise<number | undefined> {
  const row = await tx
    .selectFrom('sso_identities')
    .select('user_id')
    .where('tenant_id', '=', tenantId)
    .where('issuer', '=', issuer)
    .where('subject', '=', subject)
    .executeTakeFirst();
  return row?.user_id;
}

export async function linkIdentity(tx: Tx, values: { tenantId: number; userId: number; workspaceId: number; issuer: string; subject: string; now: string }): Promise<void> {
  await tx
    .insertInto('sso_identities')
    .values({ tenant_id: values.tenantId, user_id: values.userId, workspace_id: values.workspaceId, issuer: values.issuer, subject: values.subject, created_at: values.now })
    .execute();
}

/** The columns a change may set. */
export type SaveChanges = Partial<Omit<SsoConnection, 'workspace_id' | 'tenant_id' | 'created_at' | 'updated_at'>>;

/** A workspace's row read by its id, for a sign-in's callback, which has no workspace context (it comes back from the provider). */
export function findConnectionOf(db: Executor, workspaceId: number): Promise<SsoConnection | undefined> {
  return db.selectFrom('sso_connections').selectAll().where('workspace_id', '=', workspaceId).executeTakeFirst();
}

/** Operator: marks the tenant's unproved claim of `domain` proved; the claiming workspace, or undefined when there is no such claim. */
export async function markClaimVerified(tx: Tx, tenantId: number, domain: string, now: string): Promise<number | undefined> {
  const row = await tx
    .updateTable('sso_connections')
    .set({ domain_verified_at: now, updated_at: now })
    .where('tenant_id', '=', tenantId)
    .where('email_domain', '=', domain)
    .where('domain_verified_at', 'is', null)
    .returning('workspace_id')
    .executeTakeFirst();
  return row?.workspace_id;
}
