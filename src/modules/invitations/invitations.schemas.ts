import { Type, type Static } from '@sinclair/typebox';
import { PlainText } from '../../core/http/formats.ts';
import { EmailAddress, ListQuery, Nullable, Timestamp } from '../../core/http/schemas.ts';
import { INVITATION_STATUSES } from './invitations.table.ts';

const Token = Type.String({ minLength: 1, maxLength: 200 });

const Status = Type.Union(INVITATION_STATUSES.map((status) => Type.Literal(status)));

export const InvitationListQuery = Type.Object(
  { ...ListQuery.properties, status: Type.Optional(Status) },
  { additionalProperties: false },
);

export const Invitation = Type.Object(
  {
    id: Type.Integer(),
    email: Type.String(),
    role: Type.String(),
    status: Status,
    invited_by: Nullable(Type.Integer()),
    expires_at: Timestamp,
    responded_at: Nullable(Timestamp),
    created_at: Timestamp,
  },
  { title: 'Invitation' },
);
export type Invitation = Static<typeof Invitation>;

export const IssuedInvitation = Type.Object(
  {
    ...Invitation.properties,
    token: Type.Optional(
      Type.String({
        description:
          'Shown to the inviter once, and sent by e-mail. Absent when the inviter acts as a sub workspace (x-as-workspace): only the invitee\'s mailbox gets it, so nobody acting for a workspace can make themselves a member of it',
      }),
    ),
  delivery: Type.Union([Type.Literal('smtp'), Type.Literal('outbox')], {
    description:
      'How the e-mail leaves: `smtp`, queued for the delivery worker; `outbox`, no SMTP server is configured and the message waits for the operator (`npm run tessera -- outbox list`), so share the link yourself',
  }),
  },
  { title: 'IssuedInvitation' },
);

export const CreateInvitationBody = Type.Object(
  { email: EmailAddress, role: PlainText({ minLength: 1, maxLength: 50, default: 'member' }) },
  { additionalProperties: false },
);
export type CreateInvitationBody = Static<typeof CreateInvitationBody>;

export const TokenBody = Type.Object({ token: Token }, { additionalProperties: false });

export const InvitationPreview = Type.Object(
  {
    workspace_name: Type.String(),
    inviter_name: Nullable(Type.String()),
    role: Type.String(),
    expires_at: Timestamp,
  },
  { title: 'InvitationPreview' },
);

export const Accepted = Type.Object({ workspace_id: Type.Integer(), role: Type.String() }, { title: 'AcceptedInvitation' });
