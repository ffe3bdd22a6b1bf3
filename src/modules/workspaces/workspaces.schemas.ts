import { Type, type Static } from '@sinclair/typebox';
import { PREFERABLE_NCF_TYPES } from '../invoices/ncf.ts';
import { AccessProfile } from '../members/members.schemas.ts';
import { ImageUrl, PlainText } from '../../core/http/formats.ts';
import { camelSchema } from '../../core/http/casing.ts';
import { Nullable, Timestamp, WORKSPACE_SLUG_PATTERN } from '../../core/http/schemas.ts';
import { PLAN_KEYS } from '../plans/plans.table.ts';
import { updatableSettings, WorkspaceSettings } from '../settings/settings.schemas.ts';
import { PATTERNS } from '../../core/http/patterns.ts';

const Name = PlainText({ minLength: 1, maxLength: 100, pattern: PATTERNS.notBlank });
const Slug = Type.String({ minLength: 3, maxLength: 48, pattern: WORKSPACE_SLUG_PATTERN });
/** Seed 002's name: 1–32 characters. */
const SeedName = PlainText({ minLength: 1, maxLength: 32, pattern: PATTERNS.notBlank });
/** An https: URL or an inline PNG, JPEG, GIF or WebP of under 48 KB. */
const Logo = Nullable(ImageUrl({ minLength: 1, maxLength: 65_536 }));

export const Workspace = Type.Object(
  {
    id: Type.Integer(),
    biz_id: Type.String({ description: 'Opaque public id' }),
    name: Type.String(),
    slug: Type.String(),
    logo: Nullable(Type.String()),
    owner_id: Nullable(Type.Integer()),
    owner: Nullable(Type.Object({ id: Type.Integer(), name: Type.String(), email: Type.String() })),
    is_owner: Type.Boolean(),
    role: Nullable(Type.String({ description: "The caller's role; null when seen through view_all_locations" })),
    preferred_document_subtype: Nullable(Type.String()),
    member_count: Type.Optional(Type.Integer()),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { title: 'Workspace' },
);
export type Workspace = Static<typeof Workspace>;

export const CreateWorkspaceBody = Type.Object(
  { name: Name, slug: Type.Optional(Slug), logo: Type.Optional(Logo) },
  { additionalProperties: false },
);
export type CreateWorkspaceBody = Static<typeof CreateWorkspaceBody>;

export const UpdateWorkspaceBody = Type.Object(
  { name: Type.Optional(Name), slug: Type.Optional(Slug), logo: Type.Optional(Logo) },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateWorkspaceBody = Static<typeof UpdateWorkspaceBody>;

export const ContextSwitched = Type.Object(
  {
    current_workspace_id: Type.Integer(),
    workspace: Type.Object({ id: Type.Integer(), name: Type.String() }),
  },
  { title: 'CurrentWorkspace' },
);

export const DocumentSubtypeBody = Type.Object(
  {
    document_subtype: Type.Union(
      PREFERABLE_NCF_TYPES.map((type) => Type.Literal(type)),
      { description: 'The NCF type new invoices draw from: B01/E31 tax credit, B02/E32 consumer, … (not a credit or debit note type, which amends another invoice)' },
    ),
  },
  { additionalProperties: false },
);

const Count = Type.Integer({ minimum: 0 });

/**
 * Seed 002's workspace object, written once in snake_case: `/api/v1` serves it within
 * `WorkspaceDetails`, and seed 002's own routes serve `WorkspaceObjectCamel`, derived from it.
 */
export const WorkspaceObject = Type.Object(
  {
    id: Type.Integer(),
    name: Type.String(),
    slug: Type.String(),
    logo: Nullable(Type.String()),
    usage: Type.Integer({ minimum: 0, description: 'Documents issued in the current billing cycle' }),
    usage_limit: Count,
    items_usage: Count,
    items_limit: Count,
    suppliers_usage: Count,
    suppliers_limit: Count,
    locations_usage: Count,
    locations_limit: Count,
    tags_usage: Count,
    tags_limit: Count,
    users_usage: Count,
    users_limit: Count,
    ...WorkspaceSettings.properties,
    plan: Type.Union(PLAN_KEYS.map((key) => Type.Literal(key))),
    stripe_id: Nullable(Type.String({ description: 'Always null: the self-hosted product has no payment provider' })),
    billing_cycle_start: Type.Integer({ minimum: 1, maximum: 31, description: 'Day of the month the billing cycle restarts' }),
    created_at: Timestamp,
    trial_ends_at: Nullable(Timestamp),
    users: Type.Array(Type.Object({ role: Type.String() }), { description: "The caller's role in the workspace (empty when not a member)" }),
    invite_code: Nullable(Type.String()),
    sso_email_domain: Nullable(Type.String()),
    sso_enforced_at: Nullable(Timestamp),
    location_access: Type.Object(
      { restricted: Type.Boolean(), locations: Type.Array(Type.Object({ location_id: Type.Integer() })) },
      { description: 'The locations the caller may work in; unrestricted means all of them' },
    ),
    member_permissions: Type.Object(
      {
        capabilities: Type.Record(Type.String(), Type.Boolean(), { description: 'Every workspace permission, and whether the caller holds it here' }),
        profile: AccessProfile,
      },
      { description: "The caller's effective permissions and where they come from" },
    ),
  },
  { title: 'WorkspaceObject' },
);
export type WorkspaceObject = Static<typeof WorkspaceObject>;

/** One workspace on `/api/v1`: the list's fields and seed 002's object. */
export const WorkspaceDetails = Type.Composite([Workspace, Type.Omit(WorkspaceObject, ['id', 'name', 'slug', 'logo', 'created_at'])], {
  title: 'WorkspaceDetails',
});
export type WorkspaceDetails = Static<typeof WorkspaceDetails>;

export const WorkspaceObjectCamel = camelSchema(WorkspaceObject, 'WorkspaceObjectCamel');

export const SeedCreateWorkspaceBody = Type.Object(
  { name: SeedName, slug: Slug, logo: Type.Optional(Logo) },
  { additionalProperties: false },
);
/** Seed 002's PATCH: the workspace's own fields and its settings, in snake_case (its camelCase copy is what the route reads). */
export const SeedUpdateFields = Type.Partial(Type.Object({ name: SeedName, slug: Slug, logo: Logo, ...updatableSettings }), {
  additionalProperties: false,
  minProperties: 1,
});
export type SeedUpdateFields = Static<typeof SeedUpdateFields>;
export const SeedUpdateWorkspaceBody = camelSchema(SeedUpdateFields, 'SeedUpdateWorkspaceBody');
