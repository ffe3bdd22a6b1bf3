import { Type, type Static } from '@sinclair/typebox';
import { Nullable } from '../../core/http/schemas.ts';

/** The most locations one member's list may name. */
export const MAX_LISTED_LOCATIONS = 500;

export const MemberLocationAccess = Type.Object(
  {
    user_id: Type.Integer(),
    workspace_id: Type.Integer(),
    restricted: Type.Boolean({ description: 'As set for the member: true limits them to location_ids (none listed: no location at all)' }),
    location_ids: Type.Array(Type.Integer(), { description: 'The locations a restricted member works at, of those the caller may see' }),
    lifted_by: Nullable(
      Type.Union([Type.Literal('owner'), Type.Literal('view_all_locations')], {
        description: "Why a restriction does not apply: the member owns the workspace, or their tenant role sees every location",
      }),
    ),
  },
  { title: 'MemberLocationAccess' },
);
export type MemberLocationAccess = Static<typeof MemberLocationAccess>;

export const MemberLocationsBody = Type.Object(
  {
    restricted: Type.Boolean({ description: 'false: every location of the workspace; true: only location_ids' }),
    location_ids: Type.Optional(
      Type.Array(Type.Integer({ minimum: 1 }), { uniqueItems: true, maxItems: MAX_LISTED_LOCATIONS, description: 'Live locations of this workspace; only with restricted: true' }),
    ),
  },
  { additionalProperties: false, title: 'MemberLocationsBody' },
);
export type MemberLocationsBody = Static<typeof MemberLocationsBody>;
