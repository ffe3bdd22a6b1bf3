/**
 * The per-process read caches never change an answer: resolved request contexts and pages
 * of GET /api/v1/workspaces and GET /api/v1/members (src/core/cache/versioned-cache.ts, at
 * the tenant's, workspaces' and users' data versions), and pages of a workspace's records,
 * GET /api/v1/items and GET /api/v1/stock (src/core/cache/record-pages.ts, at the workspace's
 * `items` and `stock` record versions, per location access and query).
 *
 * Two in-process apps share one database, as two processes would: `cached` (the default
 * configuration) and `uncached` (CONTEXT_CACHE_ENTRIES=0, READ_CACHE_ENTRIES=0). fast-check
 * generates sequences of writes through real routes, each sent to either app; before and
 * after every write the same reads go to both apps, as every actor of the run, and must get
 * the same status and the same body byte for byte. The reads after one write are the warm
 * cache of the next, so an entry kept from before a write that should have retired it would
 * answer differently from the uncached app. Comparing the apps with each other needs no model
 * of the data, so every run may leave whatever it likes behind in the shared database.
 *
 * The records: two of a run's workspaces hold items (tagged, one archived), three locations
 * and stock at them, and a member restricted to one location; the writes create, change and
 * delete items and tags, move stock (receipts, adjustments, transfers, below zero where the
 * workspace allows it) and change members' location access, which lives in the request
 * context (the workspace's data version), not in the record versions.
 *
 * Seeded: PBT_SEED replays a run (unset, a new seed each run, printed); PBT_RUNS (default 25
 * runs of 4 to 8 writes).
 */
import fc from 'fast-check';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.ts';
import { invariantViolations } from '../support/invariants.ts';
import { runSeed } from '../support/seeds.ts';
import { VERSION_SHARDS } from '../../src/schema/data-versions.ts';
import {
  addMembership,
  createTenant,
  createWorkspace,
  register,
  signInAgain,
  startSecondApp,
  startTestApp,
  type SecondApp,
  type Session,
  type TestApp,
} from '../support/test-app.ts';

const seed = runSeed('read-cache');
const numRuns = Number(process.env.PBT_RUNS ?? 25);

type Via = 'cached' | 'uncached';
type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
type Headers = Record<string, string>;

let t: TestApp;
let uncached: SecondApp;
/** The tenant's first user, so its owner: never the target of a generated write, signed in afresh for every run. */
let rootAccount: Session;
let tenantId: number;

beforeAll(async () => {
  t = await startTestApp();
  uncached = await startSecondApp(t, { CONTEXT_CACHE_ENTRIES: '0', READ_CACHE_ENTRIES: '0' });
  rootAccount = await register(t, { name: 'Tenant Root' });
  tenantId = (await t.db.selectFrom('tenants').select('id').where('slug', '=', 'default').executeTakeFirstOrThrow()).id;
});
afterEach(async () => {
  expect(await invariantViolations(t.db)).toEqual({});
});
afterAll(async () => {
  await uncached?.close();
  await t?.close();
});

const appOf = (via: Via): App => (via === 'cached' ? t.app : uncached.app);
const ctx = (workspaceId: number): Headers => ({ 'x-workspace-id': String(workspaceId) });

function inject(via: Via, method: Method, url: string, headers: Headers, payload?: Record<string, unknown>) {
  const options: InjectOptions = { method, url, headers, ...(payload === undefined ? {} : { payload }) };
  return appOf(via).inject(options);
}

/** A set-up request that must succeed; its JSON body. */
async function must(method: Method, url: string, headers: Headers, payload?: Record<string, unknown>): Promise<any> {
  const response = await inject('cached', method, url, headers, payload);
  if (response.statusCode >= 300) throw new Error(`set-up ${method} ${url} → ${response.statusCode} ${response.body}`);
  return response.json();
}

/** The tenant's version shards (one on SQLite, several on PostgreSQL), by shard. */
async function versionShards(): Promise<Array<{ shard: number; version: number }>> {
  const rows = await t.db
    .selectFrom('tenant_data_versions')
    .select(['shard', 'version'])
    .where('tenant_id', '=', tenantId)
    .orderBy('shard')
    .execute();
  // A bigint on PostgreSQL, which the driver hands over as a number (src/core/db/dialect.ts) or a string.
  return rows.map((row) => ({ shard: row.shard, version: Number(row.version) }));
}

/** The tenant's data version: the sum of its shards. */
async function dataVersion(): Promise<number> {
  return (await versionShards()).reduce((sum, row) => sum + row.version, 0);
}

/** A workspace's record version of `scope` (migration 0018); the row exists once the scope changed. */
async function recordVersion(workspaceId: number, scope: 'items' | 'stock'): Promise<number> {
  const row = await t.db
    .selectFrom('workspace_record_versions')
    .select('version')
    .where('workspace_id', '=', workspaceId)
    .where('scope', '=', scope)
    .executeTakeFirstOrThrow();
  return Number(row.version);
}

/** Sets a record version behind the apps' backs: `before` to put it back, or one more than now. */
async function setRecordVersion(workspaceId: number, scope: 'items' | 'stock', version: number | 'next'): Promise<void> {
  await t.db
    .updateTable('workspace_record_versions')
    .set({ version: version === 'next' ? sql<number>`version + 1` : version })
    .where('workspace_id', '=', workspaceId)
    .where('scope', '=', scope)
    .execute();
}

const errorCode = (body: string) => /"code":"([A-Z_.]+)"/.exec(body)?.[1] ?? '';

// ---------------------------------------------------------------------------------------
// One run's world: three users in three workspaces, a custom role (carol's in Alpha), two API keys,
// and records in Alpha and Gamma

interface Actor {
  name: string;
  auth: Headers;
}

interface World {
  tag: string;
  /** carol, bob, alice: the targets of member and tenant-user writes (the likeliest to be manageable first). */
  targets: Session[];
  /** Who sends writes: alice, bob, carol, root and the long-lived API key. */
  writers: Actor[];
  root: Actor;
  /** Who created each workspace: the writer most likely to be allowed to change it. */
  creators: Map<number, Actor>;
  /** Who reads: the writers' sessions, both API keys, and a session signed out before the run. */
  readers: Actor[];
  signedOut: Actor;
  /** alice's Alpha and Beta, bob's Gamma, then whatever the run creates (up to MAX_WORKSPACES). */
  workspaces: number[];
  roleId: number;
  keys: Array<{ id: number; actor: Actor }>;
  /** Alpha's records, then Gamma's. */
  records: Records[];
}

/** A workspace's records: what record writes name (ids of any state: deleted ones are refused). */
interface Records {
  workspace: number;
  /** The default location, Shop and Van. */
  locations: [number, number, number];
  /** Apple and Banana (stocked), Cherry (no stock), Date (archived), then whatever the run creates. */
  items: number[];
  /** Red and Blue, then whatever the run creates. */
  tags: number[];
  /** The member restricted to Shop at the start: carol in Alpha (by the custom role), alice in Gamma (a member). */
  restricted: Session;
}

