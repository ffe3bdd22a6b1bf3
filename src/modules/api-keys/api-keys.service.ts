import { firstMissing } from '../../core/auth/permissions.ts';
import type { Catalogue } from '../../core/catalogue.ts';
import type { InWorkspaceContext, UserContext } from '../../core/auth/request-context.ts';
import { API_KEY_PREFIX } from '../../core/auth/resolve-context.ts';
import { digestToken, randomToken } from '../../core/auth/secrets.ts';
import { recordAudit, recordAuditWithoutContext } from '../audit-log/audit-log.service.ts';
import type { Clock } from '../../core/clock.ts';
import type { Db, Tx } from '../../schema/database.ts';
import { inTransaction } from '../../core/db/transaction.ts';
import { inWorkspaceTransaction, scoped } from '../../core/db/workspace-scope.ts';
import { AppError } from '../../core/errors.ts';
import { decodeCursor, toPage, type Page } from '../../core/http/pagination.ts';
import * as repository from './api-keys.repository.ts';
import type { CreateApiKeyBody } from './api-keys.schemas.ts';

export type { StoredApiKey } from './api-keys.repository.ts';

const USAGE_FLUSH_INTERVAL_MS = 30_000;

/**
 * A transaction step for whoever ends a membership: a key acts for its creator, so the
 * keys a member created in the workspace die with the membership (re-inviting the person
 * does not bring them back), each revocation audited.
 */
export async function revokeKeysOfMember(tx: Tx, ctx: InWorkspaceContext, userId: number, reason: string, now: string): Promise<void> {
  for (const id of await repository.revokeKeysCreatedBy(scoped(tx, ctx, 'api_keys'), userId, now)) {
    await recordAudit(tx, ctx, { action: 'api_key.revoked', targetType: 'api_key', targetId: id, workspaceId: ctx.workspace.id, details: { reason }, at: now });
  }
}

/**
 * A transaction step for an account taken back by its address's owner: the keys whoever held
 * the account made act for it no longer, in any workspace. Each revocation is audited in its
 * workspace, the account named as author.
 */
export async function revokeKeysOfAccount(tx: Tx, account: { tenantId: number; userId: number }, reason: string, now: string): Promise<number> {
  const revoked = await repository.revokeAllKeysCreatedBy(tx, account.tenantId, account.userId, now);
  for (const key of revoked) {
    await recordAuditWithoutContext(tx, account, { action: 'api_key.revoked', targetType: 'api_key', targetId: key.id, workspaceId: key.workspaceId, details: { reason }, at: now }, 'account_link');
  }
  return revoked.length;
}

export type ApiKeysService = ReturnType<typeof createApiKeysService>;

export function createApiKeysService(deps: { db: Db; clock: Clock; catalogue: Catalogue }) {
  const { db, clock } = deps;
  // last_used_at is kept in memory and written in batches: no write per request.
  const pendingUsage = new Map<number, string>();
  async function flushUsage(): Promise<void> {
    if (pendingUsage.size === 0) return;
    const batch = new Map(pendingUsage);
    pendingUsage.clear();
    await inTransaction(db, (tx) => repository.recordLastUsed(tx, batch));
  }
  const flushTimer = setInterval(() => void flushUsage().catch(() => undefined), USAGE_FLUSH_INTERVAL_MS);
  flushTimer.unref();

  return {
    /** How many workspace permissions the composed areas declare: the bound on a key's scopes. */
    permissionCount: deps.catalogue.permissions.size,

    recordUsage(apiKeyId: number): void {
      pendingUsage.set(apiKeyId, clock.now().toISOString());
    },

    /** Writes pending usage and stops the timer; called when the app closes. */
    async close(): Promise<void> {
      clearInterval(flushTimer);
      await flushUsage();
    },

    flushUsage,

    /** A key acts only in this workspace and only within scopes its creator holds now. */
    async create(ctx: InWorkspaceContext & UserContext, input: CreateApiKeyBody): Promise<repository.StoredApiKey & { secret: string }> {
      const unknown = input.scopes.filter((scope) => !deps.catalogue.isWorkspacePermission(scope));
      if (unknown.length > 0) throw new AppError('VALIDATION.FAILED', { scopes: `unknown permissions: ${unknown.join(', ')}` });
      const missing = firstMissing(ctx.workspace.permissions, input.scopes);
      if (missing) throw new AppError('AUTH.FORBIDDEN', { permission: missing });
      const now = clock.now();
      if (input.expires_at && new Date(input.expires_at).getTime() <= now.getTime()) {
        throw new AppError('VALIDATION.FAILED', { expires_at: 'must be in the future' });
      }
      const secret = randomToken(API_KEY_PREFIX);
      const created = await inWorkspaceTransaction(db, ctx, async (tx) => {
        const key = await repository.insertApiKey(tx, scoped(tx, ctx, 'api_keys'), {
          tenantId: ctx.tenant.id,
          createdBy: ctx.actor.userId,
          name: input.name.trim(),
          prefix: secret.slice(0, API_KEY_PREFIX.length + 8),
          keyHash: digestToken(secret),
          expiresAt: input.expires_at ? new Date(input.expires_at).toISOString() : null,
          scopes: input.scopes,
          now: now.toISOString(),
        });
        await recordAudit(tx, ctx, {
          action: 'api_key.created',
          targetType: 'api_key',
          targetId: key.id,
          workspaceId: ctx.workspace.id,
          details: { name: key.name, scopes: key.scopes },
          at: now.toISOString(),
        });
        return key;
      });
      return { ...created, secret };
    },

    async list(ctx: InWorkspaceContext, query: { limit: number; cursor?: string }): Promise<Page<repository.StoredApiKey>> {
      const rows = await repository.listApiKeys(db, scoped(db, ctx, 'api_keys'), decodeCursor(query.cursor), query.limit + 1);
      return toPage(rows, query.limit);
    },

    /** Revocation acts on the key's next request: the context query skips revoked keys. */
    async revoke(ctx: InWorkspaceContext, id: number): Promise<void> {
      const now = clock.now().toISOString();
      await inTransaction(db, async (tx) => {
        const keys = scoped(tx, ctx, 'api_keys');
        if (!(await repository.revokeApiKey(keys, id, now))) {
          if (!(await repository.apiKeyExists(keys, id))) throw new AppError('API_KEY.NOT_FOUND');
          return;
        }
        await recordAudit(tx, ctx, {
          action: 'api_key.revoked',
          targetType: 'api_key',
          targetId: id,
          workspaceId: ctx.workspace.id,
          at: now,
        });
      });
    },
  };
}
