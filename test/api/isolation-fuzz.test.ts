/**
 * Tenant-isolation fuzzer with canaries (docs: testing guide C3).
 *
 * Two tenants get mirrored data through the HTTP API: `default` is the attacker's side,
 * `victim` the other. Both use the same names, slugs and (for the owners) the same email;
 * integer ids interleave, so a victim id is always next to an attacker id. Every free-text
 * field of the victim tenant also carries a `CANARY-victim-<random>` marker, and so does the
 * local part of every address the victim invites. Both sides hold invitations (with their
 * queued e-mails) that are pending, revoked, resent, expired, declined and accepted.
 *
 * Both sides also hold three workspace groups (seed 004), made through the API (invite, then
 * the sub's owner accepts): the owner's Main Branch and North Branch administer the second
 * user's Corner Shop and Kiosk, and a third user, the rival, administers Rival Depot from
 * Rival HQ (and has invited Corner Shop too, pending). The attacker's rival is a bystander
 * inside the attacker's own tenant: its free text carries `CANARY-rival-<random>`, which only
 * the tenant owner's read-only view of every workspace (and Corner Shop's owner, whom it
 * invited) may see, and never while acting as a sub. `x-as-workspace` names the attacker's
 * subs (each acted as by some actors: the owner of both admin workspaces, Main Branch's API
 * key, North Branch's auditor), their admin workspaces, the rival's workspaces, victim
 * workspaces and missing ids; every read that can act is also called once as each sub by
 * each actor that may act as it.
 *
 * Seed 002's data is mirrored too: every workspace's default location ("Inventory") carries an
 * address, Main Branch has a van (its invoice-source and transfer default) and an archived
 * depot, Kiosk a cart, all with canaries on the victim side, as are Main Branch's invoicing
 * settings; Main Branch's invite code was rotated twice (the dead and the live one are victim
 * secrets). Location ids (paths and the settings' `*_location_id` fields), seed 002's
 * `{idOrSlug}` (ids and the mirrored slugs) and invite codes (the join path, register's
 * `invite_code`) are fuzzed like the other ids and tokens; a separate sweep sends every other
 * workspace's and tenant's location id, and ids past int4, to each location route and as each
 * default location, from each context an attacker actor may work in.
 *
 * Then every operation of /openapi.json is called as attacker-side actors (and with
 * credentials crossed between tenants), with victim ids, their neighbours and odd values
 * put into path parameters, id-like query and body fields, and the context headers, and
 * with victim (and the attacker's own) invitation tokens put into token fields. Seed 003's
 * portal paths (/web/v1) name workspaces by id or by `biz_id`: victim biz_ids go into the
 * latter. Both tenants close /web/v1 behind a portal access code; most requests send the
 * code of the tenant they go to, some none, some the other tenant's.
 *
 * Oracles, per response: the status is one of ALLOWED_STATUSES (so never a 5xx); no body
 * or header holds a victim canary, nor a victim secret (invitation token, API key, session
 * token) that the request did not carry; a 403 (other than a tenant-permission or
 * credential-kind refusal, or INVITATION.WRONG_ACCOUNT about one of the attacker's own
 * tokens, which name no workspace) only happens when the targeted workspace is the
 * attacker's own (when acting, one the caller may act as); a response that ran in a workspace
 * named by `x-as-workspace` (it answers `X-Workspace-ID`) ran in a sub the caller may act as,
 * with `X-Acting-From-Workspace-ID` its admin workspace, and holds no record (`workspace_id`)
 * of another workspace; a victim invitation token outside the victim tenant is one that does not
 * exist (404 INVITATION.NOT_FOUND, unless the caller is refused at the door); and, for a
 * sample of requests (every one carrying a victim token or a workspace the caller may not act
 * as), the same request with every such id and token swapped for one that exists nowhere
 * answers the same status and error code (a victim record is indistinguishable from a missing
 * one, and so is a refused `x-as-workspace`); on /web/v1, a request without its tenant's
 * portal code answers 403 PORTAL.ACCESS_DENIED and nothing else, and one with it never does
 * (nor does any other surface). After the run, a row-hash snapshot
 * of every table's victim rows (invitations and the outbox included) is unchanged.
 *
 * Last, a restricted caller of the attacker's own tenant (issue 17): in a workspace whose other
 * locations hold stock received, adjusted and transferred, their text carrying
 * `CANARY-forbidden-<random>`, a member restricted to one location, its API key, and a member
 * restricted to none send every route that names a location (found in /openapi.json: paths,
 * query filters, body fields) with each location they may not see, and with one that exists
 * nowhere, and read every list and report of locations and stock: each answer is the missing
 * one's, no list, report or export shows another location or its text, and nothing changes.
 *
 * Budget: FUZZ_REQUESTS (default 4000) requests per engine; order from a seeded PRNG
 * (FUZZ_SEED replays one; unset, a new seed each run), printed with the counts.
 */
import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentEngine } from '../support/engines.ts';
import { runSeed } from '../support/seeds.ts';
import { createTenant, register, startTestApp, type Session, type TestApp } from '../support/test-app.ts';

const BUDGET = Number(process.env.FUZZ_REQUESTS ?? 4000);
const SEED = runSeed('isolation-fuzz', 'FUZZ_SEED');
const ALLOWED_STATUSES = new Set([200, 201, 202, 400, 401, 403, 404, 409, 410, 415, 422, 429]);
const CANARY_PREFIX = 'CANARY-victim-';
/** The attacker tenant's bystander group (see above). */
const RIVAL_CANARY_PREFIX = 'CANARY-rival-';
/** The text of the locations a restricted member may not see (see the last test). */
const FORBIDDEN_CANARY_PREFIX = 'CANARY-forbidden-';
const ATTACKER_TENANT = 'default';
const VICTIM_TENANT = 'victim';
const ATTACKER_PORTAL_CODE = 'let-me-in';
/** The surface behind the tenants' portal access codes. */
const PORTAL_SURFACE = '/web/v1/';
/** Ids that exist in no table: below the int4 limit, far above anything seeded. */
const GHOST_BASE = 2_000_000_000;
const PASSWORDS = { attacker: 'attacker password 1', victim: 'victim password 1' } as const;
const KEY_SCOPES = [
  'workspaces:view',
  'workspaces:edit',
  'workspaces:delete',
  'workspaces:transfer',
  'settings:view',
  'settings:edit',
  'members:view',
  'members:manage',
  'members:remove',
  'roles:view',
  'roles:manage',
  'api_keys:view',
  'api_keys:manage',
  'audit:view',
  'invitations:view',
  'invitations:create',
  'invitations:revoke',
  'groups:view',
  'locations:view',
  'locations:create',
  'locations:edit',
  'locations:delete',
  ...(['products', 'suppliers', 'tags', 'contacts', 'invoices', 'quotations'] as const).flatMap((resource) => (['view', 'create', 'edit', 'delete'] as const).map((action) => `${resource}:${action}` as const)),
  'invoices:issue',
  'invoices:void',
  'stock:view',
  'stock:create',
  'stock:edit',
];
/** What GET /api/v1/me/workspaces?can= asks about: reads (a tenant role's too), a write, and one withheld when acting. */
const WHERE_PERMISSIONS = ['workspaces:view', 'members:view', 'audit:view', 'members:manage', 'invitations:create', 'groups:manage'];
/** The routes that take an invitation token (register takes one too, as `invitation_token`). */
const TOKEN_ROUTE = /\/invitations\/(lookup|accept|decline)$/;
/** The anonymous token routes: the token alone is the credential there. */
const ANONYMOUS_TOKEN_ROUTE = /\/invitations\/(lookup|decline)$/;
/** The routes that take a mailed account token (issue 19): the token alone is the credential there too. */
const ACCOUNT_TOKEN_ROUTE = /\/auth\/(email-verification|password-reset|email-change)\/confirm$/;

type Side = 'attacker' | 'victim';
const SIDES: readonly Side[] = ['attacker', 'victim'];
/** The users of each side. */
type Party = 'owner' | 'second' | 'rival';

// ---------------------------------------------------------------------------------------
// Deterministic randomness

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

class Rng {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  float(): number {
    return this.next();
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[this.int(items.length)] as T;
  }
}

// ---------------------------------------------------------------------------------------
// Fixtures

interface Ids {
  users: number[];
  workspaces: number[];
  roles: number[];
  apiKeys: number[];
  invitations: number[];
  groupMembers: number[];
  groupInvitations: number[];
  /** Every workspace's locations: its default "Inventory" and those the seed adds (one archived). */
  locations: number[];
  /** Every workspace's records of each kind with routes of its own (`/api/v1/<kind>/{id}`). */
  records: Record<RecordKind, number[]>;
  bizIds: string[];
  /** The workspaces' slugs, in the order of `workspaces` (mirrored: the same in both tenants). */
  slugs: string[];
}

/** One side's invitation tokens: `live` ones still answer (pending), `spent` ones are dead or expired. */
interface InvitationTokens {
  live: string[];
  spent: string[];
  /** The expired one (410 in its own tenant). */
  expired: string;
  /** The address each token was sent to. */
  emailOf: Record<string, string>;
}

/** A workspace group: the admin workspace acts as the sub workspace. */
interface Group {
  admin: number;
  sub: number;
}

interface SideFixtures {
  tenantId: number;
  owner: Session;
  second: Session;
  /** Owns the rival group, the bystander of its tenant. */
  rival: Session;
  /** The owner's two workspaces, then the second user's two, then the rival's two. */
  workspaces: number[];
  /**
   * Main Branch administers Corner Shop, North Branch (where the second user is an auditor)
   * administers Kiosk (both the second user's); the rival's Rival HQ administers Rival Depot.
   */
  groups: [Group, Group, Group];
  roles: number[];
  apiKey: { id: number; secret: string };
  /** The tenant's portal access code (the victim's is a secret: stored only as a digest, never answered). */
  portalCode: string;
  /** Main Branch's invite codes: `dead` was rotated away, `live` joins (the attacker's live one is never sent). */
  inviteCodes: { dead: string; live: string };
  emails: string[];
  /** Addresses invited (the victim's carry a canary in the local part). */
  invitationEmails: string[];
  invitationTokens: InvitationTokens;
}