const MAX_WORKSPACES = 5;
const ADVANCE_MS = 4 * 60_000;
/** The short-lived key outlives one clock advance, not two; access tokens (15 minutes) outlive three. */
const SHORT_KEY_TTL_MS = 6 * 60_000;
const KEY_SCOPES = ['workspaces:view', 'members:view', 'members:manage', 'members:remove', 'roles:view', 'roles:manage', 'products:view', 'stock:view'];
/** What carol's custom role allows at first: enough to read records, nothing to write them. */
const CASHIER_PERMISSIONS = ['workspaces:view', 'members:view', 'roles:view', 'products:view', 'stock:view'];

let runs = 0;

async function setUpWorld(): Promise<World> {
  runs += 1;
  const tag = `R${runs}`;
  const root = await signInAgain(t, rootAccount);
  // Runs share the tenant: each starts from the same settings (a run may have limited owned workspaces).
  await must('PATCH', '/api/v1/tenant', root.auth, { max_owned_workspaces_per_user: null, default_locale: 'en' });
  const alice = await register(t, { name: `Alice ${tag}` });
  const bob = await register(t, { name: `Bob ${tag}` });
  const carol = await register(t, { name: `Carol ${tag}` });
  const alpha = await createWorkspace(t, alice, `${tag} Alpha`);
  const beta = await createWorkspace(t, alice, `${tag} Beta`);
  const gamma = await createWorkspace(t, bob, `${tag} Gamma`);
  await addMembership(t, alpha.id, bob.userId, 'admin');
  await addMembership(t, alpha.id, carol.userId, 'member');
  await addMembership(t, beta.id, carol.userId, 'viewer');
  await addMembership(t, gamma.id, alice.userId, 'member');
  const asAlice = { ...alice.auth, ...ctx(alpha.id) };
  const role = await must('POST', '/api/v1/roles', asAlice, {
    name: 'cashier',
    display_name: 'Cashier',
    permissions: CASHIER_PERMISSIONS,
  });
  // Someone holds the custom role from the start, so editing it changes what a kept context allows.
  await must('PUT', `/api/v1/members/${carol.userId}`, asAlice, { role: 'cashier' });
  const longKey = await must('POST', '/api/v1/api-keys', asAlice, { name: `${tag} integration`, scopes: KEY_SCOPES });
  const shortKey = await must('POST', '/api/v1/api-keys', asAlice, {
    name: `${tag} short`,
    scopes: ['workspaces:view', 'members:view'],
    expires_at: new Date(t.clock.now().getTime() + SHORT_KEY_TTL_MS).toISOString(),
  });
  const stale = await signInAgain(t, carol);
  await must('POST', '/api/v1/auth/logout', stale.auth);
  const records = [await setUpRecords(alpha.id, alice, carol), await setUpRecords(gamma.id, bob, alice)];

  const actor = (name: string, session: Session): Actor => ({ name, auth: session.auth });
  const keyActor: Actor = { name: 'key', auth: { authorization: `Bearer ${longKey.data.secret}` } };
  const shortKeyActor: Actor = { name: 'short-key', auth: { authorization: `Bearer ${shortKey.data.secret}` } };
  const keys = [
    { id: longKey.data.id as number, actor: keyActor },
    { id: shortKey.data.id as number, actor: shortKeyActor },
  ];
  const rootActor = actor('root', root);
  const aliceActor = actor('alice', alice);
  const bobActor = actor('bob', bob);
  const people = [aliceActor, bobActor, actor('carol', carol), rootActor];
  const signedOut = actor('carol-signed-out', stale);
  return {
    tag,
    targets: [carol, bob, alice],
    root: rootActor,
    writers: [...people, keyActor],
    creators: new Map([
      [alpha.id, aliceActor],
      [beta.id, aliceActor],
      [gamma.id, bobActor],
    ]),
    readers: [...people, keyActor, shortKeyActor, signedOut],
    signedOut,
    workspaces: [alpha.id, beta.id, gamma.id],
    roleId: role.data.id,
    keys,
    records,
  };
}

/**
 * Records in a workspace, set up by its owner: Shop and Van besides the default location,
 * tags Red and Blue, four items (one archived), stock of two of them at three places, and
 * `restricted` limited to Shop.
 */
async function setUpRecords(workspace: number, owner: Session, restricted: Session): Promise<Records> {
  const as = { ...owner.auth, ...ctx(workspace) };
  const id = async (url: string, payload: Record<string, unknown>): Promise<number> => (await must('POST', url, as, payload)).data.id;
  const inventory: number = (await must('GET', `/api/v1/workspaces/${workspace}`, owner.auth)).data.default_location_id;
  const shop = await id('/api/v1/locations', { name: 'Shop', type: 'site' });
  const van = await id('/api/v1/locations', { name: 'Van', type: 'van' });
  const red = await id('/api/v1/tags', { name: 'Red', color: '#cc0000' });
  const blue = await id('/api/v1/tags', { name: 'Blue' });
  const apple = await id('/api/v1/items', { sku: 'A-1', name: 'Apple', unit_cost: '0.40', tag_ids: [red] });
  const banana = await id('/api/v1/items', { sku: 'B-2', name: 'Banana', unit_cost: '0.25', sell_price: '0.60', tag_ids: [red, blue] });
  const cherry = await id('/api/v1/items', { sku: 'C-3', name: 'Cherry', barcode: '4006381333931', tag_ids: [blue] });
  const date = await id('/api/v1/items', { sku: 'D-4', name: 'Date', unit: 'kg' });
  await must('PATCH', `/api/v1/items/${date}`, as, { archived: true });
  for (const [item, location, quantity] of [[apple, inventory, '10'], [apple, shop, '4'], [banana, van, '6'], [banana, shop, '2.5']] as const) {
    await must('POST', '/api/v1/stock/receipts', as, { item_id: item, location_id: location, quantity });
  }
  await must('PUT', `/api/v1/members/${restricted.userId}/locations`, as, { restricted: true, location_ids: [shop] });
  return { workspace, locations: [inventory, shop, van], items: [apple, banana, cherry, date], tags: [red, blue], restricted };
}

// ---------------------------------------------------------------------------------------
// Reads, asked of both apps

interface Read {
  actor: Actor;
  url: string;
  headers: Headers;
  /** A list whose next page (if any) is read as well. */
  paged?: boolean;
}

