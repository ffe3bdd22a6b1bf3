import { loadConfig } from '../src/core/config.ts';
import { openDatabase } from '../src/schema/database.ts';
import { inTransaction } from '../src/core/db/transaction.ts';

/** Rows per insert statement: ~3,500 parameters for users, far under either engine's limit. */
const CHUNK_ROWS = 500;
// Not a real hash: nobody signs in as a seeded member.
const PASSWORD_HASH = 'bench-seeded-member-no-login';

/** A workspace the bench user owns, and how many members it should have in all, the owner included. */
export interface MemberSeed {
  workspaceId: number;
  members: number;
}

/**
 * Adds members the HTTP API cannot add yet (there is no invitations API): users of
 * tenant `default` with role `member`, written straight to the database Tessera
 * serves, opened exactly as src/main.ts opens it, in one transaction. Every
 * workspace draws its members from one shared set of users, so the largest
 * workspace decides how many users there are.
 */
export async function seedMembers(env: NodeJS.ProcessEnv, seeds: readonly MemberSeed[]): Promise<void> {
  const config = loadConfig(env);
  const db = openDatabase(config);
  try {
    const userCount = Math.max(0, ...seeds.map((seed) => seed.members - 1));
    const now = new Date().toISOString();
    await inTransaction(db, async (tx) => {
      const tenant = await tx.selectFrom('tenants').select('id').where('slug', '=', 'default').executeTakeFirstOrThrow();
      const userIds: number[] = [];
      for (const rows of chunks(userCount, (i) => {
        const email = `bench-member-${String(i + 1).padStart(5, '0')}@example.com`;
        return {
          tenant_id: tenant.id,
          name: `Bench Member ${i + 1}`,
          email,
          email_key: email.toLowerCase(),
          password_hash: PASSWORD_HASH,
          tenant_role: 'member' as const,
          created_at: now,
          updated_at: now,
        };
      })) {
        const inserted = await tx.insertInto('users').values(rows).returning('id').execute();
        userIds.push(...inserted.map((row) => row.id));
      }
      if (userIds.length !== userCount) throw new Error(`seeded ${userIds.length} users, expected ${userCount}`);

      for (const seed of seeds) {
        const memberIds = userIds.slice(0, seed.members - 1);
        for (const rows of chunks(memberIds.length, (i) => ({
          workspace_id: seed.workspaceId,
          user_id: memberIds[i] as number,
          role: 'member',
          created_at: now,
          updated_at: now,
        }))) {
          await tx.insertInto('memberships').values(rows).execute();
        }
      }
    });
  } finally {
    await db.destroy();
  }
}

/** Rows 0…count-1 made by `row`, in slices of CHUNK_ROWS. */
function* chunks<T>(count: number, row: (index: number) => T): Generator<T[]> {
  for (let start = 0; start < count; start += CHUNK_ROWS) {
    const end = Math.min(count, start + CHUNK_ROWS);
    yield Array.from({ length: end - start }, (_, offset) => row(start + offset));
  }
}