async function call(
  t: TestApp,
  side: Side,
  session: { auth: Record<string, string> },
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  url: string,
  payload?: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<any> {
  const response = await t.request({
    method,
    url,
    headers: { ...session.auth, ...(side === 'victim' ? { 'x-tenant': VICTIM_TENANT } : {}), ...headers },
    ...(payload === undefined ? {} : { payload }),
  });
  if (response.statusCode >= 300) throw new Error(`seeding ${method} ${url} (${side}) → ${response.statusCode} ${response.body}`);
  return response.json();
}

async function idsOfTenant(t: TestApp, tenantId: number): Promise<Ids> {
  const workspaces = await t.db
    .selectFrom('workspaces')
    .select(['id', 'biz_id', 'slug'])
    .where('tenant_id', '=', tenantId)
    .orderBy('id')
    .execute();
  const wsIds = workspaces.map((w) => w.id);
  const users = await t.db.selectFrom('users').select('id').where('tenant_id', '=', tenantId).orderBy('id').execute();
  const roles =
    wsIds.length === 0
      ? []
      : await t.db.selectFrom('roles').select('id').where('workspace_id', 'in', wsIds).orderBy('id').execute();
  const apiKeys = await t.db.selectFrom('api_keys').select('id').where('tenant_id', '=', tenantId).orderBy('id').execute();
  const invitations = await t.db.selectFrom('invitations').select('id').where('tenant_id', '=', tenantId).orderBy('id').execute();
  const groupMembers = await t.db.selectFrom('workspace_group_members').select('id').where('tenant_id', '=', tenantId).orderBy('id').execute();
  const groupInvitations = await t.db
    .selectFrom('workspace_group_invitations')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .orderBy('id')
    .execute();
  const locations =
    wsIds.length === 0
      ? []
      : await t.db.selectFrom('locations').select('id').where('workspace_id', 'in', wsIds).orderBy('id').execute();
  const records = Object.fromEntries(
    await Promise.all(
      RECORD_KINDS.map(async (kind) => [
        kind,
        wsIds.length === 0 ? [] : (await t.db.selectFrom(kind).select('id').where('workspace_id', 'in', wsIds).orderBy('id').execute()).map((r) => r.id),
      ]),
    ),
  ) as Record<RecordKind, number[]>;
  return {
    users: users.map((r) => r.id),
    workspaces: wsIds,
    records,
    roles: roles.map((r) => r.id),
    apiKeys: apiKeys.map((r) => r.id),
    invitations: invitations.map((r) => r.id),
    groupMembers: groupMembers.map((r) => r.id),
    groupInvitations: groupInvitations.map((r) => r.id),
    locations: locations.map((r) => r.id),
    bizIds: workspaces.map((w) => w.biz_id),
    slugs: workspaces.map((w) => w.slug),
  };
}

/**
 * Mirrored data, created alternately (attacker, victim, attacker, …) so integer ids of
 * the two tenants interleave. Victim free text carries canaries.
 */
async function seed(t: TestApp): Promise<{ fixtures: Record<Side, SideFixtures>; canaries: string[]; rivalCanaries: string[] }> {
  const canaries: string[] = [];
  const rivalCanaries: string[] = [];
  const canary = (prefix = CANARY_PREFIX) => {
    const value = `${prefix}${randomBytes(6).toString('hex')}`;
    (prefix === CANARY_PREFIX ? canaries : rivalCanaries).push(value);
    return value;
  };
  /** Victim text carries a victim canary; the attacker's rival's, a rival canary. */
  const text = (base: string, side: Side, by?: Party) =>
    side === 'victim' ? `${base} ${canary()}` : by === 'rival' ? `${base} ${canary(RIVAL_CANARY_PREFIX)}` : base;

  // Renamed below through PATCH /api/v1/tenant, which is the name the canary check looks for.
  await createTenant(t, VICTIM_TENANT, `Shared Tenant Name ${CANARY_PREFIX}initial`);
  const tenantIds = Object.fromEntries(
    await Promise.all(
      SIDES.map(async (side) => {
        const slug = side === 'victim' ? VICTIM_TENANT : ATTACKER_TENANT;
        const row = await t.db.selectFrom('tenants').select('id').where('slug', '=', slug).executeTakeFirstOrThrow();
        return [side, row.id] as const;
      }),
    ),
  ) as Record<Side, number>;

  const tenantOf = (side: Side) => (side === 'victim' ? VICTIM_TENANT : undefined);
  const partial: Record<Side, Partial<SideFixtures>> = { attacker: {}, victim: {} };
  const emails: Record<Side, string[]> = { attacker: [], victim: [] };

  // Owners: the same email in both tenants (emails are unique per tenant only), different passwords.
  for (const side of SIDES) {
    emails[side].push('owner@example.com');
    partial[side].owner = await register(t, {
      name: text('Olivia Owner', side),
      email: 'owner@example.com',
      password: PASSWORDS[side],
      tenant: tenantOf(side),
    });
  }
  const userSpecs = [
    { by: 'second', name: 'Max Member', local: 'max' },
    { by: 'rival', name: 'Rita Rival', local: 'rita' },
  ] as const;
  for (const spec of userSpecs) {
    for (const side of SIDES) {
      const email = side === 'victim' ? `${spec.local}.${canary().toLowerCase()}@example.com` : `${spec.local}@example.com`;
      emails[side].push(email);
      partial[side][spec.by] = await register(t, {
        name: text(spec.name, side, spec.by),
        email,
        password: PASSWORDS[side],
        tenant: tenantOf(side),
      });
    }
  }
  const session = (side: Side, by: Party) => partial[side][by] as Session;
  const owner = (side: Side) => session(side, 'owner');
  const second = (side: Side) => session(side, 'second');

  const workspaceSpecs = [
    { by: 'owner', name: 'Main Branch', slug: 'main-branch', logo: true },
    { by: 'owner', name: 'North Branch', slug: 'north-branch', logo: false },
    { by: 'second', name: 'Corner Shop', slug: 'corner-shop', logo: false },
    { by: 'second', name: 'Kiosk', slug: 'kiosk', logo: false },
    { by: 'rival', name: 'Rival HQ', slug: 'rival-hq', logo: false },
    { by: 'rival', name: 'Rival Depot', slug: 'rival-depot', logo: false },
  ] as const;
  for (const spec of workspaceSpecs) {
    for (const side of SIDES) {
      const body: Record<string, unknown> = { name: text(spec.name, side, spec.by), slug: spec.slug };
      if (spec.logo) body.logo = side === 'victim' ? `https://cdn.example.com/${canary()}.png` : 'https://cdn.example.com/logo.png';
      const created = await call(t, side, session(side, spec.by), 'POST', '/api/v1/workspaces', body);
      (partial[side].workspaces ??= []).push(created.data.id);
    }
  }
  const ws = (side: Side, index: number) => (partial[side].workspaces as number[])[index] as number;

  const roleSpecs = [
    { ws: 0, name: 'cashier', display: 'Cashier', permissions: ['workspaces:view', 'members:view', 'roles:view'] },
    { ws: 1, name: 'auditor', display: 'Auditor', permissions: ['workspaces:view', 'audit:view'] },
  ];
  for (const spec of roleSpecs) {
    for (const side of SIDES) {
      const created = await call(
        t,
        side,
        owner(side),
        'POST',
        '/api/v1/roles',
        { name: spec.name, display_name: text(spec.display, side), permissions: spec.permissions },
        { 'x-workspace-id': String(ws(side, spec.ws)) },
      );
      (partial[side].roles ??= []).push(created.data.id);
    }
  }

  for (const side of SIDES) {
    const created = await call(
      t,
      side,
      owner(side),
      'POST',
      '/api/v1/api-keys',
      { name: text('Integration key', side), scopes: KEY_SCOPES },
      { 'x-workspace-id': String(ws(side, 0)) },
    );
    partial[side].apiKey = { id: created.data.id, secret: created.data.secret };
  }

  for (const side of SIDES) {
    await call(t, side, owner(side), 'PUT', `/api/v1/workspaces/${ws(side, 0)}/preferred-document-subtype`, {
      document_subtype: 'B01',
    });
  }

  // Locations: every workspace's default ("Inventory") gets an address; Main Branch gets a van
  // (its invoice source and transfer default) and an archived depot, Kiosk a cart. Then Main
  // Branch's invoicing settings. Created alternately, so location ids interleave too.
  const defaultLocationOf = async (side: Side, index: number) => {
    const row = await t.db.selectFrom('workspace_settings').select('default_location_id').where('workspace_id', '=', ws(side, index)).executeTakeFirstOrThrow();
    return row.default_location_id as number;
  };
  for (const [index, spec] of workspaceSpecs.entries()) {
    for (const side of SIDES) {
      await call(t, side, session(side, spec.by), 'PATCH', `/api/v1/locations/${await defaultLocationOf(side, index)}`, { address: text('1 Main Street', side, spec.by) }, {
        'x-workspace-id': String(ws(side, index)),
      });
    }
  }
  const locationSpecs = [
    { ws: 0, by: 'owner', name: 'Delivery van', type: 'van', archived: false },
    { ws: 0, by: 'owner', name: 'Old depot', type: 'warehouse', archived: true },
    { ws: 3, by: 'second', name: 'Kiosk cart', type: 'other', archived: false },
  ] as const;
  const extraLocations: Record<Side, number[]> = { attacker: [], victim: [] };
  for (const spec of locationSpecs) {
    for (const side of SIDES) {
      const headers = { 'x-workspace-id': String(ws(side, spec.ws)) };
      const created = await call(t, side, session(side, spec.by), 'POST', '/api/v1/locations', {
        name: text(spec.name, side),
        type: spec.type,
        address: text('2 Side Street', side),
      }, headers);
      extraLocations[side].push(created.data.id);
      if (spec.archived) await call(t, side, session(side, spec.by), 'PATCH', `/api/v1/locations/${created.data.id}`, { archived: true }, headers);
    }
  }
  for (const side of SIDES) {
    const van = extraLocations[side][0] as number;
    await call(t, side, owner(side), 'PATCH', `/api/v1/workspaces/${ws(side, 0)}/settings`, {
      invoicing_business_name: text('Shared Trading', side),
      invoicing_address: text('3 Invoice Road', side),
      invoicing_email: side === 'victim' ? `${canary().toLowerCase()}@example.com` : 'billing@example.com',
      default_invoice_source_location_id: van,
      default_transfer_from_location_id: van,
    });
  }
  // The catalogue: every workspace gets a tag, a supplier and an item carrying both, alternately, and a customer.
  for (const [index, spec] of workspaceSpecs.entries()) {
    for (const side of SIDES) {
      const headers = { 'x-workspace-id': String(ws(side, index)) };
      const by = session(side, spec.by);
      const tag = await call(t, side, by, 'POST', '/api/v1/tags', { name: text('Shared tag', side, spec.by), color: '#336699' }, headers);
      const supplier = await call(t, side, by, 'POST', '/api/v1/suppliers', { name: text('Shared supplier', side, spec.by), notes: text('Pays late', side, spec.by) }, headers);
      const item = await call(t, side, by, 'POST', '/api/v1/items', {
        sku: text('SKU-1', side, spec.by),
        name: text('Shared item', side, spec.by),
        barcode: `000${index}`,
        unit_cost: '1.25',
        tag_ids: [tag.data.id],
        preferred_supplier_id: supplier.data.id,
      }, headers);
      // Stock of it at the default location, the ledger's reason carrying the canary.
      const { default_location_id: at } = (await call(t, side, by, 'GET', `/api/v1/workspaces/${ws(side, index)}`, undefined, headers)).data;
      await call(t, side, by, 'POST', '/api/v1/stock/receipts', { item_id: item.data.id, location_id: at, quantity: '7.5', reason: text('Opening count', side, spec.by) }, headers);
      // A customer with the same (valid) RNC everywhere: unique per workspace only.
      await call(t, side, by, 'POST', '/api/v1/contacts', { name: text('Shared customer', side, spec.by), tax_id: '101850043', address: text('4 Customer Lane', side, spec.by) }, headers);
      // Invoices: a draft of the item, and one of a service issued (its number drawn); notes and lines carry the canary.
      const invoiceOf = (what: Record<string, unknown>) => ({ document_subtype: null, notes: text('Invoice note', side, spec.by), lines: [what] });
      await call(t, side, by, 'POST', '/api/v1/invoices', invoiceOf({ item_id: item.data.id, quantity: '1', unit_price: '3' }), headers);
      const service = await call(t, side, by, 'POST', '/api/v1/invoices', invoiceOf({ description: text('Delivery', side, spec.by), quantity: '1', unit_price: '10' }), headers);
      await call(t, side, by, 'POST', `/api/v1/invoices/${service.data.id}/issue`, {}, headers);
      await call(t, side, by, 'POST', '/api/v1/quotations', { notes: text('Quotation note', side, spec.by), lines: [{ description: text('Offer', side, spec.by), quantity: '2', unit_price: '5' }] }, headers);
    }
  }
  // Invite codes: Main Branch's, rotated twice (the first is dead). The victim's are secrets.
  const inviteCodes: Partial<Record<Side, { dead: string; live: string }>> = {};
  for (const side of SIDES) {
    const rotate = async () => (await call(t, side, owner(side), 'POST', `/api/v1/workspaces/${ws(side, 0)}/invite-code`)).data.invite_code as string;
    const dead = await rotate();
    inviteCodes[side] = { dead, live: await rotate() };
  }

  // The victim's code carries the canary prefix but is no canary: it is stored only as a digest.
  const portalCodes: Record<Side, string> = { attacker: ATTACKER_PORTAL_CODE, victim: `${CANARY_PREFIX}portal-${randomBytes(6).toString('hex')}` };
  for (const side of SIDES) {
    await call(t, side, owner(side), 'PATCH', '/api/v1/tenant', {
      name: text('Shared Tenant Name', side),
      default_locale: 'en',
      max_owned_workspaces_per_user: 50,
      portal_access_code: portalCodes[side],
    });
  }

  // Invitations: pending ones (one sent by the second user from their own workspace), and one
  // of each end state. Victim addresses carry a canary in the local part (the API returns them);
  // the accepted one goes to the second user's own address, who joins North Branch as auditor.
  const invitationSpecs = [
    { key: 'pending', by: 'owner', ws: 0, role: 'cashier', local: 'pat' },
    { key: 'pending-by-second', by: 'second', ws: 2, role: 'member', local: 'sam' },
    { key: 'revoked', by: 'owner', ws: 0, role: 'member', local: 'rory' },
    { key: 'resent', by: 'owner', ws: 1, role: 'auditor', local: 'rene' },
    { key: 'expired', by: 'owner', ws: 0, role: 'member', local: 'ezra' },
    { key: 'declined', by: 'owner', ws: 1, role: 'member', local: 'dana' },
    { key: 'accepted', by: 'owner', ws: 1, role: 'auditor', local: undefined },
  ] as const;
  type InvitationKey = (typeof invitationSpecs)[number]['key'];
  type Invited = { id: number; token: string; ws: number; email: string };
  const invited: Record<Side, Partial<Record<InvitationKey, Invited>>> = { attacker: {}, victim: {} };
  const invitationEmails: Record<Side, string[]> = { attacker: [], victim: [] };
  for (const spec of invitationSpecs) {
    for (const side of SIDES) {
      const email =
        spec.local === undefined
          ? (emails[side][1] as string)
          : side === 'victim'
            ? `${canary().toLowerCase()}@example.com`
            : `${spec.local}@example.com`;
      invitationEmails[side].push(email);
      const created = await call(t, side, session(side, spec.by), 'POST', '/api/v1/invitations', { email, role: spec.role }, {
        'x-workspace-id': String(ws(side, spec.ws)),
      });
      invited[side][spec.key] = { id: created.data.id, token: created.data.token, ws: ws(side, spec.ws), email };
    }
  }
  const invitation = (side: Side, key: InvitationKey) => invited[side][key] as Invited;
  const inWs = (side: Side, key: InvitationKey) => ({ 'x-workspace-id': String(invitation(side, key).ws) });
  const tokens: Record<Side, InvitationTokens> = {
    attacker: { live: [], spent: [], expired: '', emailOf: {} },
    victim: { live: [], spent: [], expired: '', emailOf: {} },
  };
  for (const side of SIDES) {
    await call(t, side, owner(side), 'DELETE', `/api/v1/invitations/${invitation(side, 'revoked').id}`, undefined, inWs(side, 'revoked'));
  }
  for (const side of SIDES) {
    const resent = await call(t, side, owner(side), 'POST', `/api/v1/invitations/${invitation(side, 'resent').id}/resend`, undefined, inWs(side, 'resent'));
    tokens[side].live.push(invitation(side, 'pending').token, invitation(side, 'pending-by-second').token, resent.data.token);
    tokens[side].spent.push(invitation(side, 'resent').token);
    tokens[side].emailOf[resent.data.token] = invitation(side, 'resent').email;
  }
  for (const side of SIDES) {
    // Expired a day ago (the clock is the app's: moving it would expire every invitation).
    await t.db
      .updateTable('invitations')
      .set({ expires_at: new Date(t.clock.now().getTime() - 24 * 3600 * 1000).toISOString() })
      .where('id', '=', invitation(side, 'expired').id)
      .execute();
    tokens[side].expired = invitation(side, 'expired').token;
  }
  for (const side of SIDES) {
    await call(t, side, { auth: {} }, 'POST', '/api/v1/invitations/decline', { token: invitation(side, 'declined').token });
  }
  for (const side of SIDES) {
    await call(t, side, second(side), 'POST', '/api/v1/invitations/accept', { token: invitation(side, 'accepted').token });
  }
  // Member access (issue 16): the auditor of North Branch has overrides, a grant and a revoke, on
  // both sides (two victim rows a cross-tenant PUT /members/{user_id}/permissions must not touch).
  for (const side of SIDES) {
    await call(t, side, owner(side), 'PUT', `/api/v1/members/${second(side).userId}/permissions`, { grant: ['invitations:view'], revoke: ['audit:view'] }, {
      'x-workspace-id': String(ws(side, 1)),
    });
  }
  for (const side of SIDES) {
    tokens[side].spent.push(...(['revoked', 'expired', 'declined', 'accepted'] as const).map((key) => invitation(side, key).token));
    for (const spec of invitationSpecs) tokens[side].emailOf[invitation(side, spec.key).token] = invitation(side, spec.key).email;
  }

  // Workspace groups, as their owners make them: the admin workspace's owner invites (an
  // e-mail to the sub's owner), the sub's owner accepts in the sub workspace. The rival's
  // invitation of Corner Shop stays pending: nothing of it shows while acting as Corner Shop.
  const groupSpecs = [
    { admin: 0, sub: 2, by: 'owner', subOwner: 'second' },
    { admin: 1, sub: 3, by: 'owner', subOwner: 'second' },
    { admin: 4, sub: 5, by: 'rival', subOwner: 'rival' },
    { admin: 4, sub: 2, by: 'rival', subOwner: undefined },
  ] as const;
  const groups: Record<Side, Group[]> = { attacker: [], victim: [] };
  for (const spec of groupSpecs) {
    const sent: Partial<Record<Side, number>> = {};
    for (const side of SIDES) {
      const created = await call(t, side, session(side, spec.by), 'POST', '/workspace-group-members', { sub_workspace_id: ws(side, spec.sub) }, {
        'x-workspace-id': String(ws(side, spec.admin)),
      });
      sent[side] = created.data.id;
    }
    if (spec.subOwner === undefined) continue;
    for (const side of SIDES) {
      await call(t, side, session(side, spec.subOwner), 'POST', `/api/v1/workspace-group-invitations/${sent[side]}/accept`, undefined, {
        'x-workspace-id': String(ws(side, spec.sub)),
      });
      groups[side].push({ admin: ws(side, spec.admin), sub: ws(side, spec.sub) });
    }
  }

  const fixtures = Object.fromEntries(
    SIDES.map((side) => [
      side,
      {
        ...partial[side],
        tenantId: tenantIds[side],
        emails: emails[side],
        invitationEmails: invitationEmails[side],
        invitationTokens: tokens[side],
        portalCode: portalCodes[side],
        inviteCodes: inviteCodes[side],
        groups: groups[side] as [Group, Group, Group],
      } as SideFixtures,
    ]),
  ) as Record<Side, SideFixtures>;
  return { fixtures, canaries, rivalCanaries };
}

// ---------------------------------------------------------------------------------------
// Row-hash snapshot of one tenant

interface TableInfo {
  name: string;
  columns: string[];
  primaryKey: string[];
  /** Composite keys stay whole: (workspace_id, role) → roles (workspace_id, name). */
  foreignKeys: Array<{ columns: string[]; table: string; refColumns: string[] }>;
}

const q = (identifier: string) => `"${identifier.replaceAll('"', '""')}"`;

async function rawRows<T>(t: TestApp, query: string): Promise<T[]> {
  return (await sql.raw<T>(query).execute(t.db)).rows;
}

async function introspect(t: TestApp): Promise<TableInfo[]> {
  if (t.database.engine === 'sqlite') {
    const tables = await rawRows<{ name: string }>(
      t,
      "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name",
    );
    return Promise.all(
      tables.map(async ({ name }) => {
        const columns = await rawRows<{ name: string; pk: number }>(t, `pragma table_info(${q(name)})`);
        const fks = await rawRows<{ id: number; table: string; from: string; to: string | null }>(
          t,
          `pragma foreign_key_list(${q(name)})`,
        );
        const grouped = new Map<number, { columns: string[]; table: string; refColumns: string[] }>();
        for (const fk of fks) {
          const entry = grouped.get(fk.id) ?? { columns: [], table: fk.table, refColumns: [] };
          entry.columns.push(fk.from);
          entry.refColumns.push(fk.to ?? 'id');
          grouped.set(fk.id, entry);
        }
        return {
          name,
          columns: columns.map((c) => c.name),
          primaryKey: columns.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name),
          foreignKeys: [...grouped.values()],
        };
      }),
    );
  }
  const tables = await rawRows<{ table_name: string }>(
    t,
    "select table_name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE' order by table_name",
  );
  const columns = await rawRows<{ table_name: string; column_name: string }>(
    t,
    'select table_name, column_name from information_schema.columns where table_schema = current_schema() order by table_name, ordinal_position',
  );
  const columnsOf = (side: 'conkey' | 'confkey', rel: 'conrelid' | 'confrelid') =>
    `(select array_agg(a.attname::text order by k.ord) from unnest(c.${side}) with ordinality k(attnum, ord)
       join pg_attribute a on a.attrelid = c.${rel} and a.attnum = k.attnum)`;
  const constraints = await rawRows<{ kind: string; table_name: string; ref_table: string | null; columns: string[]; ref_columns: string[] | null }>(
    t,
    `select c.contype::text as kind, cl.relname::text as table_name, rf.relname::text as ref_table,
            ${columnsOf('conkey', 'conrelid')} as columns, ${columnsOf('confkey', 'confrelid')} as ref_columns
       from pg_constraint c
       join pg_class cl on cl.oid = c.conrelid
       join pg_namespace n on n.oid = cl.relnamespace
       left join pg_class rf on rf.oid = c.confrelid
      where n.nspname = current_schema() and c.contype in ('p', 'f')
      order by c.conname`,
  );
  return tables.map(({ table_name: name }) => ({
    name,
    columns: columns.filter((c) => c.table_name === name).map((c) => c.column_name),
    primaryKey: constraints.find((c) => c.table_name === name && c.kind === 'p')?.columns ?? [],
    foreignKeys: constraints
      .filter((c) => c.table_name === name && c.kind === 'f' && c.ref_table)
      .map((c) => ({ columns: c.columns, table: c.ref_table as string, refColumns: c.ref_columns ?? [] })),
  }));
}

/** Conventional links for columns without a declared foreign key (audit events, say). */
const CONVENTIONAL_LINKS: Record<string, string> = {
  workspace_id: 'workspaces',
  user_id: 'users',
  session_id: 'sessions',
  role_id: 'roles',
  api_key_id: 'api_keys',
};

/**
 * A WHERE clause selecting one tenant's rows of each table: by tenant_id, else through a
 * foreign key (or a conventional *_id column) into a table already scoped. Tables that
 * reach no tenant (signing keys, migrations) are global and left out.
 */
function tenantScopes(tables: TableInfo[], tenantId: number): Map<string, string> {
  const byName = new Map(tables.map((table) => [table.name, table]));
  const scopes = new Map<string, string>();
  const resolving = new Set<string>();
  const scopeOf = (name: string): string | undefined => {
    if (scopes.has(name)) return scopes.get(name);
    const table = byName.get(name);
    if (!table || resolving.has(name)) return undefined;
    resolving.add(name);
    let scope: string | undefined;
    if (name === 'tenants') scope = `${q('id')} = ${tenantId}`;
    else if (table.columns.includes('tenant_id')) scope = `${q('tenant_id')} = ${tenantId}`;
    else {
      const links = [
        ...table.foreignKeys,
        ...Object.entries(CONVENTIONAL_LINKS)
          .filter(([column]) => table.columns.includes(column))
          .map(([column, target]) => ({ columns: [column], table: target, refColumns: ['id'] })),
      ];
      // A row belongs to the tenant when any of its links does (a victim user's membership
      // in an attacker workspace would be the victim's business too).
      const parts = new Set<string>();
      for (const link of links) {
        const parent = scopeOf(link.table);
        if (parent === undefined) continue;
        const tuple = (names: string[]) => (names.length === 1 ? q(names[0] as string) : `(${names.map(q).join(', ')})`);
        parts.add(`${tuple(link.columns)} in (select ${link.refColumns.map(q).join(', ')} from ${q(link.table)} where ${parent})`);
      }
      if (parts.size > 0) scope = [...parts].map((part) => `(${part})`).join(' or ');
    }
    resolving.delete(name);
    if (scope !== undefined) scopes.set(name, scope);
    return scope;
  };
  for (const table of tables) scopeOf(table.name);
  return scopes;
}

interface TableSnapshot {
  rows: number;
  hash: string;
  json: string;
}

async function snapshotTenant(t: TestApp, tenantId: number): Promise<{ tables: Map<string, TableSnapshot>; global: string[] }> {
  const tables = await introspect(t);
  const scopes = tenantScopes(tables, tenantId);
  const result = new Map<string, TableSnapshot>();
  for (const table of tables) {
    const scope = scopes.get(table.name);
    if (scope === undefined) continue;
    const order = (table.primaryKey.length > 0 ? table.primaryKey : table.columns).map(q).join(', ');
    const rows = await rawRows<Record<string, unknown>>(t, `select * from ${q(table.name)} where ${scope} order by ${order}`);
    const json = JSON.stringify(rows);
    result.set(table.name, { rows: rows.length, hash: createHash('sha256').update(json).digest('hex'), json });
  }
  return { tables: result, global: tables.map((table) => table.name).filter((name) => !scopes.has(name)) };
}

// ---------------------------------------------------------------------------------------
// Operations from /openapi.json

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  format?: string;
  minimum?: number;
  items?: JsonSchema;
  minItems?: number;
  minProperties?: number;
  default?: unknown;
}

/** `slug`: seed 002's `{idOrSlug}`, a workspace's id or its slug. */
/** Workspace records whose ids have routes of their own: an id of another kind is no victim id there. */
const RECORD_KINDS = ['items', 'suppliers', 'tags', 'contacts', 'invoices', 'quotations'] as const;
type RecordKind = (typeof RECORD_KINDS)[number];
type IdKind = 'workspace' | 'user' | 'role' | 'api_key' | 'invitation' | 'group_member' | 'group_invitation' | 'location' | RecordKind | 'biz' | 'slug' | 'any';
/** `permission`: a permission name asked about (GET /api/v1/me/workspaces?can=). */
type Special = 'id' | 'cursor' | 'secret' | 'invitation-token' | 'account-token' | 'invite-code' | 'email' | 'password' | 'permission';

interface Field {
  where: 'path' | 'query' | 'body';
  name: string;
  kind: IdKind;
  special: Special;
  schema: JsonSchema;
}