function readsOf(world: World): Read[] {
  const [alpha, beta] = world.workspaces as [number, number];
  const read = (actor: Actor, url: string, headers: Headers = {}, paged = false): Read => ({ actor, url, headers, paged });
  const reads: Read[] = [];
  for (const actor of world.readers) {
    if (actor === world.signedOut) {
      reads.push(read(actor, '/api/v1/me'), read(actor, '/api/v1/workspaces'), read(actor, '/api/v1/members', ctx(alpha)));
    } else if (world.keys.some((key) => key.actor === actor)) {
      reads.push(
        read(actor, '/api/v1/me'),
        read(actor, '/api/v1/members'),
        read(actor, '/api/v1/members', ctx(alpha)),
        read(actor, '/api/v1/members', ctx(beta)),
        read(actor, '/api/v1/members?limit=2', {}, true),
        read(actor, '/api/v1/permissions/me'),
        read(actor, `/api/v1/workspaces/${alpha}`),
      );
    } else {
      reads.push(
        read(actor, '/api/v1/me'),
        read(actor, '/api/v1/workspaces'),
        read(actor, '/api/v1/workspaces?limit=1', {}, true),
        // The current workspace, whatever it is now.
        read(actor, '/api/v1/members'),
        read(actor, '/api/v1/permissions/me'),
        read(actor, '/api/v1/members?limit=2', ctx(alpha), true),
      );
      for (const workspace of world.workspaces) {
        reads.push(
          read(actor, '/api/v1/members', ctx(workspace)),
          read(actor, '/api/v1/permissions/me', ctx(workspace)),
          read(actor, `/api/v1/workspaces/${workspace}`),
        );
      }
    }
  }
  return [...reads, ...recordReadsOf(world)];
}

/**
 * Pages of items and stock levels in Alpha and Gamma: every query for the owner and the
 * member restricted at the start (whose access the run may change), fewer for the others.
 */
function recordReadsOf(world: World): Read[] {
  const actor = (name: string) => world.readers.find((reader) => reader.name === name) as Actor;
  const [alpha, gamma] = world.records as [Records, Records];
  // One page size per list, so two queries of an actor differ only in what they name.
  const queries = (records: Records) => {
    const [inventory, shop] = records.locations;
    const [apple] = records.items;
    const [, blue] = records.tags;
    return {
      items: { url: '/api/v1/items?limit=2', paged: true },
      search: { url: '/api/v1/items?limit=2&q=b', paged: false },
      tagged: { url: `/api/v1/items?limit=2&tag_id=${blue}`, paged: false },
      archived: { url: '/api/v1/items?limit=2&archived=true', paged: false },
      stock: { url: '/api/v1/stock?limit=3', paged: true },
      atShop: { url: `/api/v1/stock?limit=3&location_id=${shop}`, paged: false },
      atInventory: { url: `/api/v1/stock?limit=3&location_id=${inventory}`, paged: false },
      ofApple: { url: `/api/v1/stock?limit=3&item_id=${apple}`, paged: false },
    };
  };
  const reads: Read[] = [];
  const ask = (records: Records, who: string, names: Array<keyof ReturnType<typeof queries>>) => {
    const all = queries(records);
    for (const name of names) reads.push({ actor: actor(who), url: all[name].url, headers: ctx(records.workspace), paged: all[name].paged });
  };
  ask(alpha, 'alice', ['items', 'tagged', 'stock', 'ofApple']);
  ask(alpha, 'carol', ['items', 'search', 'archived', 'stock', 'atShop', 'atInventory']);
  ask(alpha, 'bob', ['stock']);
  ask(alpha, 'key', ['items']);
  ask(alpha, 'root', ['stock']);
  ask(gamma, 'bob', ['items', 'stock']);
  ask(gamma, 'alice', ['items', 'stock', 'atInventory']);
  return reads;
}

interface Answer {
  status: number;
  body: string;
}

async function answerOf(via: Via, read: Read, url: string): Promise<Answer> {
  const response = await inject(via, 'GET', url, { ...read.actor.auth, ...read.headers });
  return { status: response.statusCode, body: response.body };
}

/** One read from both apps in the given order (then its next page, if it is a list that has one). */
async function compare(read: Read, cachedFirst: boolean, history: readonly string[]): Promise<void> {
  const order: Via[] = cachedFirst ? ['cached', 'uncached'] : ['uncached', 'cached'];
  let url = read.url;
  for (let page = 1; page <= (read.paged ? 2 : 1); page += 1) {
    const answers: Partial<Record<Via, Answer>> = {};
    for (const via of order) answers[via] = await answerOf(via, read, url);
    const { cached, uncached: fresh } = answers as Record<Via, Answer>;
    if (cached.status !== fresh.status || cached.body !== fresh.body) {
      throw new Error(
        [
          `the cached app answered GET ${url} as ${read.actor.name} ${JSON.stringify(read.headers)} ` +
            `differently (asked ${cachedFirst ? 'before' : 'after'} the uncached app)`,
          `  cached:   ${cached.status} ${cached.body}`,
          `  uncached: ${fresh.status} ${fresh.body}`,
          'after these writes:',
          ...history.map((line, i) => `  ${i + 1}. ${line}`),
        ].join('\n'),
      );
    }
    if (cached.status !== 200) return;
    const next: unknown = JSON.parse(cached.body).meta?.next_cursor;
    if (typeof next !== 'string') return;
    url = `${read.url}${read.url.includes('?') ? '&' : '?'}cursor=${encodeURIComponent(next)}`;
  }
}

/**
 * Every read of the world, alternating which app is asked first (and shifting that by step).
 * Actors read side by side, each in order: no write runs meanwhile, so all see one state.
 */
async function compareAll(world: World, step: number, history: readonly string[]): Promise<void> {
  const byActor = new Map<Actor, Array<{ read: Read; cachedFirst: boolean }>>();
  for (const [i, read] of readsOf(world).entries()) {
    const queue = byActor.get(read.actor) ?? [];
    queue.push({ read, cachedFirst: (i + step) % 2 === 0 });
    byActor.set(read.actor, queue);
  }
  // Settled, not raced: no read of this step may still be running when the next write goes out.
  const outcomes = await Promise.allSettled(
    [...byActor.values()].map(async (queue) => {
      for (const { read, cachedFirst } of queue) await compare(read, cachedFirst, history);
    }),
  );
  const failed = outcomes.find((outcome) => outcome.status === 'rejected');
  if (failed) throw failed.reason;
}

// ---------------------------------------------------------------------------------------
// Writes

const IDENTITY_KINDS = [
  'change-role',
  'remove-member',
  'leave',
  'rename-workspace',
  'switch-workspace',
  'clear-workspace',
  'set-default',
  'create-workspace',
  'delete-workspace',
  'transfer-ownership',
  'revoke-key',
  'logout',
  'update-tenant-user',
  'edit-role',
  'delete-role',
  'tenant-settings',
  'sign-in',
  'refresh',
  'advance-clock',
] as const;
/** Writes to the records of Alpha or Gamma, and to what decides who sees which stock. */
const RECORD_KINDS = [
  'create-item',
  'edit-item',
  'delete-item',
  'create-tag',
  'delete-tag',
  'receive-stock',
  'adjust-stock',
  'transfer-stock',
  'location-access',
  'negative-stock',
] as const;
type RecordKind = (typeof RECORD_KINDS)[number];
type Kind = (typeof IDENTITY_KINDS)[number] | RecordKind;
const KINDS: readonly Kind[] = [...IDENTITY_KINDS, ...RECORD_KINDS];
const isRecordKind = (kind: Kind): kind is RecordKind => (RECORD_KINDS as readonly Kind[]).includes(kind);

