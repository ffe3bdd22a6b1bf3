import { Type, type Static } from '@sinclair/typebox';
import { PlainText } from '../../core/http/formats.ts';
import { PATTERNS } from '../../core/http/patterns.ts';
import { Timestamp } from '../../core/http/schemas.ts';
import { CalendarDate, NcfTypeSchema } from './invoices.schemas.ts';

export const NCF_STATES = ['active', 'queued', 'exhausted', 'expired'] as const;

export const NcfSequence = Type.Object(
  {
    id: Type.Integer(),
    document_type: NcfTypeSchema,
    range_start: Type.Integer(),
    range_end: Type.Integer(),
    next_ncf: Type.Union([Type.String(), Type.Null()], { description: 'The NCF the next draw takes; null once exhausted' }),
    remaining: Type.Integer({ description: 'Numbers not yet drawn' }),
    low_remaining_threshold: Type.Integer(),
    is_low: Type.Boolean({ description: 'remaining ≤ low_remaining_threshold, and the range is still usable' }),
    state: Type.Union(NCF_STATES.map((state) => Type.Literal(state)), {
      description: 'active: drawn from now; queued: takes over when the ranges before it are used up; exhausted; expired (past expires_on, in Santo Domingo)',
    }),
    authorization_number: Type.String(),
    authorized_on: Type.String({ description: 'YYYY-MM-DD' }),
    expires_on: Type.String({ description: '31 December of the year after authorized_on; usable through that day' }),
    created_at: Timestamp,
  },
  { title: 'NcfSequence' },
);
export type NcfSequence = Static<typeof NcfSequence>;

export const CreateNcfSequenceBody = Type.Object(
  {
    document_type: NcfTypeSchema,
    range_start: Type.Integer({ minimum: 1, maximum: 9_999_999_999 }),
    range_end: Type.Integer({ minimum: 1, maximum: 9_999_999_999, description: 'Inclusive; at most 8 digits for B types, 10 for E types' }),
    authorization_number: PlainText({ minLength: 1, maxLength: 40, pattern: PATTERNS.notBlank, description: "DGII's authorisation of the range" }),
    authorized_on: CalendarDate('The day DGII authorised the range'),
    low_remaining_threshold: Type.Optional(Type.Integer({ minimum: 0, maximum: 2_147_483_647, description: 'Default: a tenth of the range' })),
  },
  {
    additionalProperties: false,
    title: 'CreateNcfSequenceBody',
    description: 'A range of an authorised NCF sequence for this workspace; ranges of one type never overlap within the tenant, so one authorisation can be split among workspaces',
  },
);
export type CreateNcfSequenceBody = Static<typeof CreateNcfSequenceBody>;

export const Report608Query = Type.Object(
  { period: Type.Optional(Type.String({ pattern: '^2[0-9]{3}(0[1-9]|1[0-2])$', description: 'The month, YYYYMM (voided within it, in Santo Domingo); default the current one' })) },
  { additionalProperties: false },
);
export type Report608Query = Static<typeof Report608Query>;
