import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { redactUrl } from '../src/core/redact.ts';

export type BenchEngine = 'sqlite' | 'postgres';

/** A database no earlier run has touched, and the environment that points a server at it. */
export interface BenchDatabase {
  engine: BenchEngine;
  /** What the report says about where the data lives (never a password). */
  label: string;
  env: { DATA_DIR: string; DATABASE_URL?: string; SECRETS_KEY?: string };
  drop(): Promise<void>;
}

const DEFAULT_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/test';

export function sqliteDatabase(): BenchDatabase {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tessera-bench-'));
  return {
    engine: 'sqlite',
    label: path.join(dataDir, 'tessera.sqlite'),
    env: { DATA_DIR: dataDir },
    drop: async () => rmSync(dataDir, { recursive: true, force: true }),
  };
}

/**
 * The PostgreSQL admin URL to bench against, or why PostgreSQL is skipped. An
 * explicitly configured URL that does not answer is an error, not a skip: the
 * caller asked for PostgreSQL.
 */
export async function findPostgres(
  env: NodeJS.ProcessEnv,
): Promise<{ adminUrl: string; skip?: undefined } | { adminUrl?: undefined; skip: string }> {
  const configured = env.BENCH_DATABASE_URL || env.TEST_DATABASE_URL;
  const adminUrl = configured || DEFAULT_ADMIN_URL;
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    return { adminUrl };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    if (configured) throw new Error(`PostgreSQL at ${redactUrl(adminUrl)} did not answer: ${reason}`);
    return { skip: `no BENCH_DATABASE_URL/TEST_DATABASE_URL and nothing answers on ${DEFAULT_ADMIN_URL} (${reason})` };
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function postgresDatabase(adminUrl: string): Promise<BenchDatabase> {
  const name = `tessera_bench_${randomBytes(6).toString('hex')}`;
  await admin(adminUrl, `create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  // DATA_DIR too, so nothing the server might write lands in the repository's ./data.
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tessera-bench-'));
  return {
    engine: 'postgres',
    label: redactUrl(url.toString()),
    env: { DATA_DIR: dataDir, DATABASE_URL: url.toString(), SECRETS_KEY: randomBytes(32).toString('base64url') },
    drop: async () => {
      rmSync(dataDir, { recursive: true, force: true });
      await admin(adminUrl, `drop database if exists ${name} with (force)`);
    },
  };
}

async function admin(adminUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
