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
} from '../support/process.ts';

const SHUTDOWN_TIMEOUT_MS = 4000;
const CLIENTS = 4;

describe('SIGTERM while requests are in flight', () => {
  let database: TestDatabase | undefined;

  afterEach(async () => {
    await killAllServers();
    await database?.drop();
    database = undefined;
  });

  /*
   * A keep-alive connection busy when SIGTERM arrives must still get its answer, and
   * then be closed (Connection: close), so server.close() does not wait for the client
   * or KEEP_ALIVE_TIMEOUT_MS, longer than SHUTDOWN_TIMEOUT_MS.
   */
  it(
    'answers them, keeps what it acknowledged and exits 0 within the shutdown timeout',
    { timeout: 60_000 },
    async () => {
      database = await createTestDatabase();
      const server = await spawnServer({ ...database.env, SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS) });
      await server.waitReady(30_000);

      // Clients like a load balancer's: keep-alive connections, no new requests once the signal is out.
      let signalled = false;
      let firstAcknowledged: () => void = () => undefined;
      const busy = new Promise<void>((resolve) => (firstAcknowledged = resolve));
      const acknowledged: string[] = [];
      const answers: string[] = [];
      const clients = Array.from({ length: CLIENTS }, async (_, client) => {
        while (!signalled) {
          const email = uniqueProcessEmail(`term-k${client}`);
          try {
            const response = await api(server.url, 'POST', '/api/v1/auth/register', {
              body: { name: 'Shutdown Test', email, password: PASSWORD },
              timeoutMs: 20_000,
            });
            answers.push(`${response.status}${signalled ? ' (after SIGTERM)' : ''}`);
            if (response.status === 201) {
              acknowledged.push(email);
              firstAcknowledged();
            }
          } catch (error) {
            answers.push(`no answer: ${String(error)}`);
            return;
          }
        }
      });

      await busy;
      const signalledAt = Date.now();
      signalled = true;
      const exit = await server.stop(SHUTDOWN_TIMEOUT_MS + 10_000);
      const shutdownMs = Date.now() - signalledAt;
      await Promise.all(clients);

      expect(acknowledged.length).toBeGreaterThan(0);
      expect(
        { exit, withinTimeout: shutdownMs < SHUTDOWN_TIMEOUT_MS },
        `shutdown took ${shutdownMs} ms; answers: ${answers.join(', ')}\n${serverOutput(server)}`,
      ).toEqual({ exit: { code: 0, signal: null }, withinTimeout: true });

      const direct = openDirect(database.env);
      try {
        const stored = new Set((await direct.db.selectFrom('users').select('email').execute()).map((row) => row.email));
        expect(acknowledged.filter((email) => !stored.has(email))).toEqual([]);
      } finally {
        await direct.close();
      }
    },
  );
});
