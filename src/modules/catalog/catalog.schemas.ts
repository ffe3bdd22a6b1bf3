import { Type, type Static, type TObject, type TProperties } from '@sinclair/typebox';
import { HexColor, PlainText } from '../../core/http/formats.ts';
import { PATTERNS } from '../../core/http/patterns.ts';
import { EmailAddress, Id, ListQuery, Money, Nullable, Timestamp } from '../../core/http/schemas.ts';

const Name = PlainText({ minLength: 1, maxLength: 100, pattern: PATTERNS.notBlank });
const ShortText = Nullable(PlainText({ maxLength: 40 }));

/** The body that changes a record: every field of the create body optional, at least one given. */
const changesOf = <T extends TProperties>(create: TObject<T>, title: string) =>
  Type.Partial(create, { additionalProperties: false, minProperties: 1, title });

export const NamedListQuery = Type.Object(
  { ...ListQuery.properties, q: Type.Optional(PlainText({ minLength: 1, maxLength: 100, description: 'Names starting with this, compared as names are (case and width folded)' })) },
  { additionalProperties: false },
);

export const Supplier = Type.Object(
  {
    id: Type.Integer(),
    name: Type.String(),
    email: Nullable(Type.String()),
    phone: Nullable(Type.String()),
    tax_id: Nullable(Type.String()),
    notes: Nullable(Type.String()),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { title: 'Supplier' },
);
export type Supplier = Static<typeof Supplier>;
export const CreateSupplierBody = Type.Object(
  {
    name: Name,
    email: Type.Optional(Nullable(EmailAddress)),
    phone: Type.Optional(ShortText),
    tax_id: Type.Optional(ShortText),
    notes: Type.Optional(Nullable(PlainText({ maxLength: 500 }))),
  },
  { additionalProperties: false, title: 'CreateSupplierBody' },
);
export const UpdateSupplierBody = changesOf(CreateSupplierBody, 'UpdateSupplierBody');

export const Tag = Type.Object({ id: Type.Integer(), name: Type.String(), color: Nullable(Type.String()), created_at: Timestamp, updated_at: Timestamp }, { title: 'Tag' });
export type Tag = Static<typeof Tag>;
export const CreateTagBody = Type.Object({ name: Name, color: Type.Optional(Nullable(HexColor())) }, { additionalProperties: false, title: 'CreateTagBody' });
export const UpdateTagBody = changesOf(CreateTagBody, 'UpdateTagBody');

export const Item = Type.Object(
  {
    id: Type.Integer(),
    sku: Type.String(),
    name: Type.String(),
    unit: Type.String(),
    barcode: Nullable(Type.String()),
    unit_cost: Type.String({ description: 'Exact, as a decimal string ("12.50")' }),
    sell_price: Type.String({ description: 'Exact, as a decimal string; when not given, the unit cost raised by the workspace\'s default markup' }),
    tag_ids: Type.Array(Type.Integer()),
    preferred_supplier_id: Nullable(Type.Integer()),
    archived: Type.Boolean(),
    archived_at: Nullable(Timestamp),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { title: 'Item' },
);
export type Item = Static<typeof Item>;

const TagIds = Type.Array(Id, { uniqueItems: true, maxItems: 50, description: 'Tags of this workspace' });
export const CreateItemBody = Type.Object(
  {
    sku: PlainText({ minLength: 1, maxLength: 64, pattern: PATTERNS.notBlank, description: 'Unique in the workspace, compared case- and width-folded' }),
    name: Name,
    unit: Type.Optional(PlainText({ minLength: 1, maxLength: 20, pattern: PATTERNS.notBlank, description: 'Default "unit"' })),
    barcode: Type.Optional(Nullable(PlainText({ minLength: 1, maxLength: 64, pattern: PATTERNS.noSpaces }))),
    unit_cost: Type.Optional(Money({ description: 'Default "0"' })),
    sell_price: Type.Optional(Money({ description: "Default: the unit cost raised by the workspace's default_markup_percent, to the cent" })),
    tag_ids: Type.Optional(TagIds),
    preferred_supplier_id: Type.Optional(Nullable(Id)),
  },
  { additionalProperties: false, title: 'CreateItemBody' },
);
export type CreateItemBody = Static<typeof CreateItemBody>;
export const UpdateItemBody = Type.Object(
  { ...Type.Partial(CreateItemBody).properties, archived: Type.Optional(Type.Boolean()) },
  { additionalProperties: false, minProperties: 1, title: 'UpdateItemBody' },
);
export type UpdateItemBody = Static<typeof UpdateItemBody>;

export const ItemListQuery = Type.Object(
  {
    ...ListQuery.properties,
    q: Type.Optional(PlainText({ minLength: 1, maxLength: 100, description: 'An exact barcode, or the start of a SKU or a name' })),
    archived: Type.Optional(Type.Boolean({ description: 'true: only archived items; false (default): only live ones' })),
    tag_id: Type.Optional(Id),
    supplier_id: Type.Optional(Id),
  },
  { additionalProperties: false },
);
export type ItemListQuery = Static<typeof ItemListQuery>;
