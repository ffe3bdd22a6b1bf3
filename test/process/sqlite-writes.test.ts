/**
 * SQLite's writes, SQLite only:
 * - the write lock held by another process (the CLI, a second instance): this process
 *   keeps answering, reads included, while its own write waits for the lock, and the
 *   write goes through once the lock is let go;
 * - synchronous=FULL by group commit (src/core/db/wal-sync.ts): every acknowledged write
 *   is there, and concurrent commits share disk syncs.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentEngine } from '../support/engines.ts';
import { createWorkspace, register, startSecondApp, startTestApp, uniqueEmail, type Session, type TestApp } from '../support/test-app.ts';

const HOLD_MS = 800;
const betterSqlite = createRequire(import.meta.url).resolve('better-sqlite3');

/** Another process that takes the write lock, holds it HOLD_MS, and lets it go; resolves once it holds it. */
async function holdWriteLock(file: string): Promise<{ released: Promise<number>; child: ChildProcessWithoutNullStreams }> {
  const script = `
    const Database = require(${JSON.stringify(betterSqlite)});
    const db = new Database(${JSON.stringify(file)});
    db.exec('begin immediate');
    process.stdout.write('locked\\n');
    setTimeout(() => { db.exec('commit'); db.close(); process.stdout.write('released ' + Date.now() + '\\n'); }, ${HOLD_MS});`;
  const child = spawn(process.execPath, ['-e', script]);
  let resolveReleased: (at: number) => void = () => undefined;
  const released = new Promise<number>((resolve) => (resolveReleased = resolve));
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.stderr.on('data', (chunk: Buffer) => reject(new Error(chunk.toString())));
    child.stdout.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      if (text.includes('locked')) resolve();
      // Its own clock reading: this process may see the line late, if its event loop is held up.
      const releasedAt = /released (\d+)/.exec(text)?.[1];
      if (releasedAt) resolveReleased(Number(releasedAt));
    });
  });
  return { released, child };
}

describe.skipIf(currentEngine() !== 'sqlite')('a write lock held by another process (SQLite)', () => {
  let t: TestApp;
  let user: Session;
  let first: number;

  beforeAll(async () => {
    t = await startTestApp();
    user = await register(t, { name: 'Lock Waiter' });
    first = (await createWorkspace(t, user, 'Lock First')).id;
    await createWorkspace(t, user, 'Lock Second');
  });
  afterAll(async () => t.close());

  it('leaves reads answering while a write waits its turn, and the write then goes through', async () => {
    const { released, child } = await holdWriteLock(path.join(t.config.dataDir, 'tessera.sqlite'));
    try {
      const write = t
        .request({ method: 'PATCH', url: `/api/v1/workspace-context/${first}`, headers: user.auth })
        .then((response) => ({ status: response.statusCode, at: Date.now() }));
      // Reads of the database, one after another, while the lock is held.
      const reads: number[] = [];
      for (let i = 0; i < 3; i += 1) {
        const response = await t.request({ method: 'GET', url: '/api/v1/me', headers: user.auth });
        expect(response.statusCode).toBe(200);
        reads.push(Date.now());
      }
      const releasedAt = await released;
      const written = await write;
      expect(reads.every((at) => at < releasedAt)).toBe(true);
      expect(written.status).toBe(200);
      expect(written.at).toBeGreaterThanOrEqual(releasedAt);
      const me = await t.request({ method: 'GET', url: '/api/v1/me', headers: user.auth });
      expect(me.json().data.current_workspace_id).toBe(first);
    } finally {
      child.kill();
    }
  });
});

describe.skipIf(currentEngine() !== 'sqlite')('synchronous=FULL by group commit (SQLite)', () => {
  it('acknowledges every write of a burst, each committed, with fewer disk syncs than commits', async () => {
    const t = await startTestApp();
    const token = 'metrics-token-for-group-commit';
    const durable = await startSecondApp(t, { SQLITE_SYNCHRONOUS: 'FULL', METRICS_TOKEN: token });
    try {
      const inject = durable.app.inject.bind(durable.app);
      const registered = await inject({
        method: 'POST',
        url: '/api/v1/auth/register',
        payload: { name: 'Burst Owner', email: uniqueEmail('burst'), password: 'correct horse battery' },
      });
      const auth = { authorization: `Bearer ${registered.json().data.access_token}` };
      const workspace = await inject({ method: 'POST', url: '/api/v1/workspaces', headers: auth, payload: { name: 'Burst Store' } });
      const headers = { ...auth, 'x-workspace-id': String(workspace.json().data.id) };
      const emails = Array.from({ length: 40 }, (_, i) => uniqueEmail(`burst-${i}`).toLowerCase());
      const answers = await Promise.all(emails.map((email) => inject({ method: 'POST', url: '/api/v1/invitations', headers, payload: { email } })));
      expect(answers.map((answer) => answer.statusCode)).toEqual(emails.map(() => 201));

      const stored = await t.db.selectFrom('invitations').select('email').where('email', 'in', emails).execute();
      expect(stored.map((row) => row.email).sort()).toEqual([...emails].sort());
      const metrics = (await inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${token}` } })).body;
      const counter = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(metrics)?.[1]);
      const commits = counter('tessera_sqlite_commits_total');
      const syncs = counter('tessera_sqlite_wal_syncs_total');
      expect(commits).toBeGreaterThanOrEqual(42);
      expect(syncs).toBeGreaterThan(0);
      expect(syncs).toBeLessThan(commits);
    } finally {
      await durable.close();
      await t.close();
    }
  });
});
