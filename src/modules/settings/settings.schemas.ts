import { Type, type Static } from '@sinclair/typebox';
import { CurrencyCode, Decimal4, HexColor, PlainText } from '../../core/http/formats.ts';
import { EmailAddress, Id, Nullable } from '../../core/http/schemas.ts';
import { LocationTypeSchema } from '../locations/locations.schemas.ts';
import { PATTERNS } from '../../core/http/patterns.ts';

/**
 * A workspace's settings in the contract's snake_case, written once: seed 002's camelCase
 * shape is derived from it (core/http/casing.ts), with the same ranges and enums.
 */
const fields = {
  default_currency: CurrencyCode(),
  invoice_number_prefix: PlainText({ minLength: 1, maxLength: 12, pattern: PATTERNS.noSpaces, description: 'Prefix of invoice numbers' }),
  default_tax_percent: Decimal4({ minimum: 0, maximum: 100, description: 'Default tax rate, exact to 4 decimal places' }),
  default_tax_included: Type.Boolean({ description: 'Whether line prices include tax' }),
  default_invoice_due_days: Type.Integer({ minimum: 0, maximum: 365, description: 'Days until new invoices are due (0: no default due date)' }),
  default_markup_percent: Nullable(Decimal4({ minimum: 0, maximum: 1000, description: 'Default markup from unit cost to sell price' })),
  default_location_type: LocationTypeSchema,
  invoicing_business_name: Nullable(PlainText({ minLength: 1, maxLength: 200 })),
  invoicing_brand_color: Nullable(HexColor()),
  invoicing_email: Nullable(EmailAddress),
  invoicing_address: Nullable(PlainText({ minLength: 1, maxLength: 500 })),
  default_location_id: Nullable(Id),
  default_invoice_source_location_id: Nullable(Id),
  default_transfer_from_location_id: Nullable(Id),
  allow_negative_stock: Type.Boolean({ description: 'Whether stock may be taken below zero (receipts book it back up); off by default' }),
};

export const WorkspaceSettings = Type.Object(fields, { title: 'WorkspaceSettings' });
export type WorkspaceSettings = Static<typeof WorkspaceSettings>;

/**
 * What a change may set: every field, but the default location only to another location,
 * never to none (every workspace keeps one; seed 002's object types it nullable all the same).
 */
export const updatableSettings = { ...fields, default_location_id: Id };
export const UpdateSettingsBody = Type.Partial(Type.Object(updatableSettings), { additionalProperties: false, minProperties: 1 });
export type UpdateSettingsBody = Static<typeof UpdateSettingsBody>;