interface Operation {
  method: string;
  path: string;
  key: string;
  fields: Field[];
  bodySchema: JsonSchema | undefined;
  /** Runs in a workspace that `x-as-workspace` may name (the route documents the header). */
  takesActing: boolean;
}

const isIdName = (name: string) =>
  name === 'id' || name.endsWith('_id') || name.endsWith('Id') || name === 'reassign_to' || name === 'user_id';

function kindOf(path: string, name: string): IdKind {
  if (/biz/i.test(name)) return 'biz';
  if (name === 'idOrSlug') return 'slug';
  if (/location/i.test(name)) return 'location';
  if (/workspace/i.test(name)) return 'workspace';
  if (/user/i.test(name) || name === 'created_by') return 'user';
  if (/role|reassign/i.test(name)) return 'role';
  if (/key/i.test(name)) return 'api_key';
  if (name === 'id') {
    // The collection the id belongs to is the path segment before it.
    const segments = path.split('/');
    const at = segments.indexOf(`{${name}}`);
    const collection = at > 0 ? (segments[at - 1] ?? '') : '';
    if (collection === 'workspace-group-members') return 'group_member';
    if (collection === 'workspace-group-invitations') return 'group_invitation';
    if (collection === 'locations') return 'location';
    if (/^workspace/.test(collection)) return 'workspace';
    if (/^(users|members)$/.test(collection)) return 'user';
    if (/^roles$/.test(collection)) return 'role';
    if (/^api-keys$/.test(collection)) return 'api_key';
    if (/^invitations$/.test(collection)) return 'invitation';
    const record = RECORD_KINDS.find((kind) => kind === collection);
    if (record) return record;
  }
  return 'any';
}

function operationsOf(doc: any): Operation[] {
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries<any>(doc.paths ?? {})) {
    for (const [method, op] of Object.entries<any>(item)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const fields: Field[] = [];
      for (const parameter of (op.parameters ?? []) as Array<{ in: string; name: string; schema?: JsonSchema }>) {
        const schema = parameter.schema ?? {};
        if (parameter.in === 'path' && parameter.name === 'code' && path.includes('/invite-codes/')) {
          fields.push({ where: 'path', name: parameter.name, kind: 'any', special: 'invite-code', schema });
        } else if (parameter.in === 'path') {
          fields.push({ where: 'path', name: parameter.name, kind: kindOf(path, parameter.name), special: 'id', schema });
        } else if (parameter.in === 'query' && isIdName(parameter.name)) {
          fields.push({ where: 'query', name: parameter.name, kind: kindOf(path, parameter.name), special: 'id', schema });
        } else if (parameter.in === 'query' && parameter.name === 'can') {
          // "Where" (issue 16): without a known permission every request would stop at 422.
          fields.push({ where: 'query', name: 'can', kind: 'any', special: 'permission', schema });
        } else if (parameter.in === 'query' && parameter.name === 'cursor') {
          // Keyset cursors carry an id: forged ones point at victim rows and past the id range.
          fields.push({ where: 'query', name: 'cursor', kind: 'any', special: 'cursor', schema });
        }
      }
      const bodySchema = op.requestBody?.content?.['application/json']?.schema as JsonSchema | undefined;
      for (const [name, schema] of Object.entries(bodySchema?.properties ?? {})) {
        const signIn = path.endsWith('/login') || path.endsWith('/register');
        if (isIdName(name)) fields.push({ where: 'body', name, kind: kindOf(path, name), special: 'id', schema });
        else if (name === 'token' && ACCOUNT_TOKEN_ROUTE.test(path)) fields.push({ where: 'body', name, kind: 'any', special: 'account-token', schema });
        else if (name === 'token' || name === 'invitation_token') {
          fields.push({ where: 'body', name, kind: 'any', special: 'invitation-token', schema });
        } else if (name === 'invite_code' || name === 'inviteCode') {
          fields.push({ where: 'body', name, kind: 'any', special: 'invite-code', schema });
        } else if (/token$/.test(name)) fields.push({ where: 'body', name, kind: 'any', special: 'secret', schema });
        else if (signIn && name === 'email') fields.push({ where: 'body', name, kind: 'any', special: 'email', schema });
        else if (signIn && name === 'password') {
          fields.push({ where: 'body', name, kind: 'any', special: 'password', schema });
        }
      }
      const takesActing = (op.parameters ?? []).some((p: { in: string; name: string }) => p.in === 'header' && p.name.toLowerCase() === 'x-as-workspace');
      operations.push({ method: method.toUpperCase(), path, key: `${method.toUpperCase()} ${path}`, fields, bodySchema, takesActing });
    }
  }
  return operations;
}

/**
 * A value that satisfies a (simple) schema: the default if there is one, strings 'x'
 * unless the pattern wants otherwise (an address, say: the attacker then really invites).
 */
function sampleOf(schema: JsonSchema): unknown {
  const branch = schema.anyOf ?? schema.oneOf;
  if (branch) return sampleOf(branch.find((s) => s.type !== 'null') ?? branch[0] ?? {});
  if (schema.const !== undefined) return schema.const;
  if (schema.default !== undefined) return schema.default;
  if (schema.enum) return schema.enum[0];
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'integer':
    case 'number':
      return Math.max(1, schema.minimum ?? 1);
    case 'boolean':
      return false;
    case 'array':
      return (schema.minItems ?? 0) > 0 ? [sampleOf(schema.items ?? { type: 'string' })] : [];
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const name of schema.required ?? []) out[name] = sampleOf(schema.properties?.[name] ?? {});
      return out;
    }
    case undefined:
    default: {
      if (schema.format === 'date-time') return '2099-01-01T00:00:00.000Z';
      const min = schema.minLength ?? 1;
      const pattern = schema.pattern ? new RegExp(schema.pattern, 'u') : undefined;
      for (const seedText of ['x', 'xxx', 'B01', 'x1', 'x@example.com']) {
        const candidate = seedText.length >= min ? seedText : seedText.padEnd(min, 'x');
        if (!pattern || pattern.test(candidate)) return candidate;
      }
      return 'x'.repeat(min);
    }
  }
}

/**
 * The document with every `$ref` into its components inlined: request bodies with a title
 * (the stock movements', the catalogue's, seed 002's PATCH) are components, whose fields
 * `operationsOf` sees only once inlined.
 */
function inlineRefs(doc: any): any {
  const schemas: Record<string, unknown> = doc.components?.schemas ?? {};
  const walk = (node: unknown, seen: readonly string[]): unknown => {
    if (Array.isArray(node)) return node.map((item) => walk(item, seen));
    if (node === null || typeof node !== 'object') return node;
    const ref = (node as { $ref?: unknown }).$ref;
    if (typeof ref === 'string' && ref.startsWith('#/components/schemas/')) {
      const name = ref.slice('#/components/schemas/'.length);
      return seen.includes(name) ? {} : walk(schemas[name], [...seen, name]);
    }
    return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, walk(value, seen)]));
  };
  return { ...doc, paths: walk(doc.paths, []) };
}

// ---------------------------------------------------------------------------------------
// Actors, context headers, values

interface Actor {
  name: string;
  headers: Record<string, string>;
  /** Acts on the attacker's own data: mutations aimed only at attacker-owned ids are skipped. */
  attackerSide: boolean;
  /** Sent to the victim tenant: anonymous auth routes there would be legitimate victim-tenant traffic. */
  toVictimTenant: boolean;
  /** Ending this actor's session would break later requests. */
  ownSession: boolean;
  /** The sub workspaces it may act as (none when absent): of a group whose admin workspace it is a member of, or the key of. */
  actsAs?: readonly number[];
  /**
   * Where the rival's text may show to it, never while acting: anywhere for the tenant owner
   * (it sees every workspace read-only), or in the workspaces the rival invited (who invited).
   */
  seesRival?: 'anywhere' | readonly number[];
}

interface Pick {
  value: string | number;
  /**
   * `victim-token`: a victim invitation token (the ghost twin swaps it for one that exists nowhere);
   * `refused`: a workspace of the attacker's tenant the actor may not act as (swapped as well).
   */
  origin: 'victim' | 'neighbour' | 'edge' | 'attacker' | 'secret' | 'victim-token' | 'refused';
}

interface HeaderChoice {
  name: string;
  headers: Record<string, string>;
  /** Values of the header ids, with their origin. */
  picks: Array<{ header: string; pick: Pick }>;
  /** Acting on a path route, the path names the same workspace (else 400 CONTEXT.CONFLICT). */
  samePath?: Pick;
}

/**
 * Beside the obvious: the int4 limit and one past it, the largest 16-digit id the id
 * pattern admits, 99999999999999999 past the pattern, and 1e17 (the same, as the JSON
 * number it rounds to) past the safe-integer range.
 */
const EDGE_IDS: ReadonlyArray<string | number> = [0, -1, 'abc', 2147483647, 2147483648, '9999999999999999', '99999999999999999', 1e17];
const MALFORMED_HEADERS = ['abc', '-1', '0', '1e3', '99999999999999999', '9999999999999999', '1.5', '0x10', '', '12abc', '1, 2'];

interface Registry {
  victim: Ids;
  attacker: Ids;
}

function idsFor(ids: Ids, kind: IdKind): Array<number | string> {
  switch (kind) {
    case 'workspace':
      return ids.workspaces;
    case 'user':
      return ids.users;
    case 'role':
      return ids.roles;
    case 'api_key':
      return ids.apiKeys;
    case 'invitation':
      return ids.invitations;
    case 'group_member':
      return ids.groupMembers;
    case 'group_invitation':
      return ids.groupInvitations;
    case 'location':
      return ids.locations;
    case 'items':
    case 'suppliers':
    case 'tags':
    case 'contacts':
    case 'invoices':
    case 'quotations':
      return ids.records[kind];
    case 'biz':
      return [...ids.bizIds, ...ids.workspaces];
    case 'slug':
      return [...ids.slugs, ...ids.workspaces];
    case 'any':
      return [
        ...new Set([
          ...ids.users,
          ...ids.workspaces,
          ...ids.roles,
          ...ids.apiKeys,
          ...ids.invitations,
          ...ids.groupMembers,
          ...ids.groupInvitations,
          ...ids.locations,
        ]),
      ];
  }
}

function neighboursOf(ids: Array<number | string>): number[] {
  const out = new Set<number>();
  for (const id of ids) if (typeof id === 'number') for (const d of [-2, -1, 1, 2]) out.add(id + d);
  return [...out];
}

const cursorOf = (id: string | number) => Buffer.from(`after:${id}`).toString('base64url');

interface Violation {
  oracle: 'status' | 'canary' | 'secret' | 'forbidden-target' | 'enumeration' | 'token' | 'acting' | 'portal';
  request: string;
  status: number;
  body: string;
  note?: string;
}

const MAX_INT4 = 2_147_483_647;

/** Every `workspace_id` anywhere in a response body: the workspaces its records belong to. */
function workspaceIdsIn(value: unknown, out: unknown[] = []): unknown[] {
  if (Array.isArray(value)) for (const item of value) workspaceIdsIn(item, out);
  else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (key === 'workspace_id') out.push(item);
      else workspaceIdsIn(item, out);
    }
  }
  return out;
}


// ---------------------------------------------------------------------------------------

let t: TestApp;
let fixtures: Record<Side, SideFixtures>;
let canaries: string[];
let rivalCanaries: string[];
let permissionScopes: Map<string, string>;

beforeAll(async () => {
  t = await startTestApp();
  ({ fixtures, canaries, rivalCanaries } = await seed(t));
  const catalogue = await t.request({ method: 'GET', url: '/api/v1/permissions', headers: fixtures.attacker.owner.auth });
  permissionScopes = new Map(
    (catalogue.json().data as Array<{ id: string; scope: string }>).map((entry) => [entry.id, entry.scope]),
  );
}, 120_000);

afterAll(async () => t?.close());

