import { requireAddressProvedToJoin } from '../identity/identity.service.ts';
import { randomInt } from 'node:crypto';
import type { InWorkspaceContext, UserContext } from '../../core/auth/request-context.ts';
import type { Clock } from '../../core/clock.ts';
import { isUniqueViolation } from '../../core/db/dialect.ts';
import { inTransaction } from '../../core/db/transaction.ts';
import { holdWorkspace, inWorkspaceTransaction } from '../../core/db/workspace-scope.ts';
import { AppError } from '../../core/errors.ts';
import type { Db, Executor, Tx } from '../../schema/database.ts';
import { recordAudit, recordAuditWithoutContext } from '../audit-log/audit-log.service.ts';
import { addMember } from '../members/members.service.ts';
import * as repository from './invite-codes.repository.ts';
import { INVITE_CODE_ALPHABET, INVITE_CODE_LENGTH } from './invite-codes.schemas.ts';

/** The role a code gives: seed 002's joiners are members; anything more is granted afterwards. */
const JOINED_ROLE = 'member';
const JOINED_ACTION = 'member.joined_by_code';

function newCode(): string {
  return Array.from({ length: INVITE_CODE_LENGTH }, () => INVITE_CODE_ALPHABET[randomInt(INVITE_CODE_ALPHABET.length)]).join('');
}

/** Codes are typed by people: case and surrounding spaces do not matter. */
const normalizeCode = (code: string) => code.trim().toLowerCase();

export interface Joined {
  workspaceId: number;
  joined: boolean;
}

/**
 * Joins the workspace a live code opens, as a member, counted against the plan's users
 * limit (402 past it); one membership however often the code is used, audited when it
 * is made. Locks in a workspace deletion's order: the workspace row first, then the code.
 */
async function joinInTransaction(
  tx: Tx,
  input: { tenantId: number; code: string; userId: number; now: string },
  audit: (tx: Tx, workspaceId: number) => Promise<void>,
): Promise<Joined> {
  const code = normalizeCode(input.code);
  const workspaceId = await repository.workspaceOfCode(tx, input.tenantId, code, false);
  if (workspaceId === undefined || !(await holdWorkspace(tx, workspaceId))) throw new AppError('INVITE_CODE.NOT_FOUND');
  // Read again under the hold: rotated or disabled since the first read, the code opens nothing.
  if ((await repository.workspaceOfCode(tx, input.tenantId, code, true)) !== workspaceId) throw new AppError('INVITE_CODE.NOT_FOUND');
  if (!(await addMember(tx, workspaceId, input.userId, JOINED_ROLE, input.now))) return { workspaceId, joined: false };
  await audit(tx, workspaceId);
  return { workspaceId, joined: true };
}

/** The code shown in the workspace object, to those who could rotate it; null otherwise or when there is none. */
export async function visibleInviteCode(db: Executor, ctx: InWorkspaceContext): Promise<string | null> {
  if (ctx.workspace.actingFrom || !ctx.workspace.permissions.has('invitations:create')) return null;
  return (await repository.findCodeOf(db, ctx.workspace.id)) ?? null;
}

export type InviteCodesService = ReturnType<typeof createInviteCodesService>;

export function createInviteCodesService(deps: { db: Db; clock: Clock }) {
  const { db, clock } = deps;

  const audited = (tx: Tx, ctx: InWorkspaceContext | UserContext, action: string, workspaceId: number, now: string) =>
    recordAudit(tx, ctx, { action, targetType: 'workspace', targetId: workspaceId, workspaceId, details: {}, at: now });

  return {
    /** Issues a new code (the first, or instead of the live one, which stops working at once). */
    async rotate(ctx: InWorkspaceContext): Promise<string> {
      const now = clock.now().toISOString();
      for (let attempt = 1; ; attempt += 1) {
        const code = newCode();
        try {
          await inWorkspaceTransaction(db, ctx, async (tx) => {
            await repository.replaceCode(tx, { workspaceId: ctx.workspace.id, tenantId: ctx.tenant.id, code, createdBy: ctx.actor.userId, now });
            // The code itself stays out of the log: whoever reads the log may not be allowed to see it.
            await audited(tx, ctx, 'invite_code.rotated', ctx.workspace.id, now);
          });
          return code;
        } catch (error) {
          // Another workspace of the tenant drew the same code (one chance in 2^59): draw again.
          if (isUniqueViolation(error, 'code') && attempt < 3) continue;
          throw error;
        }
      }
    },

    async disable(ctx: InWorkspaceContext): Promise<void> {
      const now = clock.now().toISOString();
      await inWorkspaceTransaction(db, ctx, async (tx) => {
        if (await repository.deleteCode(tx, ctx.workspace.id)) await audited(tx, ctx, 'invite_code.disabled', ctx.workspace.id, now);
      });
    },

    /** A signed-in user joins by code. */
    async join(ctx: UserContext, code: string): Promise<Joined> {
      const now = clock.now().toISOString();
      return inTransaction(db, async (tx) => {
        await requireAddressProvedToJoin(tx, ctx);
        const input = { tenantId: ctx.tenant.id, code, userId: ctx.actor.userId, now };
        return joinInTransaction(tx, input, (inner, workspaceId) => audited(inner, ctx, JOINED_ACTION, workspaceId, now));
      });
    },

    /** Registration with a code where the tenant wants the address proved before joining: the code must be live, and is used later. */
    async checkOnRegistration(tx: Tx, input: { tenantId: number; code: string }): Promise<void> {
      if ((await repository.workspaceOfCode(tx, input.tenantId, normalizeCode(input.code), false)) === undefined) throw new AppError('INVITE_CODE.NOT_FOUND');
    },

    /** Registration with a code: joins inside the registration's transaction, so a bad code rolls the account back. */
    joinOnRegistration: (tx: Tx, input: { tenantId: number; code: string; userId: number; now: string }): Promise<Joined> =>
      joinInTransaction(tx, input, (inner, workspaceId) =>
        recordAuditWithoutContext(inner, input, { action: JOINED_ACTION, targetType: 'workspace', targetId: workspaceId, workspaceId, details: {}, at: input.now }),
      ),
  };
}