/** Indices, resolved against the run's world when applied, so any command fits any world. */
interface Command {
  kind: Kind;
  via: Via;
  /** One of the writers, or (past their number) the writer most likely to be allowed: see writerOf. */
  by: number;
  workspace: number;
  target: number;
  pick: number;
  /** Which item or tag of the workspace's records a record write names. */
  record: number;
}

/** Writes that end a run's interest in an actor or a workspace come half as often. */
const RARE: readonly Kind[] = ['logout', 'delete-workspace', 'advance-clock'];
/**
 * A change of location access comes twice as often: it is the one record write that acts
 * through the request context (a kept context would keep the old access, and with it the
 * pages kept under it), and only some of its tries change anything.
 */
const FREQUENT: readonly Kind[] = ['location-access'];
const weightOf = (kind: Kind) => (RARE.includes(kind) ? 1 : FREQUENT.includes(kind) ? 4 : 2);

const commandArbitrary: fc.Arbitrary<Command> = fc.record({
  kind: fc.oneof(...KINDS.map((kind) => ({ arbitrary: fc.constant(kind), weight: weightOf(kind) }))),
  via: fc.constantFrom<Via>('cached', 'uncached'),
  by: fc.nat({ max: 8 }),
  workspace: fc.nat({ max: MAX_WORKSPACES - 1 }),
  target: fc.nat({ max: 2 }),
  pick: fc.nat({ max: 59 }),
  record: fc.nat({ max: 7 }),
});

const ROLES = ['admin', 'member', 'viewer', 'cashier', 'owner', 'no_such_role'];
const WORKSPACE_NAMES = ['North', 'South', 'Harbor', 'Depot'];
const TENANT_USER_CHANGES = [
  { tenant_role: 'admin' },
  { tenant_role: 'member' },
  { tenant_role: 'owner' },
  { disabled: true },
  { disabled: false },
];
const ROLE_PERMISSION_SETS = [
  ['workspaces:view', 'members:view', 'roles:view'],
  ['workspaces:view'],
  ['workspaces:view', 'members:view', 'members:manage', 'members:remove'],
  [],
  ['members:view', 'roles:view'],
];
const TENANT_CHANGES = [
  { name: 'Acme' },
  { name: 'Acme Holdings' },
  { default_locale: 'es' },
  { default_locale: 'en' },
  { max_owned_workspaces_per_user: 2 },
  { max_owned_workspaces_per_user: null },
];

const ITEM_NAMES = ['Apricot', 'Blueberry', 'Bread', 'Coconut'];
/** PATCH bodies for an item; `tags` are the workspace's tag ids. */
const itemChanges = (tags: readonly number[]): Array<Record<string, unknown>> => [
  { name: 'Banana Bread' },
  { name: 'Zucchini', sku: 'Z-9' },
  { sell_price: '3.10' },
  { unit_cost: '0.5', sell_price: '1' },
  { tag_ids: tags.slice(0, 1) },
  { tag_ids: tags.slice(-2) },
  { tag_ids: [] },
  { archived: true },
  { archived: false },
];
const TAG_NAMES = ['Green', 'Seasonal', 'Bulk'];
const RECEIPTS = ['1', '2.5', '12'];
const ADJUSTMENTS = ['-1', '3', '-2.5', '-30'];
/** The last is beyond any level the run builds, so it goes through only where negative stock is allowed. */
const TRANSFERS = ['1', '2', '0.5', '100'];
/** PUT bodies for a member's location access; the indices name the workspace's locations. */
const LOCATION_ACCESS: Array<{ restricted: boolean; at?: number[] }> = [
  { restricted: false },
  { restricted: true, at: [1] },
  { restricted: true, at: [2] },
  { restricted: true, at: [0, 2] },
  { restricted: true, at: [] },
];

const pickFrom = <T,>(items: readonly T[], index: number): T => items[index % items.length] as T;

interface WriteRequest {
  method: Method;
  url: string;
  headers?: Headers;
  payload?: Record<string, unknown>;
  /** Sent without the writer's credentials (sign-in, refresh). */
  anonymous?: boolean;
}

/** Writes about another member of a workspace. */
const ABOUT_A_MEMBER: readonly Kind[] = ['change-role', 'remove-member', 'transfer-ownership'];

/**
 * Whom a command is about: for member writes, mostly a current non-owner member of the
 * workspace (read from the database, so that more of them go through), else one of the
 * run's users, member or not.
 */
async function targetOf(world: World, c: Command): Promise<number> {
  // Mostly the member restricted at the start, else one of the run's users (an admin, the owner, or not a member).
  if (c.kind === 'location-access' && c.target < 2) return recordsOf(world, c).restricted.userId;
  if (ABOUT_A_MEMBER.includes(c.kind) && c.target < 2) {
    const members = await t.db
      .selectFrom('memberships')
      .select('user_id')
      .where('workspace_id', '=', pickFrom(world.workspaces, c.workspace))
      .where('role', '<>', 'owner')
      .orderBy('user_id')
      .execute();
    if (members.length > 0) return pickFrom(members, c.target).user_id;
  }
  return pickFrom(world.targets, c.target).userId;
}

/** Record writes act in Alpha or Gamma, whatever other workspaces the run has. */
const recordsOf = (world: World, c: Command): Records => pickFrom(world.records, c.workspace);

/** A record write: one request, or (negative-stock) a setting and the transfer it lets through or not. */
function recordWriteOf(world: World, command: RecordKind, c: Command, target: number): WriteRequest | WriteRequest[] {
  const records = recordsOf(world, c);
  const headers = ctx(records.workspace);
  const item = pickFrom(records.items, c.record);
  // Stock moves mostly for Apple and Banana, stocked from the start, else for any item.
  const stocked = c.record < 5 ? pickFrom(records.items.slice(0, 2), c.record) : item;
  const tag = pickFrom(records.tags, c.record);
  const from = pickFrom(records.locations, c.target);
  // Transfers leave mostly from Shop, where both are stocked, to another location.
  const source = c.target < 2 ? records.locations[1] : pickFrom(records.locations, c.pick);
  const other = pickFrom(records.locations.filter((location) => location !== source), c.pick);
  const transfer = (to: number, quantity: string): WriteRequest => ({
    method: 'POST',
    url: '/api/v1/stock/transfers',
    headers,
    payload: { item_id: stocked, from_location_id: source, to_location_id: to, quantity },
  });
  switch (command) {
    case 'create-item':
      return {
        method: 'POST',
        url: '/api/v1/items',
        headers,
        payload: {
          sku: `N-${c.pick}`,
          name: pickFrom(ITEM_NAMES, c.pick),
          ...(c.pick % 3 === 0 ? {} : { tag_ids: [tag] }),
          ...(c.pick % 2 === 0 ? { unit_cost: '2.5' } : {}),
        },
      };
    case 'edit-item':
      return { method: 'PATCH', url: `/api/v1/items/${item}`, headers, payload: pickFrom(itemChanges(records.tags), c.pick) };
    case 'delete-item':
      return { method: 'DELETE', url: `/api/v1/items/${item}`, headers };
    case 'create-tag':
      return { method: 'POST', url: '/api/v1/tags', headers, payload: { name: pickFrom(TAG_NAMES, c.pick) } };
    case 'delete-tag':
      return { method: 'DELETE', url: `/api/v1/tags/${tag}`, headers };
    case 'receive-stock':
      return { method: 'POST', url: '/api/v1/stock/receipts', headers, payload: { item_id: stocked, location_id: from, quantity: pickFrom(RECEIPTS, c.pick) } };
    case 'adjust-stock':
      return {
        method: 'POST',
        url: '/api/v1/stock/adjustments',
        headers,
        payload: { item_id: stocked, location_id: from, quantity_change: pickFrom(ADJUSTMENTS, c.pick), reason: 'Counted' },
      };
    case 'transfer-stock':
      // To another location, or (one time in eight) to the same one, which is refused.
      return transfer(c.pick % 8 === 7 ? source : other, pickFrom(TRANSFERS, c.pick));
    case 'location-access': {
      const access = pickFrom(LOCATION_ACCESS, c.pick);
      const payload = access.at ? { restricted: true, location_ids: access.at.map((i) => records.locations[i]) } : { restricted: false };
      return { method: 'PUT', url: `/api/v1/members/${target}/locations`, headers, payload };
    }
    case 'negative-stock':
      return [
        { method: 'PATCH', url: `/api/v1/workspaces/${records.workspace}/settings`, headers, payload: { allow_negative_stock: c.pick % 3 !== 0 } },
        transfer(other, '100'),
      ];
  }
}

