import { Type } from '@sinclair/typebox';

/** Twelve characters of an alphabet without look-alikes (no 0/o, 1/l/i): about 59 bits. */
export const INVITE_CODE_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
export const INVITE_CODE_LENGTH = 12;
export const INVITE_CODE_PATTERN = `^[${INVITE_CODE_ALPHABET}]{${INVITE_CODE_LENGTH}}$`;

export const InviteCodeParams = Type.Object({ code: Type.String({ minLength: 1, maxLength: 64, description: 'The invite code' }) });

export const InviteCode = Type.Object({ invite_code: Type.String({ pattern: INVITE_CODE_PATTERN }) }, { title: 'InviteCode' });

export const JoinedByCode = Type.Object(
  {
    workspace_id: Type.Integer(),
    joined: Type.Boolean({ description: 'false when the caller was already a member (a code never gives a second membership)' }),
  },
  { title: 'JoinedByCode' },
);
