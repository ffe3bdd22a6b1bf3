import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/engines.ts';
import {
  PASSWORD,
  api,
  killAllServers,
  openDirect,
  serverOutput,
  spawnServer,
  uniqueProcessEmail,
  type ServerProcess,
} from '../support/process.ts';

const CYCLES = Number(process.env.CRASH_CYCLES ?? 5);
const CLIENTS = 4;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** PRAGMA integrity_check on a read-only connection; only while no server has the file open. */
function sqliteIntegrity(dataDir: string): string {
  const file = new SqliteDatabase(path.join(dataDir, 'tessera.sqlite'), { readonly: true, fileMustExist: true });
  try {
    const rows = file.pragma('integrity_check') as Array<{ integrity_check: string }>;
    return rows.map((row) => row.integrity_check).join('; ');
  } finally {
    file.close();
  }
}

/** Logs every email in with `concurrency` clients at a time; returns the failures. */
async function failedLogins(server: ServerProcess, emails: readonly string[], concurrency = 4): Promise<string[]> {
  const failures: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < emails.length) {
        const email = emails[next++]!;
        const response = await api(server.url, 'POST', '/api/v1/auth/login', { body: { email, password: PASSWORD } });
        if (response.status !== 200 || response.body?.data?.user?.email !== email) {
          failures.push(`${email}: ${response.status} ${JSON.stringify(response.body)}`);
        }
      }
    }),
  );
  return failures;
}

describe('kill -9 during registrations', () => {
  let database: TestDatabase | undefined;

  afterEach(async () => {
    await killAllServers();
    await database?.drop();
    database = undefined;
  });

  it('loses no acknowledged user', { timeout: 40_000 + CYCLES * 20_000 }, async () => {
    expect(CYCLES).toBeGreaterThan(0);
    database = await createTestDatabase();
    const dataDir = database.env.DATA_DIR!;
    const acknowledged: string[] = [];
    let unverified: string[] = [];
    const cycleLog: string[] = [];

    for (let cycle = 1; cycle <= CYCLES; cycle += 1) {
      const server = await spawnServer(database.env);
      await server.waitReady(30_000);

      // What the previous cycle acknowledged survived its SIGKILL and the recovery.
      const lost = await failedLogins(server, unverified);
      expect(lost, `cycle ${cycle}: acknowledged before the last kill but cannot log in`).toEqual([]);
      unverified = [];

      let killed = false;
      const unexpected: string[] = [];
      const acknowledgedThisCycle: string[] = [];
      const clients = Array.from({ length: CLIENTS }, async (_, client) => {
        while (!killed) {
          const email = uniqueProcessEmail(`crash-c${cycle}-k${client}`);
          let response;
          try {
            response = await api(server.url, 'POST', '/api/v1/auth/register', {
              body: { name: 'Crash Test', email, password: PASSWORD },
              timeoutMs: 20_000,
            });
          } catch (error) {
            // No answer: expected once the process is gone, a failure before.
            if (!killed) unexpected.push(`${email}: ${String(error)}`);
            return;
          }
          if (response.status === 201) acknowledgedThisCycle.push(email);
          else unexpected.push(`${email}: ${response.status} ${JSON.stringify(response.body)}`);
        }
      });

      const delay = 300 + Math.floor(Math.random() * 1200);
      await sleep(delay);
      killed = true;
      const exit = await server.kill();
      await Promise.all(clients);
      expect(exit.signal, serverOutput(server)).toBe('SIGKILL');
      expect(unexpected, `cycle ${cycle}: registrations answered with something other than 201\n${serverOutput(server)}`).toEqual([]);

      if (database.engine === 'sqlite') {
        expect(sqliteIntegrity(dataDir), `cycle ${cycle}: integrity right after SIGKILL`).toBe('ok');
      }
      cycleLog.push(`cycle ${cycle}: killed after ${delay} ms, ${acknowledgedThisCycle.length} acknowledged`);
      acknowledged.push(...acknowledgedThisCycle);
      unverified = acknowledgedThisCycle;
    }

    const last = await spawnServer(database.env);
    await last.waitReady(30_000);
    expect(await failedLogins(last, unverified), 'acknowledged before the last kill but cannot log in').toEqual([]);
    expect(await last.stop(), serverOutput(last)).toEqual({ code: 0, signal: null });

    if (database.engine === 'sqlite') expect(sqliteIntegrity(dataDir), 'integrity after recovery').toBe('ok');

    const direct = openDirect(database.env);
    const db = direct.db;
    try {
      const stored = new Set(
        (await db.selectFrom('users').select('email').execute()).map((row) => row.email),
      );
      expect(acknowledged.filter((email) => !stored.has(email)), 'acknowledged users missing from the table').toEqual([]);
      // Register writes user, session and refresh token in one transaction: a crash leaves all or none.
      const usersWithoutSession = await sql<{ email: string }>`
        select email from users u where not exists (select 1 from sessions s where s.user_id = u.id)`.execute(db);
      expect(usersWithoutSession.rows, 'users without a session').toEqual([]);
      const sessionsWithoutToken = await sql<{ id: number }>`
        select id from sessions s where not exists (select 1 from refresh_tokens r where r.session_id = s.id)`.execute(db);
      expect(sessionsWithoutToken.rows, 'sessions without a refresh token').toEqual([]);
    } finally {
      await direct.close();
    }

    const summary = `crash (${database.engine}): ${CYCLES} cycles, ${acknowledged.length} acknowledged users checked\n  ${cycleLog.join('\n  ')}`;
    console.log(summary);
    expect(acknowledged.length, 'no registration was acknowledged at all: the test proved nothing').toBeGreaterThan(0);
  });
});