function writeRequestOf(world: World, command: Exclude<Kind, 'advance-clock'>, c: Command, target: number): WriteRequest | WriteRequest[] {
  if (isRecordKind(command)) return recordWriteOf(world, command, c, target);
  const workspace = pickFrom(world.workspaces, c.workspace);
  const alpha = world.workspaces[0] as number;
  const name = `${world.tag} ${pickFrom(WORKSPACE_NAMES, c.pick)}`;
  switch (command) {
    case 'change-role':
      return { method: 'PUT', url: `/api/v1/members/${target}`, headers: ctx(workspace), payload: { role: pickFrom(ROLES, c.pick) } };
    case 'remove-member':
      return { method: 'DELETE', url: `/api/v1/members/${target}`, headers: ctx(workspace) };
    case 'leave':
      return { method: 'POST', url: `/api/v1/workspaces/${workspace}/leave` };
    case 'rename-workspace':
      return { method: 'PATCH', url: `/api/v1/workspaces/${workspace}`, payload: { name } };
    case 'switch-workspace':
      return { method: 'PATCH', url: `/api/v1/workspace-context/${workspace}` };
    case 'clear-workspace':
      return { method: 'DELETE', url: `/api/v1/workspace-context/${workspace}` };
    case 'set-default':
      return { method: 'POST', url: `/api/v1/workspaces/${workspace}/default` };
    case 'create-workspace':
      return { method: 'POST', url: '/api/v1/workspaces', payload: { name } };
    case 'delete-workspace':
      return { method: 'DELETE', url: `/api/v1/workspaces/${workspace}` };
    case 'transfer-ownership':
      return { method: 'POST', url: `/api/v1/workspaces/${workspace}/transfer-ownership`, payload: { user_id: target } };
    case 'revoke-key':
      return { method: 'DELETE', url: `/api/v1/api-keys/${pickFrom(world.keys, c.pick).id}`, headers: ctx(alpha) };
    case 'logout':
      return { method: 'POST', url: '/api/v1/auth/logout' };
    case 'update-tenant-user':
      return { method: 'PUT', url: `/api/v1/tenant/users/${target}`, payload: pickFrom(TENANT_USER_CHANGES, c.pick) };
    case 'edit-role':
      return {
        method: 'PUT',
        url: `/api/v1/roles/${world.roleId}`,
        headers: ctx(alpha),
        payload: { permissions: pickFrom(ROLE_PERMISSION_SETS, c.pick) },
      };
    case 'delete-role':
      return { method: 'DELETE', url: `/api/v1/roles/${world.roleId}?reassign_to=member`, headers: ctx(alpha) };
    case 'tenant-settings':
      return { method: 'PATCH', url: '/api/v1/tenant', payload: pickFrom(TENANT_CHANGES, c.pick) };
    case 'sign-in':
      return { method: 'POST', url: '/api/v1/auth/login', anonymous: true, payload: { email: pickFrom(world.targets, c.target).email, password: 'correct horse battery' } };
    // The reader's first refresh token: used once it rotates; presented again past the reuse window, it ends the session.
    case 'refresh':
      return { method: 'POST', url: '/api/v1/auth/refresh', anonymous: true, payload: { refresh_token: pickFrom(world.targets, c.target).refreshToken } };
  }
}

/** Commands that act in the run's first workspace whatever their `workspace` index. */
const IN_FIRST_WORKSPACE: readonly Kind[] = ['revoke-key', 'edit-role', 'delete-role'];

/**
 * The writer a command names, or else root for tenant-wide writes and the workspace's creator
 * for the rest. Record writes name alice, bob or carol one time in three: most others may only
 * read records, and a run of refused record writes would move no record version.
 */
function writerOf(world: World, c: Command): Actor {
  const named = isRecordKind(c.kind) ? (c.by < 3 ? world.writers[c.by] : undefined) : world.writers[c.by];
  if (named) return named;
  if (c.kind === 'update-tenant-user' || c.kind === 'tenant-settings') return world.root;
  const workspace = IN_FIRST_WORKSPACE.includes(c.kind)
    ? (world.workspaces[0] as number)
    : isRecordKind(c.kind)
      ? recordsOf(world, c).workspace
      : pickFrom(world.workspaces, c.workspace);
  return world.creators.get(workspace) ?? world.root;
}

/** Outcomes per kind of write, over all runs: a run of only refused writes would prove little. */
const tally = new Map<Kind, { ok: number; refused: number }>();

/** Applies one command; a line for the run's history. Refusals (4xx) are fine, a 5xx is not. */
async function apply(world: World, c: Command): Promise<string> {
  const counts = tally.get(c.kind) ?? { ok: 0, refused: 0 };
  tally.set(c.kind, counts);
  if (c.kind === 'advance-clock') {
    counts.ok += 1;
    t.clock.advance(ADVANCE_MS);
    return `clock +${ADVANCE_MS / 60_000} min`;
  }
  const writer = writerOf(world, c);
  const made = writeRequestOf(world, c.kind, c, await targetOf(world, c));
  const lines: string[] = [];
  let succeeded = true;
  for (const request of Array.isArray(made) ? made : [made]) {
    const response = await inject(c.via, request.method, request.url, { ...(request.anonymous ? {} : writer.auth), ...request.headers }, request.payload);
    succeeded &&= response.statusCode < 300;
    const line =
      `[${c.via}] ${request.anonymous ? 'anonymous' : writer.name}: ${request.method} ${request.url}` +
      `${request.headers ? ` ${JSON.stringify(request.headers)}` : ''}${request.payload ? ` ${JSON.stringify(request.payload)}` : ''}` +
      ` → ${response.statusCode} ${errorCode(response.body)}`.trimEnd();
    if (response.statusCode >= 500) throw new Error(`a write failed on the server: ${line}\n${response.body}`);
    lines.push(line);
    if (response.statusCode !== 201) continue;
    if (c.kind === 'create-workspace' && world.workspaces.length < MAX_WORKSPACES) {
      const created: number = response.json().data.id;
      world.workspaces.push(created);
      world.creators.set(created, writer);
    }
    // Later writes may name what the run created.
    if (c.kind === 'create-item') recordsOf(world, c).items.push(response.json().data.id);
    if (c.kind === 'create-tag') recordsOf(world, c).tags.push(response.json().data.id);
  }
  if (succeeded) counts.ok += 1;
  else counts.refused += 1;
  return lines.join('\n     then ');
}

