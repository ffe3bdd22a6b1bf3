import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/engines.ts';
import { killAllServers, REPO_ROOT, serverOutput, spawnServer, type ServerProcess } from '../support/process.ts';

/**
 * The README's tour, run literally: its shell blocks in order with bash, then its
 * TypeScript block with tsx, against a fresh server. Only the base URL is swapped for the
 * test server's. Every curl fails the run on an HTTP error (`--fail-with-body`), so a
 * command that stops working, or runs out of order, fails this test.
 */

const execFileAsync = promisify(execFile);
const README_BASE_URL = 'http://127.0.0.1:3000';

function tourBlocks(language: 'sh' | 'ts'): string[] {
  const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('## A short tour');
  const end = readme.indexOf('\n## ', start + 1);
  if (start < 0) throw new Error('README.md has no "## A short tour" section');
  const section = readme.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(new RegExp('```' + language + '\\n([\\s\\S]*?)```', 'g'))].map((match) => match[1] ?? '');
}

let database: TestDatabase;
let server: ServerProcess;

beforeAll(async () => {
  database = await createTestDatabase();
  server = await spawnServer(database.env);
  await server.waitReady(30_000);
});

afterAll(async () => {
  await killAllServers();
  await database.drop();
});

describe("the README's tour", () => {
  it('runs top to bottom as written: the shell blocks, then the typed client', { timeout: 60_000 }, async () => {
    const shell = tourBlocks('sh');
    expect(shell.length).toBeGreaterThanOrEqual(3);
    const script = ['set -euo pipefail', 'curl() { command curl --fail-with-body "$@"; }', ...shell]
      .join('\n')
      .replaceAll(README_BASE_URL, server.url);
    let stdout: string;
    try {
      ({ stdout } = await execFileAsync('bash', ['-c', script], { cwd: REPO_ROOT, timeout: 30_000 }));
    } catch (error) {
      const failed = error as { stdout?: string; stderr?: string; code?: number };
      throw new Error(`the tour stopped (exit ${failed.code}):\n${failed.stdout}\n${failed.stderr}\n${serverOutput(server)}`);
    }
    expect(stdout).toContain('"tenant_role":"owner"');
    expect(stdout).toContain('"name":"New Branch"');
    expect(stdout).toMatch(/"delivery": "outbox"/);
    expect(stdout).toContain('"workspace_name":"New Branch"');
    expect(stdout).toContain('"sub_workspace_name":"Bob Store"');
    expect(stdout).toContain('[{"permission":"contacts:create","reason":"revoked_by_override"}]');
    expect(stdout).toContain('"portal_access_code_set":true');
    expect(stdout).toContain('["transfer_out","-5"]');
    expect(stdout).toContain('{"quantity":"12.5","value":"125.00"}');
    expect(stdout).toMatch(/^location_id,location,item_id,sku,item,unit,quantity,unit_cost,value\r$/m);
    expect(stdout).toMatch(/"restricted":true,"location_ids":\[\d+\],"lifted_by":null/);
    expect(stdout).toMatch(/\[\d+,"7\.5"\]\n\[\d+,"5"\]/);
    expect(stdout).toContain('"email":"carla@example.com"');
    expect(stdout.toLowerCase()).toContain('x-acting-from-workspace-id');

    const [client] = tourBlocks('ts');
    expect(client).toBeDefined();
    // Written beside client/ so the block's own import path resolves, as it does for a reader in the repository.
    const file = path.join(REPO_ROOT, `.readme-tour-${process.pid}.mts`);
    writeFileSync(file, client ?? '');
    try {
      const run = await execFileAsync(process.execPath, ['--import', 'tsx', file], {
        cwd: REPO_ROOT,
        env: { ...process.env, B: server.url, NODE_OPTIONS: '' },
        timeout: 30_000,
      });
      // Ann is the tenant's owner: she sees every workspace of the tenant, Bob's too.
      expect(run.stdout).toContain("[ 'New Branch', 'Bob Store' ]");
      expect(run.stdout).toContain('404 WORKSPACE.NOT_FOUND');
    } finally {
      rmSync(file, { force: true });
    }
  });
});
