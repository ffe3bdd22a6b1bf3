import { Type, type Static } from '@sinclair/typebox';
import { PlainText } from '../../core/http/formats.ts';
import { ListQuery, Nullable, Timestamp } from '../../core/http/schemas.ts';
import { LOCATION_TYPES } from './locations.table.ts';
import { PATTERNS } from '../../core/http/patterns.ts';

export const LocationTypeSchema = Type.Union(
  LOCATION_TYPES.map((type) => Type.Literal(type)),
  { description: 'warehouse, van, truck, site or other' },
);
const Name = PlainText({ minLength: 1, maxLength: 100, pattern: PATTERNS.notBlank });
const Address = Nullable(PlainText({ maxLength: 500 }));

export const Location = Type.Object(
  {
    id: Type.Integer(),
    name: Type.String(),
    type: LocationTypeSchema,
    address: Nullable(Type.String()),
    archived: Type.Boolean(),
    archived_at: Nullable(Timestamp),
    /** Which workspace defaults name it (`default_location_id`, …): such a location can be neither archived nor deleted. */
    default_for: Type.Array(Type.String()),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { title: 'Location' },
);
export type Location = Static<typeof Location>;

export const CreateLocationBody = Type.Object(
  { name: Name, type: Type.Optional(LocationTypeSchema), address: Type.Optional(Address) },
  { additionalProperties: false },
);
export type CreateLocationBody = Static<typeof CreateLocationBody>;

export const UpdateLocationBody = Type.Object(
  { name: Type.Optional(Name), type: Type.Optional(LocationTypeSchema), address: Type.Optional(Address), archived: Type.Optional(Type.Boolean()) },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateLocationBody = Static<typeof UpdateLocationBody>;

export const LocationListQuery = Type.Object(
  {
    ...ListQuery.properties,
    archived: Type.Optional(Type.Boolean({ description: 'true: only archived ones; false (default): only live ones' })),
  },
  { additionalProperties: false },
);
