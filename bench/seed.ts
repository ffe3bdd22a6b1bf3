import { hashPassword } from '../src/core/auth/secrets.ts';
import { systemClock } from '../src/core/clock.ts';
import { loadConfig } from '../src/core/config.ts';
import { sql } from 'kysely';
import { engineOf } from '../src/core/db/dialect.ts';
import { inTransaction } from '../src/core/db/transaction.ts';
import { normalizeKey } from '../src/core/normalize.ts';
import { createTenantsService } from '../src/modules/tenants/tenants.service.ts';
import { openDatabase, type Db, type Tx } from '../src/schema/database.ts';

/** Rows per insert statement: ~3,500 parameters for users, far under either engine's limit. */
const CHUNK_ROWS = 500;
// Not a real hash: nobody signs in as a member seeded by seedMembers.
const UNUSABLE_PASSWORD_HASH = 'bench-seeded-member-no-login';

/** A workspace the bench user owns, and how many members it should have in all, the owner included. */
export interface MemberSeed {
  workspaceId: number;
  members: number;
}

export interface SeededUser {
  id: number;
  email: string;
}

export interface MembershipSeed {
  workspaceId: number;
  userId: number;
  role: string;
}

/**
 * Adds members the HTTP API cannot add yet (there is no invitations API): users of
 * tenant `default` with role `member`, written straight to the database Tessera
 * serves, opened exactly as src/main.ts opens it, in one transaction. Every
 * workspace draws its members from one shared set of users, so the largest
 * workspace decides how many users there are.
 */
export async function seedMembers(env: NodeJS.ProcessEnv, seeds: readonly MemberSeed[]): Promise<void> {
  const userCount = Math.max(0, ...seeds.map((seed) => seed.members - 1));
  await withDatabase(env, (db) =>
    inTransaction(db, async (tx) => {
      const tenant = await tx.selectFrom('tenants').select('id').where('slug', '=', 'default').executeTakeFirstOrThrow();
      const users = await insertUsers(tx, {
        tenantId: tenant.id,
        count: userCount,
        emailPrefix: 'bench-member',
        passwordHash: UNUSABLE_PASSWORD_HASH,
      });
      for (const seed of seeds) {
        const members = users.slice(0, seed.members - 1);
        await insertMemberships(tx, members.map((user) => ({ workspaceId: seed.workspaceId, userId: user.id, role: 'member' })));
      }
    }),
  );
}

/**
 * A tenant of its own, made as the operator CLI makes one, and `count` users of role
 * `member` in it who can all sign in with `password`. The argon2id hash is computed once,
 * with Tessera's own function, and stored for every user: one hash per user would take
 * minutes of both cores.
 */
export async function seedTenantUsers(
  env: NodeJS.ProcessEnv,
  input: { slug: string; name: string; count: number; password: string },
): Promise<SeededUser[]> {
  const passwordHash = await hashPassword(input.password);
  return withDatabase(env, async (db) => {
    const tenant = await createTenantsService({ db, clock: systemClock }).createTenant({ slug: input.slug, name: input.name, selfSignup: true });
    return inTransaction(db, (tx) =>
      insertUsers(tx, { tenantId: tenant.id, count: input.count, emailPrefix: `bench-${input.slug}`, passwordHash }),
    );
  });
}

/** Memberships of existing users in existing workspaces, in one transaction. */
export async function seedMemberships(env: NodeJS.ProcessEnv, rows: readonly MembershipSeed[]): Promise<void> {
  await withDatabase(env, (db) => inTransaction(db, (tx) => insertMemberships(tx, rows)));
}

/** A workspace's catalogue to seed: `count` items, each with `quantity` units received at `locationId`. */
export interface StockedItemsSeed {
  workspaceId: number;
  count: number;
  locationId: number;
  /** In ten-thousandths, as stored. */
  quantityE4: number;
}

/**
 * Items `BENCH-00001`…, each with one receipt at one location and the level it makes, in
 * one transaction, the plan's items counter moved with them: what 10,000 creates and
 * receipts through the API would leave, without taking minutes of the run.
 */