// ---------------------------------------------------------------------------------------

describe('read caches', () => {
  it('are on in the cached app and off in the uncached one', () => {
    expect(t.config.cacheEntries.contexts).toBeGreaterThan(0);
    expect(t.config.cacheEntries.reads).toBeGreaterThan(0);
    expect(t.config.cacheEntries.recordPages).toBeGreaterThan(0);
    expect(uncached.config.cacheEntries).toEqual({ contexts: 0, reads: 0, recordPages: 0 });
  });

  it(
    'never change an answer: after any sequence of writes through either app, both apps answer every read alike',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(commandArbitrary, { minLength: 4, maxLength: 8 }), async (commands) => {
          const world = await setUpWorld();
          const history: string[] = [];
          await compareAll(world, 0, history);
          for (const [step, command] of commands.entries()) {
            history.push(await apply(world, command));
            await compareAll(world, step + 1, history);
          }
        }),
        { seed, numRuns },
      );
      const ok = [...tally.values()].reduce((sum, counts) => sum + counts.ok, 0);
      const all = [...tally.values()].reduce((sum, counts) => sum + counts.ok + counts.refused, 0);
      console.log(
        `[read-cache] seed=${seed} runs=${numRuns} writes=${all} (${ok} succeeded): ` +
          [...tally].map(([kind, counts]) => `${kind}=${counts.ok}/${counts.ok + counts.refused}`).join(' '),
      );
      // The sequences change things often enough to matter, not only get refused.
      expect(ok).toBeGreaterThanOrEqual(all / 4);
    },
    180_000,
  );

  it('can tell: a change that slipped past the version is served stale by the cached app alone', async () => {
    const owner = await register(t, { name: 'Teeth Owner' });
    const workspace = await createWorkspace(t, owner, 'Teeth Store');
    const names = async (via: Via) =>
      (await inject(via, 'GET', '/api/v1/workspaces', owner.auth)).json().data.map((w: { name: string }) => w.name);
    expect(await names('cached')).toEqual(['Teeth Store']);

    // Renamed behind the apps' backs, and the version the trigger moved put back.
    const before = await versionShards();
    await t.db.updateTable('workspaces').set({ name: 'Teeth Renamed' }).where('id', '=', workspace.id).execute();
    expect(await dataVersion()).toBeGreaterThan(before.reduce((sum, row) => sum + row.version, 0));
    for (const { shard, version } of before) {
      await t.db
        .updateTable('tenant_data_versions')
        .set({ version })
        .where('tenant_id', '=', tenantId)
        .where('shard', '=', shard)
        .execute();
    }

    expect(await names('cached')).toEqual(['Teeth Store']);
    expect(await names('uncached')).toEqual(['Teeth Renamed']);
    // A version no entry was read at retires everything kept before it.
    await t.db
      .updateTable('tenant_data_versions')
      .set({ version: sql<number>`version + 1` })
      .where('tenant_id', '=', tenantId)
      .execute();
    expect(await names('cached')).toEqual(['Teeth Renamed']);
  });

  it('can tell: an item renamed past its record version is served stale by the cached app alone', async () => {
    const owner = await register(t, { name: 'Teeth Items Owner' });
    const workspace = await createWorkspace(t, owner, 'Teeth Items');
    const asOwner = { ...owner.auth, ...ctx(workspace.id) };
    const item = (await must('POST', '/api/v1/items', asOwner, { sku: 'T-1', name: 'Incisor' })).data.id as number;
    const names = async (via: Via) =>
      (await inject(via, 'GET', '/api/v1/items', asOwner)).json().data.map((i: { name: string }) => i.name);
    expect(await names('cached')).toEqual(['Incisor']);
    const stockBefore = await inject('cached', 'GET', '/api/v1/stock', asOwner);

    // Renamed behind the apps' backs, and the record version the trigger moved put back.
    const before = await recordVersion(workspace.id, 'items');
    await t.db.updateTable('items').set({ name: 'Molar' }).where('id', '=', item).execute();
    expect(await recordVersion(workspace.id, 'items')).toBeGreaterThan(before);
    await setRecordVersion(workspace.id, 'items', before);

    expect(await names('cached')).toEqual(['Incisor']);
    expect(await names('uncached')).toEqual(['Molar']);
    // Another scope's page is not the item page: a stock read neither retires nor serves it.
    expect((await inject('cached', 'GET', '/api/v1/stock', asOwner)).body).toBe(stockBefore.body);
    expect(await names('cached')).toEqual(['Incisor']);
    // A version no entry was read at retires what was kept before it.
    await setRecordVersion(workspace.id, 'items', 'next');
    expect(await names('cached')).toEqual(['Molar']);
  });

  it('can tell: a stock level changed past its record version is served stale by the cached app alone', async () => {
    const owner = await register(t, { name: 'Teeth Stock Owner' });
    const workspace = await createWorkspace(t, owner, 'Teeth Stock');
    const asOwner = { ...owner.auth, ...ctx(workspace.id) };
    const item = (await must('POST', '/api/v1/items', asOwner, { sku: 'T-2', name: 'Canine' })).data.id as number;
    const location: number = (await must('GET', `/api/v1/workspaces/${workspace.id}`, owner.auth)).data.default_location_id;
    await must('POST', '/api/v1/stock/receipts', asOwner, { item_id: item, location_id: location, quantity: '3' });
    const quantities = async (via: Via) =>
      (await inject(via, 'GET', `/api/v1/stock?item_id=${item}`, asOwner)).json().data.map((level: { quantity: string }) => level.quantity);
    expect(await quantities('cached')).toEqual(['3']);

    const before = await recordVersion(workspace.id, 'stock');
    await t.db.updateTable('stock_levels').set({ quantity_e4: 90_000 }).where('item_id', '=', item).execute();
    expect(await recordVersion(workspace.id, 'stock')).toBeGreaterThan(before);
    await setRecordVersion(workspace.id, 'stock', before);

    expect(await quantities('cached')).toEqual(['3']);
    expect(await quantities('uncached')).toEqual(['9']);
    await setRecordVersion(workspace.id, 'stock', 'next');
    expect(await quantities('cached')).toEqual(['9']);
    // The ledger's sum again, for the invariants.
    await t.db.updateTable('stock_levels').set({ quantity_e4: 30_000 }).where('item_id', '=', item).execute();
  });
});

