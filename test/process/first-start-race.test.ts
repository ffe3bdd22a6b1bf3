import { readdirSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/engines.ts';
import {
  PASSWORD,
  REPO_ROOT,
  api,
  killAllServers,
  openDirect,
  registerUser,
  serverOutput,
  spawnServer,
  uniqueProcessEmail,
  type ServerProcess,
} from '../support/process.ts';

/** Fresh databases raced in one run; RACE_REPEATS overrides (say, 20 when hunting a rare failure). */
const RACES = Number(process.env.RACE_REPEATS ?? 3);

/** The released migrations, as files rather than the runner's list: a file left out of that list is a bug too. */
const MIGRATION_NAMES = readdirSync(path.join(REPO_ROOT, 'src/schema/migrations'))
  .filter((file) => /^\d{4}-.+\.ts$/.test(file))
  .map((file) => file.replace(/\.ts$/, ''))
  .sort();

async function kidsOf(server: ServerProcess): Promise<string[]> {
  const response = await api(server.url, 'GET', '/.well-known/jwks.json');
  expect(response.status, serverOutput(server)).toBe(200);
  return response.body.keys.map((key: { kid: string }) => key.kid);
}

describe('two processes starting at once on one empty database', () => {
  let database: TestDatabase | undefined;

  afterEach(async () => {
    await killAllServers();
    await database?.drop();
    database = undefined;
  });

  it('end with one schema, one `default` tenant and one signing key', { timeout: 30_000 + RACES * 25_000 }, async () => {
    expect(MIGRATION_NAMES.length).toBeGreaterThan(0);

    for (let race = 1; race <= RACES; race += 1) {
      database = await createTestDatabase();
      const servers = await Promise.all([spawnServer(database.env), spawnServer(database.env)]);
      const [a, b] = servers;
      // Both must come up: the loser of the migration race waits, it does not crash.
      await Promise.all(servers.map((server) => server.waitReady(30_000)));

      const [kidsA, kidsB] = await Promise.all([kidsOf(a), kidsOf(b)]);
      expect(kidsA, `race ${race}: one signing key`).toHaveLength(1);
      expect(kidsB, `race ${race}: both serve the same key`).toEqual(kidsA);

      // A token issued by one process is accepted by the other, both ways.
      const emailA = uniqueProcessEmail('race-a');
      const fromA = await registerUser(a, emailA);
      const meOnB = await api(b.url, 'GET', '/api/v1/me', { token: fromA.accessToken });
      expect(meOnB.status, JSON.stringify(meOnB.body)).toBe(200);
      expect(meOnB.body.data).toMatchObject({ id: fromA.userId, email: emailA, tenant_role: 'owner' });

      const emailB = uniqueProcessEmail('race-b');
      const fromB = await registerUser(b, emailB);
      const meOnA = await api(a.url, 'GET', '/api/v1/me', { token: fromB.accessToken });
      expect(meOnA.status, JSON.stringify(meOnA.body)).toBe(200);
      expect(meOnA.body.data).toMatchObject({ id: fromB.userId, email: emailB, tenant_role: 'member' });

      const loginOnA = await api(a.url, 'POST', '/api/v1/auth/login', { body: { email: emailB, password: PASSWORD } });
      expect(loginOnA.status).toBe(200);

      const exits = await Promise.all(servers.map((server) => server.stop()));
      for (const [index, exit] of exits.entries()) {
        expect(exit, `race ${race}: graceful stop\n${serverOutput(servers[index]!)}`).toEqual({ code: 0, signal: null });
      }

      const direct = openDirect(database.env);
      const db = direct.db;
      try {
        const defaults = await db
          .selectFrom('tenants')
          .select((eb) => eb.fn.countAll<number>().as('count'))
          .where('slug', '=', 'default')
          .executeTakeFirstOrThrow();
        expect(Number(defaults.count), `race ${race}: default tenants`).toBe(1);
        const tenants = await db
          .selectFrom('tenants')
          .select((eb) => eb.fn.countAll<number>().as('count'))
          .executeTakeFirstOrThrow();
        expect(Number(tenants.count), `race ${race}: tenants`).toBe(1);
        const keys = await db.selectFrom('signing_keys').select('kid').execute();
        expect(
          keys.map((key) => key.kid),
          `race ${race}: signing keys`,
        ).toEqual(kidsA);
        const migrations = await db.selectFrom('schema_migrations').select('name').orderBy('name').execute();
        expect(
          migrations.map((row) => row.name),
          `race ${race}: schema_migrations`,
        ).toEqual(MIGRATION_NAMES);
        const users = await sql<{ count: number }>`select count(*) as count from users`.execute(db);
        expect(Number(users.rows[0]?.count)).toBe(2);
      } finally {
        await direct.close();
      }

      await database.drop();
      database = undefined;
    }
  });
});