export async function seedStockedItems(env: NodeJS.ProcessEnv, seed: StockedItemsSeed): Promise<void> {
  const now = new Date().toISOString();
  await withDatabase(env, (db) =>
    inTransaction(db, async (tx) => {
      const ids: number[] = [];
      for (const rows of chunks(seed.count, (i) => {
        const sku = `BENCH-${String(i + 1).padStart(5, '0')}`;
        const name = `Bench item ${i + 1}`;
        return {
          workspace_id: seed.workspaceId,
          sku,
          sku_key: normalizeKey(sku),
          name,
          name_key: normalizeKey(name),
          unit: 'unit',
          barcode: null,
          unit_cost_e4: 12_500,
          sell_price_e4: 15_000,
          preferred_supplier_id: null,
          archived_at: null,
          created_at: now,
          updated_at: now,
        };
      })) {
        ids.push(...(await tx.insertInto('items').values(rows).returning('id').execute()).map((row) => row.id));
      }
      const at = (i: number) => ({ workspace_id: seed.workspaceId, item_id: ids[i] as number, location_id: seed.locationId, quantity_e4: seed.quantityE4 });
      for (const rows of chunks(ids.length, (i) => ({ ...at(i), kind: 'receipt' as const, reason: 'Bench opening', transfer_id: null, actor_user_id: null, actor_api_key_id: null, created_at: now }))) {
        await tx.insertInto('stock_movements').values(rows).execute();
      }
      for (const rows of chunks(ids.length, (i) => ({ ...at(i), updated_at: now }))) {
        await tx.insertInto('stock_levels').values(rows).execute();
      }
      await tx
        .updateTable('workspace_plans')
        .set((eb) => ({ items_usage: eb('items_usage', '+', seed.count) }))
        .where('workspace_id', '=', seed.workspaceId)
        .execute();
    }).then(async () => {
      // PostgreSQL's autovacuum would soon have read the new rows' statistics; without them its
      // planner takes 10,000 rows for a handful and sorts them all for a 50-row page.
      if (engineOf(db) === 'postgres') for (const table of ['items', 'stock_levels', 'stock_movements']) await sql.raw(`analyze ${table}`).execute(db);
    }),
  );
}

/** The database Tessera serves, opened exactly as src/main.ts opens it, for the length of `work`. */
async function withDatabase<T>(env: NodeJS.ProcessEnv, work: (db: Db) => Promise<T>): Promise<T> {
  const db = openDatabase(loadConfig(env));
  try {
    return await work(db);
  } finally {
    await db.destroy();
  }
}

/** Users `<emailPrefix>-00001@example.com`…, in that order. */
async function insertUsers(
  tx: Tx,
  input: { tenantId: number; count: number; emailPrefix: string; passwordHash: string },
): Promise<SeededUser[]> {
  const now = new Date().toISOString();
  const users: SeededUser[] = [];
  for (const rows of chunks(input.count, (i) => {
    const email = `${input.emailPrefix}-${String(i + 1).padStart(5, '0')}@example.com`;
    return {
      tenant_id: input.tenantId,
      name: `Bench Member ${i + 1}`,
      email,
      email_key: email.toLowerCase(),
      password_hash: input.passwordHash,
      tenant_role: 'member' as const,
      created_at: now,
      updated_at: now,
    };
  })) {
    users.push(...(await tx.insertInto('users').values(rows).returning(['id', 'email']).execute()));
  }
  if (users.length !== input.count) throw new Error(`seeded ${users.length} users, expected ${input.count}`);
  return users;
}

async function insertMemberships(tx: Tx, memberships: readonly MembershipSeed[]): Promise<void> {
  const now = new Date().toISOString();
  for (const rows of chunks(memberships.length, (i) => {
    const { workspaceId, userId, role } = memberships[i] as MembershipSeed;
    return { workspace_id: workspaceId, user_id: userId, role, created_at: now, updated_at: now };
  })) {
    await tx.insertInto('memberships').values(rows).execute();
  }
}

/** Rows 0…count-1 made by `row`, in slices of CHUNK_ROWS. */
function* chunks<T>(count: number, row: (index: number) => T): Generator<T[]> {
  for (let start = 0; start < count; start += CHUNK_ROWS) {
    const end = Math.min(count, start + CHUNK_ROWS);
    yield Array.from({ length: end - start }, (_, offset) => row(start + offset));
  }
}