describe('a change made through the other app', () => {
  const memberIds = (response: LightMyRequestResponse) =>
    (response.json().data as Array<{ id: number }>).map((member) => member.id).sort((a, b) => a - b);

  it('shows a member removal on the very next members list and shuts the removed member out', async () => {
    const owner = await register(t, { name: 'Coherent Owner' });
    const member = await register(t, { name: 'Coherent Member' });
    const workspace = await createWorkspace(t, owner, 'Coherent Store');
    await addMembership(t, workspace.id, member.userId, 'member');
    const asOwner = { ...owner.auth, ...ctx(workspace.id) };
    const asMember = { ...member.auth, ...ctx(workspace.id) };
    // Twice, so the second answer comes from what the first one kept.
    for (let i = 0; i < 2; i += 1) {
      expect(memberIds(await inject('cached', 'GET', '/api/v1/members', asOwner))).toEqual([owner.userId, member.userId]);
      expect((await inject('cached', 'GET', '/api/v1/members', asMember)).statusCode).toBe(200);
      expect((await inject('cached', 'GET', `/api/v1/workspaces/${workspace.id}`, member.auth)).statusCode).toBe(200);
    }

    const removed = await inject('uncached', 'DELETE', `/api/v1/members/${member.userId}`, asOwner);
    expect(removed.statusCode).toBe(200);

    expect(memberIds(await inject('cached', 'GET', '/api/v1/members', asOwner))).toEqual([owner.userId]);
    const byId = await inject('cached', 'GET', `/api/v1/workspaces/${workspace.id}`, member.auth);
    expect(byId.statusCode).toBe(404);
    const members = await inject('cached', 'GET', '/api/v1/members', asMember);
    expect(members.statusCode).toBe(404);
    expect(members.json().error.code).toBe('WORKSPACE.NOT_FOUND');
  });

  it('answers 401 on the next request after a logout through the other app', async () => {
    const user = await register(t, { name: 'Leaving User' });
    await createWorkspace(t, user, 'Leaving Store');
    for (let i = 0; i < 2; i += 1) {
      expect((await inject('cached', 'GET', '/api/v1/me', user.auth)).statusCode).toBe(200);
      expect((await inject('cached', 'GET', '/api/v1/members', user.auth)).statusCode).toBe(200);
    }

    expect((await inject('uncached', 'POST', '/api/v1/auth/logout', user.auth)).statusCode).toBe(200);

    const me = await inject('cached', 'GET', '/api/v1/me', user.auth);
    expect(me.statusCode).toBe(401);
    expect(me.json().error.code).toBe('AUTH.INVALID_TOKEN');
    expect((await inject('cached', 'GET', '/api/v1/members', user.auth)).statusCode).toBe(401);
  });
});

describe('time', () => {
  it('ends an API key at its expiry even while its context is kept', async () => {
    const owner = await register(t, { name: 'Expiring Owner' });
    const workspace = await createWorkspace(t, owner, 'Expiring Store');
    const key = await must('POST', '/api/v1/api-keys', { ...owner.auth, ...ctx(workspace.id) }, {
      name: 'Expiring key',
      scopes: ['members:view'],
      expires_at: new Date(t.clock.now().getTime() + 60_000).toISOString(),
    });
    const asKey = { authorization: `Bearer ${key.data.secret}` };
    for (let i = 0; i < 2; i += 1) expect((await inject('cached', 'GET', '/api/v1/members', asKey)).statusCode).toBe(200);
    const before = await dataVersion();

    t.clock.advance(61_000);

    // Nothing was written, so the version alone would let the kept context answer.
    expect(await dataVersion()).toBe(before);
    for (const via of ['cached', 'uncached'] as const) {
      const response = await inject(via, 'GET', '/api/v1/members', asKey);
      expect({ via, status: response.statusCode, code: errorCode(response.body) }).toEqual({ via, status: 401, code: 'AUTH.INVALID_TOKEN' });
    }
  });
});

/** The data versions of the given workspaces and users, by id (migration 0008). */
async function scopedVersions(workspaceIds: number[], userIds: number[]) {
  const workspaces = await t.db
    .selectFrom('workspace_data_versions')
    .select(['workspace_id as id', 'version'])
    .where('workspace_id', 'in', workspaceIds)
    .execute();
  const users = await t.db.selectFrom('user_data_versions').select(['user_id as id', 'version']).where('user_id', 'in', userIds).execute();
  const byId = (rows: Array<{ id: number; version: number }>) => new Map(rows.map((row) => [row.id, Number(row.version)]));
  return { tenant: await dataVersion(), workspaces: byId(workspaces), users: byId(users) };
}

