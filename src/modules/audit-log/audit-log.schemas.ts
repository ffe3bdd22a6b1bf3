import { Type, type Static } from '@sinclair/typebox';
import { PlainText } from '../../core/http/formats.ts';
import { PATTERNS } from '../../core/http/patterns.ts';
import { ListQuery } from '../../core/http/schemas.ts';

/** A page of a log, narrowed by any of these together. */
export const AuditQuery = Type.Object(
  {
    ...ListQuery.properties,
    action: Type.Optional(
      Type.String({
        maxLength: 100,
        pattern: '^[a-z][a-z_]*(\\.[a-z_]+)*\\.?$',
        description: 'One action (`member.role_changed`), or every action of an area when it ends in a dot (`member.`)',
      }),
    ),
    actor_email: Type.Optional(
      PlainText({ pattern: PATTERNS.emailAddress, minLength: 3, maxLength: 254, description: "The person who acted, by address (compared as sign-in compares it): in a workspace's log, one of its members" }),
    ),
    target_type: Type.Optional(Type.String({ maxLength: 50, pattern: '^[a-z][a-z_]*$', description: 'What the events are about: `user`, `role`, `api_key`…' })),
    target_id: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Which one (with or without `target_type`)' })),
    since: Type.Optional(Type.String({ format: 'date-time', description: 'Events at or after this instant' })),
    until: Type.Optional(Type.String({ format: 'date-time', description: 'Events before this instant' })),
  },
  { additionalProperties: false },
);
export type AuditQuery = Static<typeof AuditQuery>;