describe('tenant isolation fuzzer (C3)', () => {
  it('seeds mirrored, interleaved data with a canary in every victim text field', async () => {
    const victim = await idsOfTenant(t, fixtures.victim.tenantId);
    const attacker = await idsOfTenant(t, fixtures.attacker.tenantId);
    expect(victim.workspaces).toHaveLength(6);
    expect(victim.users).toHaveLength(3);
    expect(victim.apiKeys).toHaveLength(1);
    expect(victim.invitations).toHaveLength(7);
    expect(victim.groupMembers).toHaveLength(3);
    expect(victim.groupInvitations).toHaveLength(4);
    // Six default locations, the van, the archived depot and the cart.
    expect(victim.locations).toHaveLength(9);
    expect(victim.slugs).toEqual(attacker.slugs);
    // Interleaved: every victim workspace, invitation, group and location id sits between attacker ones.
    for (const kind of ['workspaces', 'invitations', 'groupMembers', 'groupInvitations', 'locations'] as const) {
      expect(victim[kind]).toEqual(attacker[kind].map((id) => id + 1));
    }
    // Each side has pending invitations and one of every end state, and their e-mails in the outbox.
    for (const side of SIDES) {
      const rows = await t.db
        .selectFrom('invitations')
        .select(['status', 'expires_at'])
        .where('tenant_id', '=', fixtures[side].tenantId)
        .orderBy('id')
        .execute();
      const now = t.clock.now().toISOString();
      expect(rows.map((row) => (row.status === 'pending' && row.expires_at <= now ? 'expired' : row.status))).toEqual([
        'pending',
        'pending',
        'revoked',
        'pending',
        'expired',
        'declined',
        'accepted',
      ]);
      // Invitation mail only: every registration also mailed its address a verification link.
      const outbox = await t.db
        .selectFrom('outbox_messages')
        .select('recipient')
        .where('tenant_id', '=', fixtures[side].tenantId)
        .where('kind', 'not like', 'account.%')
        .execute();
      // The group invitations went to the subs' owners: the second user (three) and the rival.
      const [, secondEmail, rivalEmail] = fixtures[side].emails;
      expect(outbox.map((row) => row.recipient).sort()).toEqual(
        [...fixtures[side].invitationEmails, fixtures[side].invitationEmails[3], secondEmail, secondEmail, rivalEmail, secondEmail].sort(),
      );
    }
    // Every victim token answers in its own tenant (live 200, expired 410, spent 404), and an
    // invitation e-mail is readable there: the oracles below would see a leak.
    const { live, spent, expired } = fixtures.victim.invitationTokens;
    const lookup = (token: string) =>
      t.request({ method: 'POST', url: '/api/v1/invitations/lookup', headers: { 'x-tenant': VICTIM_TENANT }, payload: { token } });
    for (const token of live) {
      const response = await lookup(token);
      expect(response.statusCode).toBe(200);
      expect(response.body).toContain(CANARY_PREFIX);
    }
    expect((await lookup(expired)).statusCode).toBe(410);
    for (const token of spent.filter((token) => token !== expired)) expect((await lookup(token)).statusCode).toBe(404);
    const listed = await t.request({
      method: 'GET',
      url: '/api/v1/invitations',
      headers: { ...fixtures.victim.owner.auth, 'x-tenant': VICTIM_TENANT, 'x-workspace-id': String(fixtures.victim.workspaces[0]) },
    });
    expect(listed.statusCode).toBe(200);
    expect(listed.body.toLowerCase()).toContain(CANARY_PREFIX.toLowerCase());
    const names = await t.db.selectFrom('workspaces').select(['tenant_id', 'slug']).orderBy('id').execute();
    expect(names.filter((w) => w.tenant_id === fixtures.victim.tenantId).map((w) => w.slug)).toEqual(
      names.filter((w) => w.tenant_id === fixtures.attacker.tenantId).map((w) => w.slug),
    );
    const snapshot = await snapshotTenant(t, fixtures.victim.tenantId);
    const all = [...snapshot.tables.values()].map((table) => table.json).join('\n');
    for (const value of canaries) expect(all.toLowerCase()).toContain(value.toLowerCase());
    expect(all).not.toContain(fixtures.victim.portalCode);
    // The victim's live invite code joins in its own tenant only; the oracles below would see it answered.
    expect(all).toContain(fixtures.victim.inviteCodes.live);
    const victimHome = await t.request({
      method: 'GET',
      url: `/api/v1/workspaces/${fixtures.victim.workspaces[0]}`,
      headers: { ...fixtures.victim.owner.auth, 'x-tenant': VICTIM_TENANT },
    });
    expect(victimHome.json().data).toMatchObject({ invite_code: fixtures.victim.inviteCodes.live, invoicing_business_name: expect.stringContaining(CANARY_PREFIX) });
    const victimLocations = await t.request({
      method: 'GET',
      url: '/api/v1/locations',
      headers: { ...fixtures.victim.owner.auth, 'x-tenant': VICTIM_TENANT, 'x-workspace-id': String(fixtures.victim.workspaces[0]) },
    });
    expect(victimLocations.statusCode).toBe(200);
    expect(victimLocations.json().data).toHaveLength(2);
    expect(victimLocations.body).toContain(CANARY_PREFIX);
    // The oracle can see canaries: the victim's own request in its own tenant returns them.
    const own = await t.request({ method: 'GET', url: '/api/v1/me', headers: { ...fixtures.victim.owner.auth, 'x-tenant': VICTIM_TENANT } });
    expect(own.statusCode).toBe(200);
    expect(own.body).toContain(CANARY_PREFIX);
    // So does /web/v1, with the victim's portal code; without it, or with the attacker's, it answers nothing.
    const portal = (code?: string) =>
      t.request({
        method: 'GET',
        url: '/web/v1/tenant/workspaces/mine',
        headers: { ...fixtures.victim.owner.auth, 'x-tenant': VICTIM_TENANT, ...(code === undefined ? {} : { 'x-portal-access-code': code }) },
      });
    const opened = await portal(fixtures.victim.portalCode);
    expect(opened.statusCode).toBe(200);
    expect(opened.body).toContain(CANARY_PREFIX);
    for (const code of [undefined, fixtures.attacker.portalCode]) {
      const closed = await portal(code);
      expect({ status: closed.statusCode, code: closed.json().error?.code }).toEqual({ status: 403, code: 'PORTAL.ACCESS_DENIED' });
    }
    // The snapshot oracle sees a one-field change to a victim row (undone at once).
    await t.db.updateTable('api_keys').set({ last_used_at: '2000-01-01T00:00:00.000Z' }).where('id', '=', fixtures.victim.apiKey.id).execute();
    const touched = await snapshotTenant(t, fixtures.victim.tenantId);
    await t.db.updateTable('api_keys').set({ last_used_at: null }).where('id', '=', fixtures.victim.apiKey.id).execute();
    expect(touched.tables.get('api_keys')?.hash).not.toBe(snapshot.tables.get('api_keys')?.hash);
    expect((await snapshotTenant(t, fixtures.victim.tenantId)).tables.get('api_keys')?.hash).toBe(snapshot.tables.get('api_keys')?.hash);
    const attackerSnapshot = await snapshotTenant(t, fixtures.attacker.tenantId);
    const attackerAll = [...attackerSnapshot.tables.values()].map((table) => table.json).join('\n');
    expect(attackerAll).not.toContain(CANARY_PREFIX);
    for (const value of rivalCanaries) expect(attackerAll).toContain(value);

    // Groups: each attacker actor acts as the subs it may (the response says where it ran, and
    // lists the sub's one member, the second user, unless the actor's role in the admin workspace
    // may not list members: the auditor of North Branch), and every other target answers exactly
    // as a missing one.
    const a = fixtures.attacker;
    const [group, northGroup, rivalGroup] = a.groups;
    const members = (auth: Record<string, string>, workspaceId: number) =>
      t.request({ method: 'GET', url: '/api/v1/members', headers: { ...auth, 'x-as-workspace': String(workspaceId) } });
    const callers = [
      { auth: a.owner.auth, actsAs: [group, northGroup], status: 200 },
      { auth: { authorization: `Bearer ${a.apiKey.secret}` }, actsAs: [group], status: 200 },
      { auth: a.second.auth, actsAs: [northGroup], status: 403 },
    ];
    for (const { auth, actsAs, status } of callers) {
      const missing = await members(auth, GHOST_BASE - 1);
      expect(missing.statusCode).toBe(404);
      for (const target of [...a.groups.flatMap((g) => [g.sub, g.admin]), fixtures.victim.groups[0].sub]) {
        const response = await members(auth, target);
        const admin = actsAs.find((g) => g.sub === target)?.admin;
        if (admin === undefined) {
          expect({ target, status: response.statusCode, body: response.body }).toEqual({ target, status: 404, body: missing.body });
          continue;
        }
        const ranIn = [response.headers['x-workspace-id'], response.headers['x-acting-from-workspace-id']];
        expect({ target, status: response.statusCode, ranIn }).toEqual({ target, status, ranIn: [String(target), String(admin)] });
        if (status === 200) expect(response.json().data.map((member: { id: number }) => member.id)).toEqual([a.second.userId]);
      }
    }
    // The tenant owner sees the rival's workspaces read-only (so the rival canary oracle can see), but never acts as them.
    const rivalView = await t.request({ method: 'GET', url: '/api/v1/members', headers: { ...a.owner.auth, 'x-workspace-id': String(rivalGroup.sub) } });
    expect(rivalView.statusCode).toBe(200);
    expect(rivalView.body).toContain(RIVAL_CANARY_PREFIX);
  });

  it(`answers ${BUDGET} fuzzed cross-tenant requests without a leak, a 5xx or a change to the victim`, async () => {
    const started = Date.now();
    const engine = currentEngine();
    const rng = new Rng(SEED);
    const before = await snapshotTenant(t, fixtures.victim.tenantId);
    expect(before.tables.get('users')?.rows).toBe(3);
    expect(before.tables.get('workspaces')?.rows).toBe(6);
    // Seven invitations, and fifteen queued e-mails (one per invitation, one more for the resend, one per group invitation,
    // and each of the three users' verification link).
    expect(before.tables.get('invitations')?.rows).toBe(7);
    expect(before.tables.get('outbox_messages')?.rows).toBe(15);
    expect(before.tables.get('workspace_group_members')?.rows).toBe(3);
    expect(before.tables.get('locations')?.rows).toBe(9);
    expect(before.tables.get('workspace_settings')?.rows).toBe(6);
    // The auditor's grant and revoke (issue 16).
    expect(before.tables.get('member_permission_overrides')?.rows).toBe(2);

    const registry: Registry = {
      victim: await idsOfTenant(t, fixtures.victim.tenantId),
      attacker: await idsOfTenant(t, fixtures.attacker.tenantId),
    };
    const refreshAttacker = async () => {
      registry.attacker = await idsOfTenant(t, fixtures.attacker.tenantId);
    };
    const victimSecrets = [
      fixtures.victim.owner.refreshToken,
      fixtures.victim.second.refreshToken,
      fixtures.victim.owner.accessToken,
      fixtures.victim.apiKey.secret,
      'x',
    ];

    const openapi = await t.request({ method: 'GET', url: '/openapi.json' });
    expect(openapi.statusCode).toBe(200);
    const operations = operationsOf(openapi.json());
    expect(operations.length).toBeGreaterThan(20);

    const a = fixtures.attacker;
    const v = fixtures.victim;
    // Invitation tokens: a victim token must answer outside the victim tenant exactly as one
    // that exists nowhere (404). The live and expired ones are what a missing tenant check would
    // answer (200, 410); the attacker's own come up too, for the answers about a token (403
    // INVITATION.WRONG_ACCOUNT, 410) that the oracles must tell apart from a leak.
    const victimTokens = [...v.invitationTokens.live, ...v.invitationTokens.spent];
    const victimAnswering = [...v.invitationTokens.live, v.invitationTokens.expired];
    const attackerTokens = [...a.invitationTokens.live, ...a.invitationTokens.spent];
    const attackerLive = new Set(a.invitationTokens.live);
    /** No response may carry one of these unless the request did (the attacker's rival's too). */
    // The account links mailed at registration (issue 19): tenant-bound like invitation tokens.
    const accountTokensOf = async (tenantId: number) => {
      const rows = await t.db.selectFrom('outbox_messages').select('text_body').where('tenant_id', '=', tenantId).where('kind', 'like', 'account.%').execute();
      return rows.flatMap((row) => [...row.text_body.matchAll(/#(?:verify|reset|email)=(\S+)/g)].map((match) => decodeURIComponent(match[1]!)));
    };
    const victimAccountTokens = await accountTokensOf(v.tenantId);
    const attackerAccountTokens = await accountTokensOf(a.tenantId);
    expect(victimAccountTokens).toHaveLength(3);
    const victimSecretValues = [
      ...victimTokens,
      ...victimAccountTokens,
      v.apiKey.secret,
      v.portalCode,
      v.inviteCodes.live,
      v.inviteCodes.dead,
      ...[v.owner, v.second, v.rival, a.rival].flatMap((session) => [session.refreshToken, session.accessToken]),
    ];
    const [group, northGroup, rivalGroup] = a.groups;
    const ghostToken = (token: string) => `inv_${createHash('sha256').update(`ghost:${token}`).digest('base64url')}`;
    const actors: Actor[] = [
      // The owner of both admin workspaces, Main Branch and North Branch: acts as Corner Shop and Kiosk.
      {
        name: 'attacker-owner',
        headers: { ...a.owner.auth },
        attackerSide: true,
        toVictimTenant: false,
        ownSession: true,
        actsAs: [group.sub, northGroup.sub],
        seesRival: 'anywhere',
      },
      // Owner of both subs, but an auditor of North Branch only: acts as Kiosk, not as Corner Shop.
      {
        name: 'attacker-member',
        headers: { ...a.second.auth },
        attackerSide: true,
        toVictimTenant: false,
        ownSession: true,
        actsAs: [northGroup.sub],
        seesRival: [group.sub],
      },
      // A key of Main Branch: acts as Corner Shop, not as Kiosk (its creator's other group).
      {
        name: 'attacker-api-key',
        headers: { authorization: `Bearer ${a.apiKey.secret}` },
        attackerSide: true,
        toVictimTenant: false,
        ownSession: false,
        actsAs: [group.sub],
      },
      { name: 'anonymous', headers: {}, attackerSide: false, toVictimTenant: false, ownSession: false },
      { name: 'victim-token@attacker-tenant', headers: { ...v.owner.auth }, attackerSide: false, toVictimTenant: false, ownSession: false },
      {
        name: 'victim-token@x-tenant:default',
        headers: { ...v.second.auth, 'x-tenant': ATTACKER_TENANT },
        attackerSide: false,
        toVictimTenant: false,
        ownSession: false,
      },
      {
        name: 'victim-api-key@attacker-tenant',
        headers: { authorization: `Bearer ${v.apiKey.secret}`, 'x-tenant': ATTACKER_TENANT },
        attackerSide: false,
        toVictimTenant: false,
        ownSession: false,
      },
      {
        name: 'attacker-token@victim-tenant',
        headers: { ...a.owner.auth, 'x-tenant': VICTIM_TENANT },
        attackerSide: false,
        toVictimTenant: true,
        ownSession: false,
      },
    ];
    // Attacker actors that reach deep into handlers get more turns than the ones refused at the door.
    const actorRotation = [0, 1, 2, 0, 3, 4, 2, 5, 0, 6, 7, 1];

    const mayActAs = (actor: Actor, value: string | number | undefined) => (actor.actsAs ?? []).some((sub) => String(sub) === String(value));
    const victimWs = () => rng.pick(registry.victim.workspaces);
    const ownWs = () => rng.pick(a.workspaces.filter((id) => id !== rivalGroup.admin && id !== rivalGroup.sub));
    const pickOf = (value: number, origin: Pick['origin']): Pick => ({ value, origin });
    /** What `x-as-workspace` names; the attacker's subs (which some actors may act as) a third of the time. */
    const actingTargets: Array<[string, () => readonly number[]]> = [
      ['group-sub', () => [group.sub, northGroup.sub]],
      ['group-admin', () => [group.admin, northGroup.admin]],
      ['rival-sub', () => [rivalGroup.sub]],
      ['rival-admin', () => [rivalGroup.admin]],
      ['victim', () => registry.victim.workspaces],
      ['missing', () => [GHOST_BASE - 1, MAX_INT4]],
    ];
    const actingHeader = (actor: Actor, target: string, value: number): HeaderChoice => {
      const origin = mayActAs(actor, value) ? 'attacker' : target === 'victim' ? 'victim' : target === 'missing' ? 'edge' : 'refused';
      const p = pickOf(value, origin);
      return { name: `x-as-workspace=${target}`, headers: { 'x-as-workspace': String(value) }, picks: [{ header: 'x-as-workspace', pick: p }], samePath: p };
    };
    const headerVariants: Array<{ name: string; make(actor: Actor): HeaderChoice }> = [
      { name: 'none', make: () => ({ name: 'none', headers: {}, picks: [] }) },
      {
        name: 'x-workspace-id=victim',
        make: () => {
          const p = pickOf(victimWs(), 'victim');
          return { name: 'x-workspace-id=victim', headers: { 'x-workspace-id': String(p.value) }, picks: [{ header: 'x-workspace-id', pick: p }] };
        },
      },
      {
        name: 'x-as-workspace=<target>',
        make: (actor) => {
          const [target, ids] = rng.float() < 1 / 3 ? (actingTargets[0] as (typeof actingTargets)[number]) : rng.pick(actingTargets.slice(1));
          return actingHeader(actor, target, rng.pick(ids()));
        },
      },
      {
        name: 'both=own+victim',
        make: () => {
          const own = pickOf(ownWs(), 'attacker');
          const p = pickOf(victimWs(), 'victim');
          return {
            name: 'both=own+victim',
            headers: { 'x-workspace-id': String(own.value), 'x-as-workspace': String(p.value) },
            picks: [
              { header: 'x-workspace-id', pick: own },
              { header: 'x-as-workspace', pick: p },
            ],
          };
        },
      },
      {
        name: 'both=victim+own',
        make: () => {
          const own = pickOf(ownWs(), 'attacker');
          const p = pickOf(victimWs(), 'victim');
          return {
            name: 'both=victim+own',
            headers: { 'x-workspace-id': String(p.value), 'x-as-workspace': String(own.value) },
            picks: [
              { header: 'x-workspace-id', pick: p },
              { header: 'x-as-workspace', pick: own },
            ],
          };
        },
      },
      {
        name: 'both=victim+victim',
        make: () => {
          const p = pickOf(victimWs(), 'victim');
          return {
            name: 'both=victim+victim',
            headers: { 'x-workspace-id': String(p.value), 'x-as-workspace': String(p.value) },
            picks: [
              { header: 'x-workspace-id', pick: p },
              { header: 'x-as-workspace', pick: p },
            ],
          };
        },
      },
      {
        name: 'x-workspace-id=own',
        make: () => {
          const own = pickOf(ownWs(), 'attacker');
          return { name: 'x-workspace-id=own', headers: { 'x-workspace-id': String(own.value) }, picks: [{ header: 'x-workspace-id', pick: own }] };
        },
      },
      {
        name: 'x-workspace-id=neighbour',
        make: () => {
          const p = pickOf(rng.pick(neighboursOf(registry.victim.workspaces)), 'neighbour');
          return { name: 'x-workspace-id=neighbour', headers: { 'x-workspace-id': String(p.value) }, picks: [{ header: 'x-workspace-id', pick: p }] };
        },
      },
      {
        name: 'x-workspace-id=malformed',
        make: () => ({ name: 'x-workspace-id=malformed', headers: { 'x-workspace-id': rng.pick(MALFORMED_HEADERS) }, picks: [] }),
      },
      {
        name: 'x-as-workspace=malformed',
        make: () => ({ name: 'x-as-workspace=malformed', headers: { 'x-as-workspace': rng.pick(MALFORMED_HEADERS) }, picks: [] }),
      },
    ];

    const valueFor = (field: Field): Pick => {
      if (field.special === 'secret') return { value: rng.pick(victimSecrets), origin: 'secret' };
      if (field.special === 'invitation-token') {
        const roll = rng.float();
        if (roll < 0.4) return { value: rng.pick(victimAnswering), origin: 'victim-token' };
        if (roll < 0.6) return { value: rng.pick(victimTokens), origin: 'victim-token' };
        if (roll < 0.85) return { value: rng.pick(attackerTokens), origin: 'attacker' };
        return { value: rng.pick(victimSecrets), origin: 'secret' };
      }
      if (field.special === 'account-token') {
        const roll = rng.float();
        if (roll < 0.6) return { value: rng.pick(victimAccountTokens), origin: 'victim-token' };
        if (roll < 0.85) return { value: rng.pick(attackerAccountTokens), origin: 'attacker' };
        return { value: rng.pick(victimSecrets), origin: 'secret' };
      }
      if (field.special === 'invite-code') {
        // The victim's codes (live and dead), the attacker's dead one; never the attacker's live one,
        // which would really make an attacker actor a member of Main Branch (and change what it may act as).
        const roll = rng.float();
        if (roll < 0.6) return { value: rng.pick([v.inviteCodes.live, v.inviteCodes.live, v.inviteCodes.dead]), origin: 'victim-token' };
        if (roll < 0.85) return { value: a.inviteCodes.dead, origin: 'attacker' };
        // Secrets that fit the parameter (1–64): a longer path parameter is refused by the router (414) before any code is looked up.
        return { value: rng.pick(victimSecrets.filter((secret) => field.where !== 'path' || secret.length <= 64)), origin: 'secret' };
      }
      if (field.special === 'email') return { value: rng.pick([...v.emails, ...v.invitationEmails, 'x']), origin: 'secret' };
      if (field.special === 'password') return { value: rng.pick([PASSWORDS.victim, 'x']), origin: 'secret' };
      if (field.special === 'permission') return { value: rng.pick(WHERE_PERMISSIONS), origin: 'attacker' };
      const roll = rng.float();
      let pick: Pick;
      if (roll < 0.45) pick = { value: rng.pick(idsFor(registry.victim, field.kind)), origin: 'victim' };
      else if (roll < 0.75) {
        const real = [...idsFor(registry.victim, field.kind), ...idsFor(registry.attacker, field.kind)];
        pick = { value: rng.pick(neighboursOf(real)), origin: 'neighbour' };
      } else pick = { value: rng.pick(EDGE_IDS), origin: 'edge' };
      if (field.special === 'cursor') return { value: rng.float() < 0.1 ? 'abc' : cursorOf(pick.value), origin: pick.origin };
      return pick;
    };

    /** A workspace's biz_id (of either tenant), or undefined for an id no workspace has. */
    const bizOf = (id: string | number): string | undefined => {
      for (const ids of [registry.attacker, registry.victim]) {
        const at = ids.workspaces.findIndex((w) => String(w) === String(id));
        if (at >= 0) return ids.bizIds[at];
      }
      return undefined;
    };
    /** The workspace a biz_id names (in either tenant), or undefined. */
    const workspaceOfBiz = (biz: string | number): number | undefined => {
      for (const ids of [registry.attacker, registry.victim]) {
        const at = ids.bizIds.indexOf(String(biz));
        if (at >= 0) return ids.workspaces[at];
      }
      return undefined;
    };
    /** The attacker's workspace a slug names, or undefined (an id, or no slug of its). */
    const attackerWorkspaceOfSlug = (slug: string | number): number | undefined => {
      const at = registry.attacker.slugs.indexOf(String(slug));
      return at >= 0 ? registry.attacker.workspaces[at] : undefined;
    };
    /** The same workspace as a workspace id pick, named by its biz_id (a well-formed one that names nothing for an id no workspace has). */
    const bizPickOf = (pick: Pick): Pick => ({ value: bizOf(pick.value) ?? `ws_missing${String(pick.value)}`, origin: pick.origin });

    const isAttackerOwned = (kind: IdKind, value: string | number) =>
      idsFor(registry.attacker, kind).some((id) => String(id) === String(value));
    const isVictimWorkspace = (value: string | number) => registry.victim.workspaces.some((id) => String(id) === String(value));
    const isAttackerWorkspace = (value: string | number) => registry.attacker.workspaces.some((id) => String(id) === String(value));

    type BodyVariant = 'schema' | 'empty' | 'malformed' | 'text';
    /** The portal access code sent: the one of the tenant the request goes to, none, or the other tenant's. */
    type PortalChoice = 'own' | 'none' | 'foreign';
    interface Case {
      op: Operation;
      actor: Actor;
      header: HeaderChoice;
      picks: Map<Field, Pick>;
      bodyVariant: BodyVariant;
      portal: PortalChoice;
    }
    const portalHeader = (c: Case): Record<string, string> => {
      if (c.portal === 'none') return {};
      const victimCode = (c.portal === 'own') === c.actor.toVictimTenant;
      return { 'x-portal-access-code': victimCode ? v.portalCode : a.portalCode };
    };
    const behindPortal = (c: Case) => c.op.path.startsWith(PORTAL_SURFACE);

    const build = (c: Case) => {
      let url = c.op.path;
      const query = new URLSearchParams();
      const body: Record<string, unknown> = {};
      if (c.op.bodySchema && c.bodyVariant === 'schema') {
        const schema = c.op.bodySchema;
        const names = Object.keys(schema.properties ?? {});
        const chosen = new Set([...(schema.required ?? []), ...[...c.picks.keys()].filter((f) => f.where === 'body').map((f) => f.name)]);
        for (const name of names) if (chosen.size < (schema.minProperties ?? 0)) chosen.add(name);
        for (const name of names) if (chosen.has(name)) body[name] = sampleOf(schema.properties?.[name] ?? {});
      }
      for (const [field, pick] of c.picks) {
        if (field.where === 'path') url = url.replace(`{${field.name}}`, encodeURIComponent(String(pick.value)));
        else if (field.where === 'query') query.set(field.name, String(pick.value));
        else if (c.bodyVariant === 'schema') {
          // Seed 002's camelCase bodies type their ids as strings.
          const stringTyped = field.schema.type === 'string' || (field.schema.anyOf ?? []).some((branch) => branch.type === 'string');
          body[field.name] = stringTyped && typeof pick.value === 'number' ? String(pick.value) : pick.value;
        }
      }
      const search = query.toString();
      const headers: Record<string, string> = { ...c.actor.headers, ...portalHeader(c), ...c.header.headers };
      let payload: string | Record<string, unknown> | undefined;
      if (c.op.bodySchema) {
        if (c.bodyVariant === 'schema') payload = body;
        else if (c.bodyVariant === 'empty') payload = {};
        else if (c.bodyVariant === 'malformed') {
          payload = '{"user_id": ';
          headers['content-type'] = 'application/json';
        } else {
          payload = JSON.stringify(body);
          headers['content-type'] = 'text/plain';
        }
      }
      return { method: c.op.method, url: search ? `${url}?${search}` : url, headers, payload };
    };

    /** Why a case is not sent, or undefined to send it. */
    const skipReason = (c: Case): string | undefined => {
      if (c.actor.toVictimTenant && /\/auth\/(register|login|refresh)$/.test(c.op.path)) return 'anonymous route in the victim tenant';
      const token = tokenOf(c);
      // The token alone is the credential on lookup and decline: with the victim's token in
      // the victim's tenant they answer (and decline would change the victim) as they should.
      if (c.actor.toVictimTenant && token?.origin === 'victim-token' && ANONYMOUS_TOKEN_ROUTE.test(c.op.path)) {
        return 'victim invitation token in the victim tenant';
      }
      // Likewise a victim's mailed account link in the victim's tenant: it would prove their address.
      if (c.actor.toVictimTenant && token?.origin === 'victim-token' && ACCOUNT_TOKEN_ROUTE.test(c.op.path)) {
        return 'victim account token in the victim tenant';
      }
      // Declining one of the attacker's own pending invitations would use up a fixture.
      if (!c.actor.toVictimTenant && c.op.path.endsWith('/invitations/decline') && attackerLive.has(String(token?.value))) {
        return "decline of the attacker's own invitation";
      }
      if (c.actor.ownSession && c.op.path.endsWith('/auth/logout')) return "attacker's own logout";
      if (c.actor.attackerSide && c.op.method !== 'GET' && !actsRefused(c)) {
        // Path routes ignore the context headers, so a mutation aimed at an attacker-owned
        // path id would really change the attacker's fixtures (delete its workspace, say).
        // It is still sent when the body names a non-attacker id (transfer to a victim user),
        // or when it would act as a workspace the actor may not act as (nothing may change).
        const owned = ([field, pick]: [Field, Pick]) => isAttackerOwned(field.kind, pick.value);
        const ids = [...c.picks].filter(([field]) => field.special === 'id');
        const pathIds = ids.filter(([field]) => field.where === 'path');
        const bodyIds = ids.filter(([field]) => field.where === 'body');
        if (pathIds.some(owned) && bodyIds.every(owned)) return "mutation of the attacker's own fixtures";
      }
      return undefined;
    };

    /** The invitation token a case sends, if any. */
    const tokenOf = (c: Case): Pick | undefined => {
      for (const [field, pick] of c.picks) if (field.special === 'invitation-token' || field.special === 'account-token' || field.special === 'invite-code') return pick;
      return undefined;
    };

    /** The case names, on a route that takes it, an `x-as-workspace` the actor may not act as. */
    const actsRefused = (c: Case) => c.op.takesActing && 'x-as-workspace' in c.header.headers && !mayActAs(c.actor, c.header.headers['x-as-workspace']);

    /** The workspace a 403 would be about: the path's workspace, else the context headers, else the actor's own. */
    const targetOf = (c: Case): string | undefined => {
      for (const [field, pick] of c.picks) {
        if (field.where === 'path' && field.kind === 'workspace') return String(pick.value);
        if (field.where === 'path' && field.kind === 'biz') return String(workspaceOfBiz(pick.value) ?? pick.value);
        // A slug names a workspace of the tenant the request goes to (slugs are mirrored: the attacker's own, here).
        if (field.where === 'path' && field.kind === 'slug') return String(attackerWorkspaceOfSlug(pick.value) ?? pick.value);
      }
      return c.header.headers['x-as-workspace'] ?? c.header.headers['x-workspace-id'];
    };

    const codeOf = (body: string) => {
      try {
        return (JSON.parse(body) as { error?: { code?: string } }).error?.code ?? '-';
      } catch {
        return '?';
      }
    };

    const violations: Violation[] = [];
    const statusCounts = new Map<number, number>();
    const errorCodes = new Map<string, number>();
    const perOperation = new Map<string, number>();
    const perActor = new Map<string, number>();
    const skips = new Map<string, number>();
    /** /web/v1 requests, by the portal code they sent. */
    const portalCounts = new Map<string, number>();
    let sent = 0;
    let twins = 0;
    /** Requests that carried a victim invitation token, and those answered by the handler (404 INVITATION.NOT_FOUND). */
    let victimTokenRequests = 0;
    let victimTokenNotFound = 0;
    let wrongAccount = 0;
    /** Requests answered acting as a sub the actor may act as, and the 2xx ones; requests per x-as-workspace target. */
    let actedAs = 0;
    let actedAsOk = 0;
    const actingTargetCounts = new Map<string, number>();
    const readsRefusedActing = new Set<string>();

    const send = async (c: Case) => {
      const request = build(c);
      const response = await t.request({
        method: request.method,
        url: request.url,
        headers: request.headers,
        ...(request.payload === undefined ? {} : { payload: request.payload }),
      });
      sent += 1;
      statusCounts.set(response.statusCode, (statusCounts.get(response.statusCode) ?? 0) + 1);
      if (response.statusCode >= 400) {
        const code = /"code":"([A-Z_.]+)"/.exec(response.body)?.[1] ?? '?';
        errorCodes.set(code, (errorCodes.get(code) ?? 0) + 1);
      }
      const label = `${request.method} ${request.url} actor=${c.actor.name} portal-code=${c.portal} headers=${c.header.name}${
        Object.keys(c.header.headers).length ? JSON.stringify(c.header.headers) : ''
      } body=${c.op.bodySchema ? `${c.bodyVariant}:${typeof request.payload === 'string' ? request.payload : JSON.stringify(request.payload)}` : '-'}`;
      const record = (oracle: Violation['oracle'], note?: string) =>
        violations.push({ oracle, request: label, status: response.statusCode, body: response.body.slice(0, 400), note });
      const status = response.statusCode;
      if (!ALLOWED_STATUSES.has(status)) record('status');
      const raw = `${response.body}\n${JSON.stringify(response.headers)}`;
      if (raw.toLowerCase().includes(CANARY_PREFIX.toLowerCase())) record('canary');
      const sentText = `${request.url}\n${JSON.stringify(request.headers)}\n${typeof request.payload === 'string' ? request.payload : JSON.stringify(request.payload ?? null)}`;
      const leaked = victimSecretValues.filter((secret) => raw.includes(secret) && !sentText.includes(secret));
      if (leaked.length > 0) record('secret', `the response carries ${leaked.length} victim secret(s) the request did not`);
      // Acting: a response that ran in the workspace x-as-workspace named (it answers which) ran in
      // a sub the actor may act as, from that sub's admin workspace, and holds that sub's records only.
      const ranIn = response.headers['x-workspace-id'];
      const actingFrom = response.headers['x-acting-from-workspace-id'];
      const actingAs = c.op.takesActing ? c.header.headers['x-as-workspace'] : undefined;
      if (actingFrom !== undefined || (actingAs !== undefined && ranIn !== undefined)) {
        const may = mayActAs(c.actor, actingAs);
        const adminOf = a.groups.find((g) => String(g.sub) === actingAs)?.admin;
        if (!may || String(ranIn) !== actingAs || String(actingFrom) !== String(adminOf)) {
          record('acting', `x-as-workspace ${actingAs ?? 'unsent'} (the actor may${may ? '' : ' not'} act as it) ran in ${String(ranIn)} acting from ${String(actingFrom)}`);
        } else {
          actedAs += 1;
          if (status < 300) actedAsOk += 1;
          let body: unknown;
          try {
            body = response.json();
          } catch {
            // no JSON body, no records
          }
          const foreign = [...new Set(workspaceIdsIn(body).filter((id) => String(id) !== actingAs))];
          if (foreign.length > 0) record('acting', `acting as ${actingAs}, the response holds records of workspace(s) ${foreign.join(', ')}`);
        }
      }
      const seesRival = c.actor.seesRival;
      const rivalVisible = seesRival === 'anywhere' || (seesRival ?? []).some((id) => String(id) === String(ranIn));
      if (raw.toLowerCase().includes(RIVAL_CANARY_PREFIX.toLowerCase()) && (!rivalVisible || actingFrom !== undefined)) {
        record('canary', `a rival canary${actingFrom !== undefined ? ' while acting' : ''}`);
      }
      const code = codeOf(response.body);
      // The portal code is checked right after the tenant: without it nothing else may answer
      // (not the credential, the headers or the path); with it, and off /web/v1, it never refuses.
      const portalRefusal = status === 403 && code === 'PORTAL.ACCESS_DENIED';
      if (behindPortal(c) && c.portal !== 'own') {
        if (!portalRefusal && status !== 429) record('portal', `without its tenant's portal code (${c.portal}), /web/v1 answers "${status} ${code}"`);
      } else if (portalRefusal) {
        record('portal', behindPortal(c) ? "the tenant's own portal code is refused" : 'a route outside /web/v1 asks for the portal code');
      }
      let details: Record<string, unknown> = {};
      if (status >= 400) {
        try {
          details = (response.json().error?.details ?? {}) as Record<string, unknown>;
        } catch {
          // a 403 without a JSON error body is judged by its target alone
        }
      }
      const credentialKind = typeof details.reason === 'string' && details.reason.startsWith('api_keys_');
      const token = c.bodyVariant === 'schema' ? tokenOf(c) : undefined;
      if (status === 403 && code === 'INVITATION.WRONG_ACCOUNT') {
        // An answer about the token, naming no workspace: only ever about one of the attacker's own.
        wrongAccount += 1;
        if (token?.origin !== 'attacker' || c.actor.toVictimTenant) {
          record('forbidden-target', `INVITATION.WRONG_ACCOUNT for a token (${token?.origin ?? 'none'}) that is not the attacker's`);
        }
      } else if (status === 403 && !portalRefusal) {
        const permission = typeof details.permission === 'string' ? details.permission : undefined;
        const tenantLevel = permission !== undefined && permissionScopes.get(permission) === 'tenant';
        const target = targetOf(c);
        // Acting, the workspace must be a sub the actor may act as (any other is 404).
        const acting = c.op.takesActing ? c.header.headers['x-as-workspace'] : undefined;
        const visible = acting === undefined ? target !== undefined && isAttackerWorkspace(target) : mayActAs(c.actor, acting);
        if (!tenantLevel && !credentialKind && target !== undefined && !visible) {
          const whose = acting !== undefined ? 'one it may not act as' : isVictimWorkspace(target) ? "the victim's" : "not the attacker's";
          record('forbidden-target', `403 about workspace ${target}, which is ${whose}`);
        }
      }
      if (token?.origin === 'victim-token') {
        // A token is tenant-bound: outside the victim tenant the victim's token is one that does
        // not exist. On the token routes the handler says so (404), unless the caller is refused
        // at the door first; elsewhere (register) nothing may answer about the invitation.
        victimTokenRequests += 1;
        const answer = `${status} ${code}`;
        if (answer === '404 INVITATION.NOT_FOUND') victimTokenNotFound += 1;
        const refusedAtDoor = status === 401 || status === 429 || (status === 403 && credentialKind);
        if (TOKEN_ROUTE.test(c.op.path)) {
          if (c.actor.toVictimTenant ? status !== 401 : !refusedAtDoor && answer !== '404 INVITATION.NOT_FOUND') {
            record('token', `a victim invitation token answers "${answer}" (expected 404 INVITATION.NOT_FOUND${c.actor.toVictimTenant ? '' : ' or a refusal at the door'})`);
          }
        } else if (status < 300 || status === 410 || (code.startsWith('INVITATION.') && code !== 'INVITATION.NOT_FOUND') || code === 'MEMBER.ALREADY_MEMBER') {
          record('token', `a victim invitation token answers "${answer}"`);
        }
      }
      if (c.op.method !== 'GET' && status < 300 && c.actor.attackerSide) await refreshAttacker();
      return { request, response, label };
    };

    /**
     * The same case with every victim id (fields and headers; a neighbour that is one too) and
     * every workspace the actor may not act as replaced by an id that exists nowhere.
     */
    const ghostOf = (c: Case): Case | undefined => {
      const ghosts = new Map<string, number>();
      const ghost = (value: string | number) => {
        const key = String(value);
        if (!ghosts.has(key)) ghosts.set(key, GHOST_BASE + ghosts.size * 7 + 3);
        return ghosts.get(key) as number;
      };
      const ghosted = (pick: Pick, kind: IdKind) =>
        typeof pick.value === 'number' &&
        (pick.origin === 'victim' || pick.origin === 'refused' || idsFor(registry.victim, kind).includes(pick.value));
      let changed = false;
      const picks = new Map<Field, Pick>();
      const victimBiz = (pick: Pick) =>
        typeof pick.value === 'string' && (pick.origin === 'victim' || pick.origin === 'refused' || registry.victim.bizIds.includes(pick.value));
      for (const [field, pick] of c.picks) {
        if (ghosted(pick, field.kind)) {
          changed = true;
          const id = ghost(pick.value);
          picks.set(field, { value: id, origin: 'edge' });
        } else if (field.kind === 'biz' && victimBiz(pick)) {
          // The ghost of the workspace the biz_id names, so that a header naming it is ghosted alike.
          changed = true;
          picks.set(field, { value: `ws_ghost${ghost(workspaceOfBiz(pick.value) ?? pick.value)}`, origin: 'edge' });
        } else if (pick.origin === 'victim-token') {
          changed = true;
          picks.set(field, { value: ghostToken(String(pick.value)), origin: 'edge' });
        } else picks.set(field, pick);
      }
      const headers = { ...c.header.headers };
      for (const { header, pick } of c.header.picks) {
        if (ghosted(pick, 'workspace')) {
          changed = true;
          headers[header] = String(ghost(pick.value));
        }
      }
      if (!changed) return undefined;
      return { ...c, picks, header: { name: `${c.header.name}(ghost)`, headers, picks: [] } };
    };

    // Acting as a sub must work for those who may: every read that can act, by each such actor
    // for each such sub, runs in that sub (the oracles above judge what it shows) and answers
    // 200, or 403 inside it (a permission the actor's role in the admin workspace lacks, or a
    // route refused while acting, CONTEXT.ACTING_AS_FORBIDDEN).
    const reads = operations.filter(
      (op) =>
        op.method === 'GET' &&
        op.takesActing &&
        op.fields.every((field) => field.where !== 'path' || field.kind === 'workspace' || field.kind === 'biz' || field.kind === 'slug'),
    );
    for (const op of reads) {
      for (const actor of actors) {
        for (const sub of actor.actsAs ?? []) {
          const header = actingHeader(actor, 'group-sub', sub);
          const same = header.samePath as Pick;
          const picks = new Map(op.fields.filter((field) => field.where === 'path').map((field) => [field, field.kind === 'biz' ? bizPickOf(same) : same]));
          const { response, label } = await send({ op, actor, header, picks, bodyVariant: 'schema', portal: 'own' });
          if (codeOf(response.body) === 'CONTEXT.ACTING_AS_FORBIDDEN') readsRefusedActing.add(op.path);
          if (response.headers['x-workspace-id'] !== String(sub) || ![200, 403].includes(response.statusCode)) {
            const note = `acting as ${sub}, which ${actor.name} may act as, fails`;
            violations.push({ oracle: 'acting', request: label, status: response.statusCode, body: response.body.slice(0, 300), note });
          }
        }
      }
    }

    // Round-robin over operations (those with id or invitation-token fields get three turns),
    // each operation cycling through actors and header variants so every combination comes up.
    const weighted = operations.flatMap((op) => {
      const ids = op.fields.filter((f) => f.special === 'id' || f.special === 'invitation-token').length;
      return Array.from({ length: ids > 0 ? 3 : op.fields.length > 0 ? 2 : 1 }, () => op);
    });
    const order = weighted.map((op, i) => ({ op, sort: rng.float(), i })).sort((x, y) => x.sort - y.sort).map((x) => x.op);
    const turns = new Map<string, number>();
    let slot = 0;
    let idle = 0;
    while (sent < BUDGET && idle < order.length * 4) {
      const op = order[slot % order.length] as Operation;
      slot += 1;
      const turn = turns.get(op.key) ?? 0;
      turns.set(op.key, turn + 1);
      const offset = op.key.length;
      const actor = actors[actorRotation[(turn + offset) % actorRotation.length] as number] as Actor;
      const variant = headerVariants[(Math.floor(turn / actorRotation.length) + turn + offset) % headerVariants.length];
      let c: Case | undefined;
      let reason: string | undefined;
      for (let attempt = 0; attempt < 6; attempt += 1) {
        const picks = new Map<Field, Pick>();
        for (const field of op.fields) {
          // Cursors and optional query ids are left out now and then, so the plain request is fuzzed too.
          if (field.where === 'query' && rng.float() < 0.3) continue;
          picks.set(field, valueFor(field));
        }
        // Register with a victim token, mostly for the very address it was sent to (and a valid
        // password): only the tenant check then stands between the attacker and the invitation.
        const token = [...picks].find(([field]) => field.special === 'invitation-token')?.[1];
        const email = op.fields.find((field) => field.special === 'email');
        const password = op.fields.find((field) => field.special === 'password');
        if (token?.origin === 'victim-token' && email && rng.float() < 0.7) {
          picks.set(email, { value: v.invitationTokens.emailOf[String(token.value)] as string, origin: 'secret' });
          if (password) picks.set(password, { value: PASSWORDS.victim, origin: 'secret' });
        }
        const roll = rng.float();
        const bodyVariant: BodyVariant = roll < 0.75 ? 'schema' : roll < 0.9 ? 'empty' : roll < 0.95 ? 'malformed' : 'text';
        const portalRoll = rng.float();
        const portal: PortalChoice = portalRoll < 0.8 ? 'own' : portalRoll < 0.9 ? 'none' : 'foreign';
        const header = (variant ?? headerVariants[0])!.make(actor);
        for (const field of header.samePath ? op.fields : []) {
          if (field.where !== 'path') continue;
          if (field.kind === 'workspace' || field.kind === 'slug') picks.set(field, header.samePath as Pick);
          // A biz_id path mostly names the acted-as workspace too; the rest of the time another,
          // whose conflict must answer alike whatever x-as-workspace names.
          else if (field.kind === 'biz' && rng.float() < 2 / 3) picks.set(field, bizPickOf(header.samePath as Pick));
        }
        const candidate: Case = { op, actor, header, picks, bodyVariant, portal };
        reason = skipReason(candidate);
        if (reason === undefined) {
          c = candidate;
          break;
        }
      }
      if (!c) {
        skips.set(reason ?? '?', (skips.get(reason ?? '?') ?? 0) + 1);
        idle += 1;
        continue;
      }
      idle = 0;
      perOperation.set(op.key, (perOperation.get(op.key) ?? 0) + 1);
      perActor.set(actor.name, (perActor.get(actor.name) ?? 0) + 1);
      if (behindPortal(c)) portalCounts.set(c.portal, (portalCounts.get(c.portal) ?? 0) + 1);
      const acting = /^x-as-workspace=(.+)$/.exec(c.header.name)?.[1];
      if (acting) actingTargetCounts.set(acting, (actingTargetCounts.get(acting) ?? 0) + 1);
      const first = await send(c);
      // Only a request that changed nothing can be replayed: a successful create would now conflict.
      const replayable = c.op.method === 'GET' || first.response.statusCode >= 400;
      // A victim token, and a workspace the actor may not act as, are always checked against one that exists nowhere.
      const always = (c.bodyVariant === 'schema' && tokenOf(c)?.origin === 'victim-token') || c.header.picks.some(({ pick }) => pick.origin === 'refused');
      const twin = sent < BUDGET && replayable && (always || rng.float() < 0.35) ? ghostOf(c) : undefined;
      if (twin) {
        twins += 1;
        const second = await send(twin);
        const one = `${first.response.statusCode} ${codeOf(first.response.body)}`;
        const other = `${second.response.statusCode} ${codeOf(second.response.body)}`;
        if (one !== other) {
          violations.push({
            oracle: 'enumeration',
            request: first.label,
            status: first.response.statusCode,
            body: first.response.body.slice(0, 300),
            note: `victim ids answer "${one}" but ids that exist nowhere answer "${other}" (${second.label})`,
          });
        }
      }
    }

    const after = await snapshotTenant(t, fixtures.victim.tenantId);
    const changedTables = [...before.tables.keys()].filter((name) => before.tables.get(name)?.hash !== after.tables.get(name)?.hash);
    const durationMs = Date.now() - started;

    const sorted = (m: Map<string | number, number>) =>
      [...m].sort((x, y) => String(x[0]).localeCompare(String(y[0]))).map(([k, n]) => `${k}=${n}`).join(' ');
    console.log(
      [
        `[isolation-fuzz] engine=${engine} seed=${SEED} requests=${sent} (budget ${BUDGET}, ${twins} ghost twins) duration=${durationMs}ms`,
        `  operations=${operations.length} (${perOperation.size} exercised), statuses: ${sorted(statusCounts)}`,
        `  error codes: ${sorted(errorCodes)}`,
        `  actors: ${sorted(perActor)}`,
        `  victim invitation tokens sent: ${victimTokenRequests} (${victimTokenNotFound} answered 404 INVITATION.NOT_FOUND); INVITATION.WRONG_ACCOUNT (attacker tokens): ${wrongAccount}`,
        `  x-as-workspace: ${sorted(actingTargetCounts)}; answered acting as a sub the actor may act as: ${actedAs} (${actedAsOk} 2xx); reads refused while acting: ${[...readsRefusedActing].join(', ') || 'none'}`,
        `  /web/v1 requests by portal code sent: ${sorted(portalCounts)}`,
        `  skipped: ${sorted(skips) || 'none'}`,
        `  victim snapshot: ${[...before.tables].map(([name, s]) => `${name}:${s.rows}`).join(' ')}; global tables: ${before.global.join(', ')}`,
        `  violations: ${violations.length}; victim tables changed: ${changedTables.join(', ') || 'none'}`,
        ...violations.slice(0, 15).map((x) => `  ✗ [${x.oracle}] ${x.request} → ${x.status} ${x.body}${x.note ? ` — ${x.note}` : ''}`),
      ].join('\n'),
    );

    expect(sent).toBe(BUDGET);
    // Every operation of the API was exercised (a few only by actors that are refused at the door).
    expect(perOperation.size).toBe(operations.length);
    // Every kind of x-as-workspace target came up, and acting as the attacker's own sub works.
    expect([...actingTargetCounts.keys()].sort()).toEqual([...actingTargets.map(([target]) => target), 'malformed'].sort());
    expect(actedAsOk).toBeGreaterThan(0);
    // /web/v1 was sent with its tenant's code, without one, and with the other tenant's.
    expect([...portalCounts.keys()].sort()).toEqual(['foreign', 'none', 'own']);
    expect(violations.map((x) => `[${x.oracle}] ${x.request} → ${x.status} ${x.body} ${x.note ?? ''}`)).toEqual([]);
    for (const name of changedTables) {
      expect({ table: name, rows: after.tables.get(name)?.json }).toEqual({ table: name, rows: before.tables.get(name)?.json });
    }
    expect([...after.tables.keys()].sort()).toEqual([...before.tables.keys()].sort());
  }, 120_000);

  it('answers every /web/v1 path naming a victim workspace, by id or by biz_id, exactly as one that exists nowhere', async () => {
    const a = fixtures.attacker;
    const v = fixtures.victim;
    const before = await snapshotTenant(t, v.tenantId);
    const victim = await idsOfTenant(t, v.tenantId);
    const openapi = (await t.request({ method: 'GET', url: '/openapi.json' })).json();
    const pathWorkspace = (op: Operation) => op.fields.find((f) => f.where === 'path' && (f.kind === 'workspace' || f.kind === 'biz'));
    const ops = operationsOf(openapi).filter((op) => op.path.startsWith(PORTAL_SURFACE) && pathWorkspace(op) !== undefined);
    expect(ops.map((op) => op.key).sort()).toEqual([
      'GET /web/v1/workspaces/{workspaceId}/roles',
      'POST /web/v1/tenant/workspaces/{workspaceBizId}/default',
      'POST /web/v1/tenant/workspaces/{workspaceBizId}/leave',
      'POST /web/v1/workspaces/{workspaceBizId}/invitations',
      'POST /web/v1/workspaces/{workspaceId}/members/role/change',
      'POST /web/v1/workspaces/{workspaceId}/roles',
    ]);
    const actors = [
      { name: 'attacker-owner', headers: a.owner.auth },
      { name: 'attacker-member', headers: a.second.auth },
      { name: 'attacker-api-key', headers: { authorization: `Bearer ${a.apiKey.secret}` } },
    ];
    const secrets = [v.portalCode, v.apiKey.secret, ...[v.owner, v.second, v.rival].flatMap((session) => [session.accessToken, session.refreshToken])];
    const problems: string[] = [];
    const answers = new Map<string, number>();
    const ask = async (op: Operation, headers: Record<string, string>, name: string, acting: string | undefined, userId: number) => {
      const field = pathWorkspace(op) as Field;
      const url = op.path.replace(`{${field.name}}`, encodeURIComponent(name));
      const payload = op.bodySchema ? (sampleOf(op.bodySchema) as Record<string, unknown>) : undefined;
      for (const key of Object.keys(payload ?? {})) if (payload && isIdName(key)) payload[key] = userId;
      const response = await t.request({
        method: op.method,
        url,
        headers: { ...headers, 'x-portal-access-code': a.portalCode, ...(acting === undefined ? {} : { 'x-as-workspace': acting }) },
        ...(payload === undefined ? {} : { payload }),
      });
      const raw = `${response.body}\n${JSON.stringify(response.headers)}`;
      const request = `${op.method} ${url}${acting === undefined ? '' : ` x-as-workspace=${acting}`}`;
      if (raw.toLowerCase().includes(CANARY_PREFIX.toLowerCase())) problems.push(`[canary] ${request} → ${response.statusCode} ${response.body.slice(0, 200)}`);
      if (secrets.some((secret) => raw.includes(secret))) problems.push(`[secret] ${request} → ${response.statusCode}`);
      const code = /"code":"([A-Z_.]+)"/.exec(response.body)?.[1] ?? '-';
      return { answer: `${response.statusCode} ${code}`, request };
    };
    for (const op of ops) {
      const byBizId = (pathWorkspace(op) as Field).kind === 'biz';
      for (const actor of actors) {
        for (const [i, id] of victim.workspaces.entries()) {
          const biz = victim.bizIds[i] as string;
          const ghostId = GHOST_BASE + 100 + i;
          const ghostBiz = `ws_ghost${ghostId}`;
          const ownForm: [string, string] = byBizId ? [biz, ghostBiz] : [String(id), String(ghostId)];
          const otherForm: [string, string] = byBizId ? [String(id), String(ghostId)] : [biz, ghostBiz];
          const probes: Array<{ names: [string, string]; acting?: [string, string] }> = [
            { names: ownForm },
            { names: otherForm },
            { names: ownForm, acting: [String(id), String(ghostId)] },
          ];
          for (const { names, acting } of probes) {
            const real = await ask(op, actor.headers, names[0], acting?.[0], victim.users[0] as number);
            const ghost = await ask(op, actor.headers, names[1], acting?.[1], GHOST_BASE + 200);
            answers.set(real.answer, (answers.get(real.answer) ?? 0) + 1);
            if (real.answer !== ghost.answer || !/^4\d\d /.test(real.answer)) {
              problems.push(`[enumeration] ${actor.name}: ${real.request} → ${real.answer}, but ${ghost.request} → ${ghost.answer}`);
            }
          }
        }
      }
    }
    console.log(`[isolation-fuzz] /web/v1 victim-workspace sweep: ${[...answers].map(([answer, n]) => `${answer}×${n}`).join(', ')}`);
    expect(problems).toEqual([]);
    const after = await snapshotTenant(t, v.tenantId);
    for (const [name, table] of before.tables) expect({ table: name, rows: after.tables.get(name)?.json }).toEqual({ table: name, rows: table.json });
  });

  it("answers every location, catalogue and stock route naming another workspace's or another tenant's record, or none, exactly as a missing one, changing nothing", async () => {
    const a = fixtures.attacker;
    const v = fixtures.victim;
    const before = await snapshotTenant(t, v.tenantId);
    const watched = ['locations', 'workspace_settings', 'items', 'suppliers', 'tags', 'item_tags', 'stock_levels', 'stock_movements', 'contacts', 'invoices', 'invoice_lines', 'invoice_payments', 'invoice_number_series', 'quotations', 'quotation_lines'] as const;
    const table = (name: (typeof watched)[number]) =>
      rawRows<Record<string, unknown>>(t, `select * from ${q(name)} order by workspace_id, ${name === 'workspace_settings' ? 'workspace_id' : name === 'item_tags' ? 'item_id, tag_id' : name === 'invoice_number_series' ? 'prefix' : 'id'}`);
    const tablesBefore = await Promise.all(watched.map(table));
    /** `empty`: a list filtered by the foreign id, which must come back with nothing in it. */
    type Probe = {
      method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
      url: (id: number) => string;
      payload?: (id: number) => Record<string, unknown>;
      expected: (inPath: string) => string;
      empty?: true;
      emptyReport?: 'valuation' | 'csv';
    };
    const inPathProbes = (plural: string, edits: Record<string, unknown>[]): Probe[] => [
      { method: 'GET', url: (x) => `/api/v1/${plural}/${x}`, expected: (inPath) => inPath },
      ...edits.map((edit): Probe => ({ method: 'PATCH', url: (x) => `/api/v1/${plural}/${x}`, payload: () => edit, expected: (inPath) => inPath })),
      { method: 'DELETE', url: (x) => `/api/v1/${plural}/${x}`, expected: (inPath) => inPath },
    ];
    // A body naming a record that is not the workspace's own: 422 naming the field.
    const refusedField = (): string => '422 VALIDATION.FAILED';
    // A list filtered by it: empty (200), whatever the integer, as the catalogue's own filters are.
    const emptyList = (): string => '200 -';
    const stockLists = (filter: 'item_id' | 'location_id'): Probe[] => [
      ...['/api/v1/stock', '/api/v1/stock/movements'].map((list): Probe => ({ method: 'GET', url: (x) => `${list}?${filter}=${x}`, expected: emptyList, empty: true })),
      // The reports filter by location only: an empty valuation, an export of its header alone.
      ...(filter === 'location_id'
        ? [
            { method: 'GET', url: (x) => `/api/v1/stock/valuation?location_id=${x}`, expected: emptyList, emptyReport: 'valuation' },
            { method: 'GET', url: (x) => `/api/v1/stock/export.csv?location_id=${x}`, expected: emptyList, emptyReport: 'csv' },
          ] satisfies Probe[]
        : []),
    ];
    // The caller's own live item and locations, for stock bodies that name one foreign record.
    const liveOwn = async (table: 'items' | 'locations', workspaceId: number) =>
      (await t.db.selectFrom(table).select('id').where('workspace_id', '=', workspaceId).where('archived_at', 'is', null).orderBy('id').execute()).map((row) => row.id);
    const ownStock = new Map<number, { item: number; locations: number[] }>();
    // Each kind of record: its rows, what names a missing one, and the probes naming it.
    const kinds = [
      {
        plural: 'locations' as const,
        notFound: 'LOCATION.NOT_FOUND',
        probes: (callerWs: number): Probe[] => [
          ...inPathProbes('locations', [{ name: 'Renamed by the sweep', address: null }, { archived: true }]),
          // A default location must be a live location of the workspace itself: 422 naming the field.
          { method: 'PATCH', url: () => `/api/v1/workspaces/${callerWs}/settings`, payload: (x) => ({ default_location_id: x }), expected: refusedField },
          { method: 'PATCH', url: () => `/api/v1/workspaces/${callerWs}/settings`, payload: (x) => ({ default_transfer_from_location_id: x }), expected: refusedField },
          { method: 'PATCH', url: () => `/workspaces/${callerWs}`, payload: (x) => ({ defaultInvoiceSourceLocationId: String(x) }), expected: refusedField },
          // Stock moves only at locations of its own workspace, in and out.
          ...(() => {
            const own = ownStock.get(callerWs) as { item: number; locations: number[] };
            const [here] = own.locations as [number];
            return [
              { method: 'POST', url: () => '/api/v1/stock/receipts', payload: (x) => ({ item_id: own.item, location_id: x, quantity: '1' }), expected: refusedField },
              { method: 'POST', url: () => '/api/v1/stock/transfers', payload: (x) => ({ item_id: own.item, from_location_id: x, to_location_id: here, quantity: '1' }), expected: refusedField },
              { method: 'POST', url: () => '/api/v1/stock/transfers', payload: (x) => ({ item_id: own.item, from_location_id: here, to_location_id: x, quantity: '1' }), expected: refusedField },
            ] satisfies Probe[];
          })(),
          ...stockLists('location_id'),
        ],
      },
      {
        plural: 'items' as const,
        notFound: 'ITEM.NOT_FOUND',
        probes: (callerWs: number): Probe[] => {
          const own = ownStock.get(callerWs) as { item: number; locations: number[] };
          const [here, there] = own.locations as [number, number];
          return [
            ...inPathProbes('items', [{ name: 'Renamed by the sweep' }, { archived: true }]),
            // Stock moves only items of its own workspace.
            { method: 'POST', url: () => '/api/v1/stock/receipts', payload: (x) => ({ item_id: x, location_id: here, quantity: '1' }), expected: refusedField },
            { method: 'POST', url: () => '/api/v1/stock/adjustments', payload: (x) => ({ item_id: x, location_id: here, quantity_change: '-1', reason: 'Sweep' }), expected: refusedField },
            { method: 'POST', url: () => '/api/v1/stock/transfers', payload: (x) => ({ item_id: x, from_location_id: here, to_location_id: there, quantity: '1' }), expected: refusedField },
            ...stockLists('item_id'),
          ];
        },
      },
      {
        plural: 'suppliers' as const,
        notFound: 'SUPPLIER.NOT_FOUND',
        probes: (): Probe[] => [
          ...inPathProbes('suppliers', [{ name: 'Renamed by the sweep' }]),
          // An item may prefer a supplier of its own workspace only.
          { method: 'POST', url: () => '/api/v1/items', payload: (x) => ({ sku: 'SWEEP', name: 'Sweep', preferred_supplier_id: x }), expected: refusedField },
        ],
      },
      {
        plural: 'tags' as const,
        notFound: 'TAG.NOT_FOUND',
        probes: (): Probe[] => [
          ...inPathProbes('tags', [{ name: 'Renamed by the sweep', color: null }]),
          { method: 'POST', url: () => '/api/v1/items', payload: (x) => ({ sku: 'SWEEP', name: 'Sweep', tag_ids: [x] }), expected: refusedField },
        ],
      },
      {
        plural: 'contacts' as const,
        notFound: 'CONTACT.NOT_FOUND',
        probes: (): Probe[] => inPathProbes('contacts', [{ name: 'Renamed by the sweep' }, { tax_id: null }]),
      },
      {
        plural: 'quotations' as const,
        notFound: 'QUOTATION.NOT_FOUND',
        probes: (): Probe[] => [
          ...inPathProbes('quotations', [{ notes: 'Changed by the sweep' }]),
          { method: 'POST', url: (x) => `/api/v1/quotations/${x}/convert`, payload: () => ({}), expected: (inPath) => inPath },
        ],
      },
      {
        plural: 'invoices' as const,
        notFound: 'INVOICE.NOT_FOUND',
        probes: (): Probe[] => [
          ...inPathProbes('invoices', [{ notes: 'Changed by the sweep' }]),
          ...([['issue', {}], ['void', { reason: '04' }], ['payments', { amount: '1', method: 'cash' }]] as const).map(
            ([action, body]): Probe => ({ method: 'POST', url: (x) => `/api/v1/invoices/${x}/${action}`, payload: () => body, expected: (inPath) => inPath }),
          ),
          // A note naming another workspace's invoice: 422 naming the field.
          { method: 'POST', url: () => '/api/v1/invoices', payload: (x) => ({ document_subtype: 'B04', reference_invoice_id: x, lines: [{ description: 'Sweep', quantity: '1', unit_price: '1' }] }), expected: refusedField },
        ],
      },
    ];
    const rowsOf = Object.fromEntries(
      await Promise.all(kinds.map(async (kind) => [kind.plural, await t.db.selectFrom(kind.plural).select(['id', 'workspace_id']).orderBy('id').execute()] as const)),
    );
    const [group] = a.groups;
    const key = { authorization: `Bearer ${a.apiKey.secret}` };
    // Each caller works in one workspace where it holds every locations and settings permission.
    const callers = [
      { name: 'attacker-owner in Main Branch', auth: a.owner.auth, header: { 'x-workspace-id': String(a.workspaces[0]) }, ws: a.workspaces[0] as number },
      { name: 'attacker-member in Kiosk', auth: a.second.auth, header: { 'x-workspace-id': String(a.workspaces[3]) }, ws: a.workspaces[3] as number },
      { name: "Main Branch's API key", auth: key, header: {}, ws: a.workspaces[0] as number },
      { name: 'attacker-owner acting as Corner Shop', auth: a.owner.auth, header: { 'x-as-workspace': String(group.sub) }, ws: group.sub },
      { name: "Main Branch's API key acting as Corner Shop", auth: key, header: { 'x-as-workspace': String(group.sub) }, ws: group.sub },
    ];
    const secrets = [v.portalCode, v.apiKey.secret, v.inviteCodes.live, v.inviteCodes.dead, ...[v.owner, v.second, v.rival, a.rival].flatMap((session) => [session.accessToken, session.refreshToken])];
    const problems: string[] = [];
    const answers = new Map<string, number>();
    let sentHere = 0;
    const ask = async (caller: (typeof callers)[number], method: Probe['method'], url: string, payload?: Record<string, unknown>) => {
      // A path route takes its workspace from the path: only x-as-workspace goes along (naming the same one).
      const context = !url.startsWith('/api/v1/workspaces') && !url.startsWith('/workspaces') ? caller.header : Object.fromEntries(Object.entries(caller.header).filter(([name]) => name !== 'x-workspace-id'));
      const response = await t.request({ method, url, headers: { ...caller.auth, ...context }, ...(payload ? { payload } : {}) });
      sentHere += 1;
      const raw = `${response.body}\n${JSON.stringify(response.headers)}`.toLowerCase();
      const request = `${caller.name}: ${method} ${url}${payload ? ` ${JSON.stringify(payload)}` : ''}`;
      if (raw.includes(CANARY_PREFIX.toLowerCase()) || raw.includes(RIVAL_CANARY_PREFIX.toLowerCase())) problems.push(`[canary] ${request} → ${response.statusCode} ${response.body.slice(0, 200)}`);
      if (secrets.some((secret) => raw.includes(secret.toLowerCase()))) problems.push(`[secret] ${request} → ${response.statusCode}`);
      return { answer: `${response.statusCode} ${/"code":"([A-Z_.]+)"/.exec(response.body)?.[1] ?? '-'}`, request, response };
    };
    for (const caller of callers) {
      if (!ownStock.has(caller.ws)) {
        const [item] = await liveOwn('items', caller.ws);
        ownStock.set(caller.ws, { item: item as number, locations: await liveOwn('locations', caller.ws) });
      }
      for (const [k, kind] of kinds.entries()) {
        const rows = rowsOf[kind.plural] ?? [];
        const own = rows.filter((row) => row.workspace_id === caller.ws).map((row) => row.id);
        // Not vacuous: the caller reaches its own records, and its list holds only those.
        const mine = await ask(caller, 'GET', `/api/v1/${kind.plural}/${own[0]}`);
        const listed = await ask(caller, 'GET', `/api/v1/${kind.plural}?limit=100`);
        const listedIds = (listed.response.json().data as Array<{ id: number }>).map((record) => record.id);
        if (mine.answer !== '200 -' || listed.answer !== '200 -' || listedIds.length === 0 || listedIds.some((id) => !own.includes(id))) {
          problems.push(`[own] ${caller.name}: own ${kind.plural} ${mine.answer}, list ${listed.answer} ${JSON.stringify(listedIds)} (own: ${JSON.stringify(own)})`);
        }
        // Every other workspace's record (the attacker tenant's other workspaces, the rival's, the
        // victim's), each answered exactly as an id that exists nowhere; then ids no store can hold:
        // past int4 (PostgreSQL's integer) and the largest safe integer, which the id pattern admits
        // (404 in a path), and 1e17, which it does not (422 in a path); all are integers to the
        // body schemas, so a body naming one answers 422 naming the field, never 500.
        const PAST_PATTERN = 1e17;
        const beyond = [MAX_INT4 + 1, Number.MAX_SAFE_INTEGER, PAST_PATTERN];
        const foreign = [...rows.filter((row) => row.workspace_id !== caller.ws).map((row) => row.id), ...beyond];
        for (const [i, id] of foreign.entries()) {
          const ghostId = GHOST_BASE + 300 + 1000 * k + i;
          const inPath = id === PAST_PATTERN ? '422 VALIDATION.FAILED' : `404 ${kind.notFound}`;
          for (const probe of kind.probes(caller.ws)) {
            const expected = probe.expected(inPath);
            const real = await ask(caller, probe.method, probe.url(id), probe.payload?.(id));
            answers.set(real.answer, (answers.get(real.answer) ?? 0) + 1);
            if (real.answer !== expected) problems.push(`[${kind.plural}] ${real.request} → ${real.answer} (expected ${expected})`);
            if (probe.empty && real.answer === '200 -' && (real.response.json().data as unknown[]).length > 0) problems.push(`[${kind.plural}] ${real.request} → rows of another workspace`);
            const reported = probe.emptyReport === 'valuation' ? (real.response.json().data.locations as unknown[]).length : probe.emptyReport === 'csv' ? real.response.body.trim().split('\r\n').length - 1 : 0;
            if (real.answer === '200 -' && reported > 0) problems.push(`[${kind.plural}] ${real.request} → a report of another workspace's stock`);
            if (beyond.includes(id)) continue;
            const ghost = await ask(caller, probe.method, probe.url(ghostId), probe.payload?.(ghostId));
            if (ghost.answer !== real.answer) problems.push(`[${kind.plural}] ${real.request} → ${real.answer}, but ${ghost.request} → ${ghost.answer}`);
          }
        }
      }
    }
    console.log(`[isolation-fuzz] location, catalogue and stock sweep: ${sentHere} requests; ${[...answers].map(([answer, n]) => `${answer}×${n}`).join(', ')}`);
    expect(problems).toEqual([]);
    expect(await Promise.all(watched.map(table))).toEqual(tablesBefore);
    const after = await snapshotTenant(t, v.tenantId);
    for (const [name, snapshot] of before.tables) expect({ table: name, rows: after.tables.get(name)?.json }).toEqual({ table: name, rows: snapshot.json });
  });

  it("answers the member-access routes (issue 16) about every victim user as about one that exists nowhere, lists no victim workspace, and changes nothing", async () => {
    const a = fixtures.attacker;
    const v = fixtures.victim;
    const before = await snapshotTenant(t, v.tenantId);
    const victim = await idsOfTenant(t, v.tenantId);
    const [group] = a.groups;
    const key = { authorization: `Bearer ${a.apiKey.secret}` };
    // Callers that hold members:view and members:manage where they stand, so only the target can refuse them.
    const callers = [
      { name: 'owner in Main Branch', headers: { ...a.owner.auth, 'x-workspace-id': String(a.workspaces[0]) } },
      { name: 'owner acting as Corner Shop', headers: { ...a.owner.auth, 'x-as-workspace': String(group.sub) } },
      { name: 'API key of Main Branch', headers: key },
      { name: 'API key acting as Corner Shop', headers: { ...key, 'x-as-workspace': String(group.sub) } },
      { name: 'second user in its own Corner Shop', headers: { ...a.second.auth, 'x-workspace-id': String(group.sub) } },
    ];
    const ops = [
      { method: 'GET' as const, path: (id: number | string) => `/api/v1/members/${id}/permissions` },
      { method: 'PUT' as const, path: (id: number | string) => `/api/v1/members/${id}/permissions`, payload: { grant: ['members:view'], revoke: ['audit:view'] } },
      { method: 'PUT' as const, path: (id: number | string) => `/api/v1/members/${id}/permissions`, payload: {} },
      { method: 'GET' as const, path: (id: number | string) => `/api/v1/members/${id}/effective-permissions` },
    ];
    const ghost = GHOST_BASE + 11;
    const answers: string[] = [];
    const answerOf = async (method: 'GET' | 'PUT', url: string, headers: Record<string, string>, payload?: object) => {
      const response = await t.request({ method, url, headers, ...(payload === undefined ? {} : { payload }) });
      expect(response.body.toLowerCase()).not.toContain(CANARY_PREFIX.toLowerCase());
      return `${response.statusCode} ${codeOf(response.body)}`;
    };
    const codeOf = (body: string) => {
      try {
        return (JSON.parse(body) as { error?: { code?: string } }).error?.code ?? '-';
      } catch {
        return '?';
      }
    };
    for (const caller of callers) {
      for (const op of ops) {
        const missing = await answerOf(op.method, op.path(ghost), caller.headers, op.payload);
        expect(`${caller.name} ${op.method} ${op.path('{ghost}')} → ${missing}`).toBe(`${caller.name} ${op.method} ${op.path('{ghost}')} → 404 MEMBER.NOT_FOUND`);
        for (const userId of victim.users) {
          answers.push(`${caller.name} ${op.method} ${op.path(userId)} → ${await answerOf(op.method, op.path(userId), caller.headers, op.payload)}`);
        }
      }
      // A victim workspace in the context headers, about the caller's own user: the workspace is no more there than a missing one.
      for (const op of ops) {
        for (const target of victim.workspaces.slice(0, 2)) {
          for (const header of ['x-workspace-id', 'x-as-workspace']) {
            const headers = { ...caller.headers, [header]: String(target) };
            delete (headers as Record<string, string>)[header === 'x-workspace-id' ? 'x-as-workspace' : 'x-workspace-id'];
            const own = caller.name.startsWith('second') ? a.second.userId : a.owner.userId;
            const answer = await answerOf(op.method, op.path(own), headers, op.payload);
            const ghostAnswer = await answerOf(op.method, op.path(own), { ...headers, [header]: String(ghost) }, op.payload);
            answers.push(`${caller.name} ${header}=victim ${op.method} ${op.path('{own}')} → ${answer} (missing: ${ghostAnswer})`);
            expect(answer).toBe(ghostAnswer);
          }
        }
      }
    }
    expect(answers.filter((answer) => !/→ 404 (MEMBER|WORKSPACE)\.NOT_FOUND/.test(answer))).toEqual([]);

    // "Where": no victim workspace, whatever is asked, for any attacker user (the key is refused).
    const victimIds = new Set(victim.workspaces);
    // The attacker's tenant's workspaces now (the fuzz above may have created some).
    const attackerWorkspaces = (await t.db.selectFrom('workspaces').select('id').where('tenant_id', '=', a.tenantId).execute()).map((w) => w.id);
    for (const session of [a.owner, a.second, a.rival]) {
      for (const permission of WHERE_PERMISSIONS) {
        const response = await t.request({ method: 'GET', url: `/api/v1/me/workspaces?can=${permission}&limit=100`, headers: session.auth });
        expect(response.statusCode, response.body).toBe(200);
        expect(response.body.toLowerCase()).not.toContain(CANARY_PREFIX.toLowerCase());
        const ids: number[] = response.json().data.map((item: { id: number }) => item.id);
        expect(ids.filter((id) => victimIds.has(id))).toEqual([]);
        expect(ids.filter((id) => !attackerWorkspaces.includes(id))).toEqual([]);
      }
    }
    // The oracle sees a listing: the attacker owner, a tenant owner, reads every workspace of its tenant.
    const own = await t.request({ method: 'GET', url: '/api/v1/me/workspaces?can=members:view&limit=100', headers: a.owner.auth });
    expect(own.json().data.map((item: { id: number }) => item.id).sort((x: number, y: number) => x - y)).toEqual([...attackerWorkspaces].sort((x, y) => x - y));
    expect(a.workspaces.every((id) => attackerWorkspaces.includes(id))).toBe(true);
    const byKey = await t.request({ method: 'GET', url: '/api/v1/me/workspaces?can=members:view', headers: key });
    expect(byKey.statusCode).toBe(403);

    // The victim's overrides are as seeded, and every victim row is as it was.
    const victimView = await t.request({
      method: 'GET',
      url: `/api/v1/members/${v.second.userId}/permissions`,
      headers: { ...v.owner.auth, 'x-tenant': VICTIM_TENANT, 'x-workspace-id': String(v.workspaces[1]) },
    });
    expect(victimView.statusCode, victimView.body).toBe(200);
    expect({ grant: victimView.json().data.grant, revoke: victimView.json().data.revoke }).toEqual({ grant: ['invitations:view'], revoke: ['audit:view'] });
    const after = await snapshotTenant(t, v.tenantId);
    for (const [name, snapshot] of before.tables) expect({ table: name, rows: after.tables.get(name)?.json }).toEqual({ table: name, rows: snapshot.json });
  });

  it(
    'answers forged list cursors past the id range with 422 (or an empty page), never 500',
    async () => {
      const openapi = (await t.request({ method: 'GET', url: '/openapi.json' })).json();
      const lists = operationsOf(openapi).filter((op) => op.method === 'GET' && op.fields.some((f) => f.special === 'cursor'));
      expect(lists.length).toBeGreaterThan(3);
      const home = await t.db.selectFrom('workspaces').select(['id', 'biz_id']).where('id', '=', fixtures.attacker.workspaces[0] as number).executeTakeFirstOrThrow();
      const answers: string[] = [];
      for (const op of lists) {
        // A list under a path workspace (seed 003's roles) lists the attacker's own.
        let path = op.path;
        for (const field of op.fields) if (field.where === 'path') path = path.replace(`{${field.name}}`, field.kind === 'biz' ? home.biz_id : String(home.id));
        for (const id of [MAX_INT4 + 1, '9999999999999999']) {
          // "Where" needs its permission to reach the cursor at all.
          const can = op.fields.some((f) => f.special === 'permission') ? '&can=members:view' : '';
          const url = `${path}?cursor=${cursorOf(id)}${can}`;
          const response = await t.request({
            method: 'GET',
            url,
            headers: {
              ...fixtures.attacker.owner.auth,
              'x-workspace-id': String(fixtures.attacker.workspaces[0]),
              'x-portal-access-code': fixtures.attacker.portalCode,
            },
          });
          answers.push(`${url} (after:${id}) → ${response.statusCode}`);
        }
      }
      expect(answers.filter((answer) => !/→ (200|422)$/.test(answer))).toEqual([]);
    },
  );

  it("answers a member restricted to one location (or to none) about every other location, of its workspace or any other, exactly as about one that exists nowhere, lists none of them, and changes nothing", async () => {
    const started = Date.now();
    const a = fixtures.attacker;
    const v = fixtures.victim;
    const forbiddenCanaries: string[] = [];
    /** Free text of the locations the restricted members may not see, and of the stock moved there. */
    const hidden = (base: string) => {
      const value = `${FORBIDDEN_CANARY_PREFIX}${randomBytes(6).toString('hex')}`;
      forbiddenCanaries.push(value);
      return `${base} ${value}`;
    };

    // A workspace of the attacker's tenant, Stock Room: its default location (renamed) and three
    // more hold stock, received, adjusted and moved between them, all text carrying a canary; the
    // Shop floor holds stock too, without one. Two members with every record permission (admin):
    // one restricted to the Shop floor (and the API key it makes), one restricted to none.
    const owner = a.owner;
    const room = (await call(t, 'attacker', owner, 'POST', '/api/v1/workspaces', { name: 'Stock Room', slug: 'stock-room' })).data.id as number;
    const inRoom = { 'x-workspace-id': String(room) };
    const asOwner = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: Record<string, unknown>) =>
      call(t, 'attacker', owner, method, url, payload, inRoom);
    const inventory = (await asOwner('GET', `/api/v1/workspaces/${room}`)).data.default_location_id as number;
    await asOwner('PATCH', `/api/v1/locations/${inventory}`, { name: hidden('Inventory'), address: hidden('9 Hidden Lane') });
    const newLocation = async (name: string, type: string, address: string) => (await asOwner('POST', '/api/v1/locations', { name, type, address })).data.id as number;
    const shop = await newLocation('Shop floor', 'site', '1 Open Street');
    const back = await newLocation(hidden('Back store'), 'warehouse', hidden('2 Back Street'));
    const van = await newLocation(hidden('Van'), 'van', hidden('Parked at'));
    const cellar = await newLocation(hidden('Cellar'), 'other', hidden('3 Down Stairs'));
    const roomLocations = [inventory, shop, back, van, cellar];
    const widget = (await asOwner('POST', '/api/v1/items', { sku: 'ROOM-1', name: 'Widget', unit_cost: '2.50' })).data.id as number;
    const gadget = (await asOwner('POST', '/api/v1/items', { sku: 'ROOM-2', name: 'Gadget', unit_cost: '4.00' })).data.id as number;
    const reasonAt = (location: number, base: string) => (location === shop ? base : hidden(base));
    for (const location of roomLocations) {
      for (const item of [widget, gadget]) await asOwner('POST', '/api/v1/stock/receipts', { item_id: item, location_id: location, quantity: '10', reason: reasonAt(location, 'Opening count') });
      await asOwner('POST', '/api/v1/stock/adjustments', { item_id: widget, location_id: location, quantity_change: '-1', reason: reasonAt(location, 'Broken') });
    }
    // Between hidden locations (text with canaries), and into and out of the Shop floor (whose legs
    // there it may see, the reason included: those carry none).
    const transfers: Array<[number, number, number, string]> = [
      [widget, back, van, hidden('Van round')],
      [gadget, inventory, cellar, hidden('To the cellar')],
      [widget, back, shop, 'Restock'],
      [gadget, shop, van, 'Out on the van'],
    ];
    for (const [item, from, to, reason] of transfers) await asOwner('POST', '/api/v1/stock/transfers', { item_id: item, from_location_id: from, to_location_id: to, quantity: '2', reason });
    // Invoices drawn at each live location, issued with an NCF (notes carry a canary where hidden);
    // those at hidden locations voided (so the month's 608 has rows a restricted member may not see),
    // and a draft at the Shop floor for the routes that name an invoice.
    await asOwner('POST', '/api/v1/ncf-sequences', { document_type: 'B02', range_start: 1, range_end: 100, authorization_number: 'ROOM', authorized_on: '2026-01-02' });
    const invoiceAt = async (location: number) =>
      (await asOwner('POST', '/api/v1/invoices', { location_id: location, document_subtype: 'B02', notes: reasonAt(location, 'Invoice note'), lines: [{ item_id: widget, quantity: '1' }] })).data.id as number;
    for (const location of [inventory, shop, back, van]) {
      const id = await invoiceAt(location);
      await asOwner('POST', `/api/v1/invoices/${id}/issue`);
      if (location !== shop) await asOwner('POST', `/api/v1/invoices/${id}/void`, { reason: '04', note: hidden('Voided') });
    }
    const shopDraft = await invoiceAt(shop);
    // A quotation names no location; converting it names the draft's.
    const roomQuotation = (await asOwner('POST', '/api/v1/quotations', { lines: [{ item_id: widget, quantity: '1' }] })).data.id as number;
    await asOwner('PATCH', `/api/v1/locations/${cellar}`, { archived: true });
    // The workspace's transfer default and invoice source are hidden locations: a transfer that
    // leaves out from_location_id names one.
    await asOwner('PATCH', `/api/v1/workspaces/${room}/settings`, { default_transfer_from_location_id: back, default_invoice_source_location_id: van });
    const member = async (name: string, email: string) => {
      const session = await register(t, { name, email, password: PASSWORDS.attacker });
      const invited = await asOwner('POST', '/api/v1/invitations', { email, role: 'admin' });
      await call(t, 'attacker', session, 'POST', '/api/v1/invitations/accept', { token: invited.data.token });
      return session;
    };
    const lena = await member('Lena Located', 'lena.located@example.com');
    const nora = await member('Nora Nowhere', 'nora.nowhere@example.com');
    const keyScopes = ['workspaces:view', 'locations:view', 'locations:create', 'locations:edit', 'locations:delete', 'stock:view', 'stock:create', 'stock:edit', 'products:view', 'settings:edit', 'members:view', 'members:manage', 'invoices:view', 'invoices:create', 'invoices:edit', 'invoices:issue'];
    const lenaKeyRow = (await call(t, 'attacker', lena, 'POST', '/api/v1/api-keys', { name: 'Lena key', scopes: keyScopes }, inRoom)).data as { id: number; secret: string };
    const lenaKey = lenaKeyRow.secret;
    for (const [who, locationIds] of [[lena, [shop]], [nora, []]] as const) {
      const set = await asOwner('PUT', `/api/v1/members/${who.userId}/locations`, { restricted: true, location_ids: [...locationIds] });
      expect(set.data).toMatchObject({ restricted: true, location_ids: locationIds, lifted_by: null });
    }

    const openapi = inlineRefs((await t.request({ method: 'GET', url: '/openapi.json' })).json());
    const operations = operationsOf(openapi);
    const queryNames = (op: Operation) =>
      new Set(((openapi.paths[op.path]?.[op.method.toLowerCase()]?.parameters ?? []) as Array<{ in: string; name: string }>).filter((p) => p.in === 'query').map((p) => p.name));
    // Every route naming a location (in its path, query or body), and every list and report of locations and stock.
    // The audit log is swept apart below: its events name the locations they are about.
    const bound = operations.filter((op) => op.fields.some((field) => field.kind === 'location'));
    const lists = operations.filter((op) => op.method === 'GET' && /^\/api\/v1\/(locations|stock|invoices)\b/.test(op.path) && !op.fields.some((field) => field.where === 'path'));
    expect(bound.map((op) => op.key).sort()).toEqual(
      expect.arrayContaining([
        'DELETE /api/v1/locations/{id}',
        'GET /api/v1/locations/{id}',
        'GET /api/v1/stock',
        'GET /api/v1/stock/export.csv',
        'GET /api/v1/stock/movements',
        'GET /api/v1/stock/valuation',
        'PATCH /api/v1/locations/{id}',
        'PATCH /api/v1/workspaces/{id}/settings',
        'POST /api/v1/stock/adjustments',
        'POST /api/v1/stock/receipts',
        'POST /api/v1/stock/transfers',
      ]),
    );
    expect(lists.map((op) => op.path).sort()).toEqual(['/api/v1/invoices', '/api/v1/locations', '/api/v1/stock', '/api/v1/stock/export.csv', '/api/v1/stock/movements', '/api/v1/stock/valuation']);

    // `target`: a member whose locations the caller may try to narrow, and what that answers whatever the list names.
    const callers = [
      { name: 'member restricted to the Shop floor', headers: { ...lena.auth, ...inRoom }, allowed: [shop], readsAudit: true, target: { member: nora, answer: '422 VALIDATION.FAILED ["location_ids"]' } },
      // A key holds only its scopes, fewer than the member it would change: refused before the list is read.
      { name: "that member's API key", headers: { authorization: `Bearer ${lenaKey}` }, allowed: [shop], readsAudit: false, target: { member: nora, answer: '403 AUTH.FORBIDDEN ["permission"]' } },
      // Restricted to none, it may not narrow one who works where it does not (location_outside_your_access).
      { name: 'member restricted to no location', headers: { ...nora.auth, ...inRoom }, allowed: [] as number[], readsAudit: true, target: { member: lena, answer: '403 AUTH.FORBIDDEN ["reason"]' } },
    ];
    // Every other location: the Stock Room's (its default, the archived one), and some of other
    // workspaces of both tenants (the sweep above sends every one of those from unrestricted callers).
    const elsewhere = [
      ...(await idsOfTenant(t, a.tenantId)).locations.filter((id) => !roomLocations.includes(id)).slice(0, 3),
      ...(await idsOfTenant(t, v.tenantId)).locations.slice(0, 3),
    ];
    const ghostId = GHOST_BASE + 700;
    const codeOf = (body: string) => {
      try {
        return (JSON.parse(body) as { error?: { code?: string } }).error?.code ?? '-';
      } catch {
        return '?';
      }
    };
    /** The numeric values of every `*location_id` in a JSON body (and, in a list of locations, their ids). */
    const locationIdsIn = (value: unknown, locationList: boolean, out: number[] = []): number[] => {
      if (Array.isArray(value)) for (const item of value) locationIdsIn(item, locationList, out);
      else if (value !== null && typeof value === 'object') {
        for (const [key, item] of Object.entries(value)) {
          if (/location_id$/.test(key) && (typeof item === 'number' || (typeof item === 'string' && /^\d+$/.test(item)))) out.push(Number(item));
          else if (key === 'id' && locationList && typeof item === 'number') out.push(item);
          else locationIdsIn(item, locationList, out);
        }
      }
      return out;
    };
    /** The location ids a list or report shows: its rows', or the export's first column. */
    const shownLocations = (path: string, body: string): number[] =>
      path.endsWith('.csv')
        ? body.trim().split('\r\n').slice(1).filter(Boolean).map((line) => Number(line.split(',')[0]))
        : locationIdsIn(JSON.parse(body).data, path === '/api/v1/locations');

    const problems: string[] = [];
    const answers = new Map<string, number>();
    let sentHere = 0;
    type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
    const ask = async (caller: { name: string; headers: Record<string, string>; allowed: number[] }, method: Method, url: string, payload?: object) => {
      const response = await t.request({ method, url, headers: caller.headers, ...(payload === undefined ? {} : { payload }) });
      sentHere += 1;
      const request = `${caller.name}: ${method} ${url}${payload === undefined ? '' : ` ${JSON.stringify(payload)}`}`;
      const raw = `${response.body}\n${JSON.stringify(response.headers)}`.toLowerCase();
      if (!ALLOWED_STATUSES.has(response.statusCode)) problems.push(`[status] ${request} → ${response.statusCode} ${response.body.slice(0, 200)}`);
      for (const prefix of [FORBIDDEN_CANARY_PREFIX, CANARY_PREFIX, RIVAL_CANARY_PREFIX]) {
        if (raw.includes(prefix.toLowerCase())) problems.push(`[canary] ${request} → ${response.statusCode} ${response.body.slice(0, 300)}`);
      }
      let details: Record<string, unknown> = {};
      let parsed: unknown;
      try {
        parsed = JSON.parse(response.body);
        details = (parsed as { error?: { details?: Record<string, unknown> } }).error?.details ?? {};
      } catch {
        // the export is CSV
      }
      if (parsed !== undefined && response.statusCode < 300) {
        const listed = locationIdsIn((parsed as { data?: unknown }).data, /^\/api\/v1\/locations\b/.test(url)).filter((id) => !caller.allowed.includes(id));
        if (listed.length > 0) problems.push(`[shown] ${request} → ${response.statusCode} names location(s) ${listed.join(', ')}`);
      }
      const answer = response.statusCode < 400 ? `${response.statusCode} -` : `${response.statusCode} ${codeOf(response.body)} ${JSON.stringify(Object.keys(details).sort())}`;
      answers.set(answer.replace(/ \[.*$/, ''), (answers.get(answer.replace(/ \[.*$/, '')) ?? 0) + 1);
      return { response, request, answer, details };
    };

    // The owner sees it all (so would the oracles, were it shown). Its reads also fill the page
    // caches of the lists the members read next, under the owner's (unrestricted) access.
    const listUrls = (op: Operation): string[] => {
      const names = queryNames(op);
      const limit = names.has('limit') ? 'limit=100' : '';
      const join = (...parts: string[]) => `${op.path}${parts.some(Boolean) ? `?${parts.filter(Boolean).join('&')}` : ''}`;
      return [
        join(limit),
        ...(names.has('archived') ? [join(limit, 'archived=true')] : []),
        ...(names.has('item_id') ? [widget, gadget].map((item) => join(limit, `item_id=${item}`)) : []),
        ...(names.has('location_id') ? [shop, inventory, back].map((location) => join(limit, `location_id=${location}`)) : []),
      ];
    };
    const ownerView: string[] = [];
    const ownerCaller = { name: 'owner', headers: { ...owner.auth, ...inRoom }, allowed: roomLocations };
    for (const op of lists) {
      for (const url of listUrls(op)) {
        const response = await t.request({ method: 'GET', url, headers: ownerCaller.headers });
        expect(response.statusCode, `${url} ${response.body}`).toBe(200);
        ownerView.push(response.body);
      }
    }
    const ownerReport = await t.request({ method: 'GET', url: '/api/v1/ncf-reports/608.csv', headers: ownerCaller.headers });
    expect(ownerReport.body.trim().split('\r\n')).toHaveLength(4);
    const seen = ownerView.join('\n').toLowerCase();
    expect(forbiddenCanaries.filter((value) => !seen.includes(value.toLowerCase()))).toEqual([]);
    // The owner's unfiltered levels are at every location of the Stock Room, the archived one too.
    const ownerLevels = await t.request({ method: 'GET', url: '/api/v1/stock?limit=100', headers: ownerCaller.headers });
    expect([...new Set(shownLocations('/api/v1/stock', ownerLevels.body))].sort((x, y) => x - y)).toEqual([...roomLocations].sort((x, y) => x - y));

    // Keys' uses are kept in memory and written every 30 s, so a use from before the sweep can
    // land during it. The clock moves on first: a use stamped by the sweep is later than this.
    const lastUseBeforeSweep = t.clock.now().toISOString();
    t.clock.advance(1);
    const beforeAttacker = await snapshotTenant(t, a.tenantId);
    const beforeVictim = await snapshotTenant(t, v.tenantId);
    // The snapshot holds what a leaked change would touch: the hidden locations, their stock and ledger, the restrictions, the settings, the audit trail.
    for (const name of ['locations', 'stock_levels', 'stock_movements', 'member_location_restrictions', 'member_locations', 'workspace_settings', 'audit_events', 'api_keys']) {
      expect({ table: name, rows: (beforeAttacker.tables.get(name)?.rows ?? 0) > 0 }).toEqual({ table: name, rows: true });
    }

    for (const caller of callers) {
      const here = caller.allowed[0] ?? shop;
      const forbidden = [...roomLocations.filter((id) => !caller.allowed.includes(id)), ...elsewhere];
      // Lists and reports: only the caller's own location, whatever they are filtered by.
      for (const op of lists) {
        for (const url of listUrls(op)) {
          const { response, request, answer } = await ask(caller, 'GET', url);
          if (answer !== '200 -') {
            problems.push(`[list] ${request} → ${answer}`);
            continue;
          }
          const shown = shownLocations(op.path, response.body);
          if (shown.some((id) => !caller.allowed.includes(id))) problems.push(`[list] ${request} → location(s) ${shown.join(', ')}`);
          // Not vacuous: the restricted member's unfiltered lists (and the item's levels) show its location.
          const filteredElsewhere = /archived=true/.test(url) || (/location_id=/.test(url) && !url.endsWith(`location_id=${here}`));
          const expectsRows = caller.allowed.length > 0 && !filteredElsewhere;
          if (expectsRows && !shown.includes(here)) problems.push(`[list] ${request} → none of its own location (${shown.join(', ')})`);
          if (op.path.endsWith('/valuation') && caller.allowed.length === 0 && JSON.parse(response.body).data.total.quantity !== '0') problems.push(`[list] ${request} → a total of stock it cannot see`);
        }
      }
      // The audit log shows only events whose every location is the caller's (a key holds no audit:view).
      if (caller.readsAudit) {
        const audit = await ask(caller, 'GET', '/api/v1/audit-events?limit=100');
        if (audit.answer !== '200 -') problems.push(`[audit] ${audit.request} → ${audit.answer}`);
        // Not vacuous: a member restricted to the Shop floor sees its receipts there.
        const actions = audit.answer === '200 -' ? (JSON.parse(audit.response.body).data as Array<{ action: string }>).map((event) => event.action) : [];
        if (caller.allowed.length > 0 && !actions.includes('stock.received')) problems.push(`[audit] ${audit.request} → not even its own location's receipts`);
      }
      // Its own location reads (or, restricted to none, answers as missing).
      const own = await ask(caller, 'GET', `/api/v1/locations/${shop}`);
      if (own.answer !== (caller.allowed.includes(shop) ? '200 -' : '404 LOCATION.NOT_FOUND []')) problems.push(`[own] ${own.request} → ${own.answer}`);

      // Every route naming a location, with each other location and with one that exists nowhere.
      type Probe = { name: string; method: Method; url: (x: number) => string; payload?: (x: number) => object; expected: string };
      const probes: Probe[] = [];
      for (const op of bound) {
        for (const field of op.fields.filter((f) => f.kind === 'location')) {
          const url = (x: number) => {
            let path = op.path;
            for (const f of op.fields.filter((g) => g.where === 'path')) {
              const documentId = f.name === 'id' ? (op.path.startsWith('/api/v1/invoices/{id}') ? shopDraft : op.path.startsWith('/api/v1/quotations/{id}') ? roomQuotation : undefined) : undefined;
              const value = f === field ? x : f.kind === 'workspace' || f.kind === 'slug' ? room : documentId;
              if (value === undefined) throw new Error(`no value for ${op.key} {${f.name}}`);
              path = path.replace(`{${f.name}}`, String(value));
            }
            return field.where === 'query' ? `${path}?${field.name}=${x}` : path;
          };
          const stringTyped = (f: Field) => f.schema.type === 'string' || (f.schema.anyOf ?? []).some((branch) => branch.type === 'string');
          const bodyFor = (edit?: Record<string, unknown>) => (x: number) => {
            const body = { ...(sampleOf(op.bodySchema ?? {}) as Record<string, unknown>), ...edit };
            const properties = op.bodySchema?.properties ?? {};
            const known: Record<string, unknown> = { item_id: widget, quantity: '1', quantity_change: '1', reason: 'Sweep', lines: [{ item_id: widget, quantity: '1' }] };
            for (const [name, value] of Object.entries(known)) if (name in properties) body[name] = value;
            // Any other location field names the caller's own (or, should that be the one asked about, another).
            const other = x === here ? (roomLocations.find((id) => id !== x) as number) : here;
            for (const f of op.fields.filter((g) => g.where === 'body' && g.kind === 'location')) {
              const value = f === field ? x : other;
              body[f.name] = stringTyped(f) ? String(value) : value;
            }
            return body;
          };
          // A body naming one answers 422 naming the field (restricted to none, every location field of the body: the caller's "own" is hidden too).
          const named = caller.allowed.length > 0 ? [field.name] : op.fields.filter((f) => f.where === 'body' && f.kind === 'location').map((f) => f.name).sort();
          // The Shop floor's draft invoice is hidden from a member restricted to none: it answers as missing first.
          const hiddenInvoice = op.path.startsWith('/api/v1/invoices/{id}') && caller.allowed.length === 0;
          const expected = field.where === 'path' ? '404 LOCATION.NOT_FOUND []' : field.where === 'query' ? '200 -' : hiddenInvoice ? '404 INVOICE.NOT_FOUND []' : `422 VALIDATION.FAILED ${JSON.stringify(named)}`;
          const edits: Array<Record<string, unknown> | undefined> =
            op.method === 'PATCH' && field.where === 'path' ? [{ name: 'Renamed by the sweep' }, { address: null }, { archived: true }, { archived: false }] : [undefined];
          for (const edit of edits) {
            probes.push({ name: `${op.key} ${field.where}:${field.name}`, method: op.method as Method, url, ...(op.bodySchema ? { payload: bodyFor(edit) } : {}), expected });
          }
        }
      }
      // The member-access route takes a list of them: narrowing another restricted member to one.
      probes.push({
        name: 'PUT /api/v1/members/{user_id}/locations body:location_ids',
        method: 'PUT',
        url: () => `/api/v1/members/${caller.target.member.userId}/locations`,
        payload: (x) => ({ restricted: true, location_ids: [x] }),
        expected: caller.target.answer,
      });
      for (const probe of probes) {
        const ghost = await ask(caller, probe.method, probe.url(ghostId), probe.payload?.(ghostId));
        if (ghost.answer !== probe.expected) problems.push(`[missing] ${ghost.request} → ${ghost.answer} (expected ${probe.expected})`);
        for (const x of forbidden) {
          const real = await ask(caller, probe.method, probe.url(x), probe.payload?.(x));
          if (real.answer !== ghost.answer) problems.push(`[enumeration] ${real.request} → ${real.answer}, but ${ghost.request} → ${ghost.answer}`);
          if (probe.expected === '200 -' && real.answer === '200 -' && shownLocations(probe.url(x).split('?')[0] as string, real.response.body).length > 0) {
            problems.push(`[list] ${real.request} → rows of a location it may not see`);
          }
        }
      }
      // The month's 608 lists the NCFs voided at the caller's locations: none (the owner's has three).
      const report = await ask(caller, 'GET', '/api/v1/ncf-reports/608.csv');
      const reported = report.response.body.trim().split('\r\n').slice(1).filter(Boolean);
      if (report.answer !== '200 -' || reported.length > 0) problems.push(`[608] ${report.request} → ${report.answer} ${reported.join(' | ')}`);
      // A draft that leaves out its location takes the workspace's invoice source, a hidden location.
      const drafted = await ask(caller, 'POST', '/api/v1/invoices', { lines: [{ item_id: widget, quantity: '1' }] });
      if (drafted.answer !== '422 VALIDATION.FAILED ["location_id"]') problems.push(`[default] ${drafted.request} → ${drafted.answer}`);
      // A transfer that leaves out where it comes from takes the workspace's default, a hidden location.
      const defaulted = await ask(caller, 'POST', '/api/v1/stock/transfers', { item_id: widget, to_location_id: here, quantity: '1' });
      const defaultedExpected = `422 VALIDATION.FAILED ${JSON.stringify(caller.allowed.length > 0 ? ['from_location_id'] : ['from_location_id', 'to_location_id'])}`;
      if (defaulted.answer !== defaultedExpected) problems.push(`[default] ${defaulted.request} → ${defaulted.answer} (expected ${defaultedExpected})`);
      // It creates no location (it could not see it).
      const created = await ask(caller, 'POST', '/api/v1/locations', { name: 'Made by the sweep', type: 'site' });
      if (created.answer !== '403 AUTH.FORBIDDEN ["reason"]' || created.details.reason !== 'restricted_to_locations') problems.push(`[create] ${created.request} → ${created.answer} ${JSON.stringify(created.details)}`);
    }

    const afterAttacker = await snapshotTenant(t, a.tenantId);
    const afterVictim = await snapshotTenant(t, v.tenantId);
    // All the sweep may change is when the member's key was last used; any other key's last use must be from before it.
    const unused = (name: string, json: string | undefined) =>
      name === 'api_keys' && json !== undefined
        ? JSON.stringify(
            (JSON.parse(json) as Array<{ id: number; last_used_at: string | null }>).map((row) =>
              row.id === lenaKeyRow.id || (row.last_used_at !== null && row.last_used_at <= lastUseBeforeSweep) ? { ...row, last_used_at: null } : row,
            ),
          )
        : json;
    const durationMs = Date.now() - started;
    console.log(
      `[isolation-fuzz] restricted-member sweep (engine=${currentEngine()}): ${sentHere} requests in ${durationMs}ms; ${[...answers].map(([answer, n]) => `${answer}×${n}`).join(', ')}`,
    );
    expect(problems).toEqual([]);
    expect([...afterAttacker.tables.keys()]).toEqual([...beforeAttacker.tables.keys()]);
    for (const [name, snapshot] of beforeAttacker.tables) {
      expect({ table: name, rows: unused(name, afterAttacker.tables.get(name)?.json) }).toEqual({ table: name, rows: unused(name, snapshot.json) });
    }
    for (const [name, snapshot] of beforeVictim.tables) {
      expect({ table: name, rows: unused(name, afterVictim.tables.get(name)?.json) }).toEqual({ table: name, rows: unused(name, snapshot.json) });
    }
  });
});
