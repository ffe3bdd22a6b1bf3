import { Type, type Static } from '@sinclair/typebox';
import { PlainText } from '../../core/http/formats.ts';
import { IdParam, Timestamp } from '../../core/http/schemas.ts';

export const Member = Type.Object(
  {
    id: Type.Integer({ description: 'The user id' }),
    name: Type.String(),
    email: Type.String(),
    role: Type.String(),
    added_at: Timestamp,
  },
  { title: 'Member' },
);
export type Member = Static<typeof Member>;

export const UserIdParams = Type.Object({ user_id: IdParam });

export const ChangeRoleBody = Type.Object(
  { role: PlainText({ minLength: 1, maxLength: 50 }) },
  { additionalProperties: false },
);

/** Seed 003's form of the role change: the member named in the body (`POST …/members/role/change`). */
export const MemberRoleChangeBody = Type.Object(
  { user_id: Type.Integer({ minimum: 1 }), role: ChangeRoleBody.properties.role },
  { additionalProperties: false },
);

export const TransferOwnershipBody = Type.Object({ user_id: Type.Integer({ minimum: 1 }) }, { additionalProperties: false });
