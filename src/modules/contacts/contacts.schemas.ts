import { Type, type Static } from '@sinclair/typebox';
import { PlainText } from '../../core/http/formats.ts';
import { PATTERNS } from '../../core/http/patterns.ts';
import { EmailAddress, ListQuery, Nullable, Timestamp } from '../../core/http/schemas.ts';
import { CONTACT_KINDS } from '../../schema/migrations/0019-contacts.ts';

const Kind = Type.Union(
  CONTACT_KINDS.map((kind) => Type.Literal(kind)),
  { description: 'customer: sold to; vendor: bought from; both' },
);

export const Contact = Type.Object(
  {
    id: Type.Integer(),
    kind: Kind,
    name: Type.String(),
    tax_id: Nullable(Type.String({ description: 'Digits only' })),
    tax_id_type: Nullable(Type.Union([Type.Literal('rnc'), Type.Literal('cedula')])),
    email: Nullable(Type.String()),
    phone: Nullable(Type.String()),
    address: Nullable(Type.String()),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { title: 'Contact' },
);
export type Contact = Static<typeof Contact>;

export const CreateContactBody = Type.Object(
  {
    kind: Type.Optional(Type.Union(CONTACT_KINDS.map((kind) => Type.Literal(kind)), { description: 'Default "customer"' })),
    name: PlainText({ minLength: 1, maxLength: 200, pattern: PATTERNS.notBlank }),
    tax_id: Type.Optional(
      Nullable(
        PlainText({
          minLength: 9,
          maxLength: 20,
          description: 'An RNC (9 digits) or a cédula (11 digits), with or without dashes; its check digit is verified; unique in the workspace',
        }),
      ),
    ),
    email: Type.Optional(Nullable(EmailAddress)),
    phone: Type.Optional(Nullable(PlainText({ minLength: 1, maxLength: 40, pattern: PATTERNS.notBlank }))),
    address: Type.Optional(Nullable(PlainText({ minLength: 1, maxLength: 500, pattern: PATTERNS.notBlank }))),
  },
  { additionalProperties: false, title: 'CreateContactBody' },
);
export type CreateContactBody = Static<typeof CreateContactBody>;
export const UpdateContactBody = Type.Partial(CreateContactBody, { additionalProperties: false, minProperties: 1, title: 'UpdateContactBody' });
export type UpdateContactBody = Static<typeof UpdateContactBody>;

export const ContactListQuery = Type.Object(
  {
    ...ListQuery.properties,
    q: Type.Optional(PlainText({ minLength: 1, maxLength: 100, description: 'A tax id (exact, dashes allowed), or the start of a name' })),
    kind: Type.Optional(Type.Union([Type.Literal('customer'), Type.Literal('vendor')], { description: 'customer: customers and both; vendor: vendors and both' })),
  },
  { additionalProperties: false },
);
export type ContactListQuery = Static<typeof ContactListQuery>;