describe('the data versions', () => {
  it('move with every kind of write that cached reads depend on: the tenant\'s, or only the workspace\'s and user\'s it touches', async () => {
    const root = await signInAgain(t, rootAccount);
    // The differential runs above share the tenant and may have left owned workspaces limited.
    await must('PATCH', '/api/v1/tenant', root.auth, { max_owned_workspaces_per_user: null });
    const owner = await register(t, { name: 'Version Owner' });
    const member = await register(t, { name: 'Version Member' });
    const workspace = await createWorkspace(t, owner, 'Version Store');
    const annex = await createWorkspace(t, owner, 'Version Annex');
    await addMembership(t, workspace.id, member.userId, 'member');
    await addMembership(t, annex.id, member.userId, 'member');
    const asOwner = { ...owner.auth, ...ctx(workspace.id) };
    const watched = { workspaces: [workspace.id, annex.id], users: [owner.userId, member.userId] };

    /** Sends the write; exactly the named versions move, the other watched ones stay put. */
    const moves = async (
      what: string,
      moved: { tenant?: boolean; workspaces?: number[]; users?: number[] },
      [method, url, headers, payload]: [Method, string, Headers, Record<string, unknown>?],
    ) => {
      const before = await scopedVersions(watched.workspaces, watched.users);
      const response = await inject('cached', method, url, headers, payload);
      expect(response.statusCode, `${what}: ${response.body}`).toBeLessThan(300);
      const after = await scopedVersions(watched.workspaces, watched.users);
      const changed = (scope: 'workspaces' | 'users') =>
        watched[scope].filter((id) => (after[scope].get(id) ?? -1) !== (before[scope].get(id) ?? -1));
      expect({ tenant: after.tenant > before.tenant, workspaces: changed('workspaces'), users: changed('users') }, what).toEqual({
        tenant: moved.tenant ?? false,
        workspaces: moved.workspaces ?? [],
        users: moved.users ?? [],
      });
      expect(after.tenant, what).toBeGreaterThanOrEqual(before.tenant);
      return response.json();
    };

    await moves('register (users)', { tenant: true }, ['POST', '/api/v1/auth/register', {}, {
      name: 'Version Newcomer',
      email: `version.newcomer.${process.pid}@example.com`,
      password: 'correct horse battery',
    }]);
    await moves('create a workspace (workspaces; its owner\'s membership)', { tenant: true, users: [owner.userId] }, [
      'POST', '/api/v1/workspaces', owner.auth, { name: 'Version Third' },
    ]);
    await moves('rename a workspace (workspaces)', { tenant: true }, ['PATCH', `/api/v1/workspaces/${workspace.id}`, owner.auth, { name: 'Version Renamed' }]);
    const role = await moves('create a role (roles, role_permissions)', { workspaces: [workspace.id] }, ['POST', '/api/v1/roles', asOwner, {
      name: 'clerk',
      display_name: 'Clerk',
      permissions: ['workspaces:view'],
    }]);
    await moves('edit its permissions (role_permissions)', { workspaces: [workspace.id] }, ['PUT', `/api/v1/roles/${role.data.id}`, asOwner, {
      permissions: ['workspaces:view', 'members:view'],
    }]);
    await moves('change a member role (memberships)', { workspaces: [workspace.id], users: [member.userId] }, [
      'PUT', `/api/v1/members/${member.userId}`, asOwner, { role: 'clerk' },
    ]);
    await moves('delete the role (roles, memberships)', { workspaces: [workspace.id], users: [member.userId] }, [
      'DELETE', `/api/v1/roles/${role.data.id}?reassign_to=viewer`, asOwner,
    ]);
    const key = await moves('create an API key (api_keys, api_key_scopes)', { tenant: true }, ['POST', '/api/v1/api-keys', asOwner, {
      name: 'Version key',
      scopes: ['workspaces:view'],
    }]);
    await moves('revoke it (api_keys)', { tenant: true }, ['DELETE', `/api/v1/api-keys/${key.data.id}`, asOwner]);
    await moves('change a tenant role (users)', { tenant: true }, ['PUT', `/api/v1/tenant/users/${member.userId}`, root.auth, { tenant_role: 'admin' }]);
    await moves('change tenant settings (tenants)', { tenant: true }, ['PATCH', '/api/v1/tenant', root.auth, { name: 'Version Tenant' }]);
    // Every member's list of workspaces shows the owner: a change of owner is the tenant's.
    await moves('transfer ownership (two memberships, one an owner\'s)', { tenant: true, workspaces: [annex.id], users: [owner.userId, member.userId] }, [
      'POST', `/api/v1/workspaces/${annex.id}/transfer-ownership`, { ...owner.auth, ...ctx(annex.id) }, { user_id: member.userId },
    ]);
    await moves('remove a member (memberships)', { workspaces: [workspace.id], users: [member.userId] }, [
      'DELETE', `/api/v1/members/${member.userId}`, asOwner,
    ]);
    await moves('delete a workspace (workspaces; its memberships)', { tenant: true, workspaces: [annex.id], users: [owner.userId, member.userId] }, [
      'DELETE', `/api/v1/workspaces/${annex.id}`, { ...member.auth, ...ctx(annex.id) },
    ]);
  });

  it('stays put for the busiest writes, whose effect a cached context reads live: sign-in, refresh, switching workspace, logout', async () => {
    const user = await register(t, { name: 'Busy User' });
    const workspace = await createWorkspace(t, user, 'Busy Store');
    const still = async (what: string, method: Method, url: string, headers: Headers, payload?: Record<string, unknown>) => {
      const before = await dataVersion();
      const response = await inject('cached', method, url, headers, payload);
      expect(response.statusCode, `${what}: ${response.body}`).toBeLessThan(300);
      expect(await dataVersion(), what).toBe(before);
      return response.json();
    };
    const signedIn = await still('sign in (sessions)', 'POST', '/api/v1/auth/login', {}, { email: user.email, password: 'correct horse battery' });
    await still('refresh (sessions, refresh_tokens)', 'POST', '/api/v1/auth/refresh', {}, { refresh_token: signedIn.data.refresh_token });
    await still('switch the current workspace (users.current_workspace_id)', 'PATCH', `/api/v1/workspace-context/${workspace.id}`, user.auth);
    await still('set the default workspace (users.default_workspace_id)', 'POST', `/api/v1/workspaces/${workspace.id}/default`, user.auth);
    await still('log out (sessions)', 'POST', '/api/v1/auth/logout', user.auth);
    // …and yet the logout acts on the very next request, cached context or not.
    expect((await inject('cached', 'GET', '/api/v1/me', user.auth)).statusCode).toBe(401);
  });

  it('is kept for a tenant created after the migration, in the engine\'s number of shards, and moves only its own', async () => {
    const slug = `shards-${process.pid}`;
    await createTenant(t, slug);
    const other = await t.db.selectFrom('tenants').select('id').where('slug', '=', slug).executeTakeFirstOrThrow();
    const shardsOf = (id: number) =>
      t.db.selectFrom('tenant_data_versions').select(['shard', 'version']).where('tenant_id', '=', id).orderBy('shard').execute();
    const shards = await shardsOf(other.id);
    expect(shards.map((row) => row.shard)).toEqual([...Array(VERSION_SHARDS[t.database.engine]).keys()]);
    const before = await dataVersion();
    await register(t, { tenant: slug });
    expect((await shardsOf(other.id)).reduce((sum, row) => sum + Number(row.version), 0)).toBeGreaterThan(0);
    expect(await dataVersion()).toBe(before);
  });

  it('stays put for reads', async () => {
    const owner = await register(t, { name: 'Reading Owner' });
    const workspace = await createWorkspace(t, owner, 'Reading Store');
    const before = await dataVersion();
    for (const via of ['cached', 'uncached'] as const) {
      for (const url of ['/api/v1/me', '/api/v1/workspaces', '/api/v1/members', '/api/v1/permissions/me', `/api/v1/workspaces/${workspace.id}`]) {
        expect((await inject(via, 'GET', url, owner.auth)).statusCode).toBe(200);
      }
    }
    expect(await dataVersion()).toBe(before);
  });

  it('stays put for API-key use, whose last_used_at is written in batches', async () => {
    const owner = await register(t, { name: 'Key Owner' });
    const workspace = await createWorkspace(t, owner, 'Key Store');
    const key = await must('POST', '/api/v1/api-keys', { ...owner.auth, ...ctx(workspace.id) }, {
      name: 'Batch key',
      scopes: ['workspaces:view', 'members:view'],
    });
    // Its own app, because the usage batch is flushed deterministically only when an app closes.
    const probe = await startSecondApp(t, {});
    const before = await dataVersion();
    try {
      for (let i = 0; i < 5; i += 1) {
        const response = await probe.app.inject({ method: 'GET', url: '/api/v1/members', headers: { authorization: `Bearer ${key.data.secret}` } });
        expect(response.statusCode).toBe(200);
      }
    } finally {
      await probe.close();
    }
    const row = await t.db.selectFrom('api_keys').select('last_used_at').where('id', '=', key.data.id).executeTakeFirstOrThrow();
    expect(row.last_used_at).toBe(t.clock.now().toISOString());
    expect(await dataVersion()).toBe(before);
  });
});
