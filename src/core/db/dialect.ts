import fs from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import {
  PostgresAdapter,
  PostgresDialect,
  SqliteDialect,
  sql,
  type ColumnDataType,
  type CreateTableBuilder,
  type Dialect,
  type Kysely,
  type Transaction,
  type Compilable,
  type CompiledQuery,
  type QueryResult,
  type RawBuilder,
  type PostgresPoolClient,
  type SqliteDatabase as KyselySqliteDatabase,
  type SqliteStatement as KyselySqliteStatement,
} from 'kysely';
import { createHash } from 'node:crypto';
import pg from 'pg';
import { setNewest } from '../cache/bounded-map.ts';
import { walFileSync, WalSync } from './wal-sync.ts';

export type Engine = 'sqlite' | 'postgres';

/**
 * The one place where SQLite and PostgreSQL differ. Everything else speaks
 * portable Kysely; anything engine-specific is a function here.
 */

export interface SqliteOptions {
  file: string;
  synchronous: 'FULL' | 'NORMAL';
}

/** Any Kysely instance or transaction: its adapter tells the engine. */
export function engineOf(executor: { getExecutor(): { readonly adapter: unknown } }): Engine {
  return executor.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}

/** How long SQLite waits for a lock another process holds before answering busy. */
export const SQLITE_BUSY_TIMEOUT_MS = 5000;

/** The WAL syncs of each SQLite database opened with synchronous=FULL, by its Kysely adapter (shared by its transactions). */
const walSyncs = new WeakMap<object, WalSync>();

/**
 * Whether anything a kept value may depend on was committed to a SQLite database since a
 * moment, told without a query of its tables: `pragma data_version` moves when another
 * connection (another process, the CLI) commits, and this connection's own changes are
 * counted as its statements run. Two equal marks mean no such commit came between them.
 * Not counted: a statement that changed no row, a statement declared unwatched
 * (`writeUnwatched`), and the end of a transaction that wrote nothing counted; so a busy
 * tenant's sign-ins and token refreshes leave the mark alone. A statement that changed no
 * row wrote nothing only while every trigger that writes runs after a changed row: SQLite
 * runs BEFORE and INSTEAD OF triggers for rows an OR IGNORE then drops, so those may only
 * raise (test/unit/change-mark.test.ts holds the schema to it).
 */
class CommitWatch {
  private ownWrites = 0;
  /** A counted write ran since the last transaction end. */
  private countedSinceEnd = false;
  private dataVersion: SqliteDatabase.Statement<[], number> | undefined;

  watch(database: SqliteDatabase.Database): void {
    this.dataVersion = database.prepare<[], number>('pragma data_version').pluck();
  }

  wrote(): void {
    this.ownWrites += 1;
    this.countedSinceEnd = true;
  }

  ended(): void {
    if (!this.countedSinceEnd) return;
    this.ownWrites += 1;
    this.countedSinceEnd = false;
  }

  /** Undefined until the connection is open. */
  mark(): string | undefined {
    return this.dataVersion && `${this.dataVersion.get()}.${this.ownWrites}`;
  }
}

/**
 * Texts of statements that change nothing a change mark guards, whatever their parameters
 * and triggers, declared by the code that runs them. Bounded by the code's query shapes.
 */
const unwatchedStatements = new Set<string>();

/**
 * Runs a write that leaves this process's change marks (`changeMarkOf`) where they are:
 * for a statement that, with any parameters, changes nothing a kept value is checked
 * against (a refresh token's row, a session's extension). Another process still sees the
 * commit through `pragma data_version`.
 */
export async function writeUnwatched<Row>(
  executor: { executeQuery<R>(query: CompiledQuery<R>): Promise<QueryResult<R>> },
  query: Compilable<Row>,
): Promise<QueryResult<Row>> {
  const compiled = query.compile();
  unwatchedStatements.add(compiled.sql);
  return executor.executeQuery(compiled);
}

const commitWatches = new WeakMap<object, CommitWatch>();

/**
 * For a SQLite database (or any of its transactions), a mark that stays the same exactly
 * while nothing is committed to it, by this process or any other; undefined for PostgreSQL,
 * where only a query can tell.
 */
export function changeMarkOf(db: { getExecutor(): { readonly adapter: object } }): (() => string | undefined) | undefined {
  const watch = commitWatches.get(db.getExecutor().adapter);
  return watch && (() => watch.mark());
}

/**
 * The group commit of a SQLite database opened with synchronous=FULL (see ./wal-sync.ts),
 * for `db` or any of its transactions; undefined for PostgreSQL and synchronous=NORMAL.
 */
export function walSyncOf(db: { getExecutor(): { readonly adapter: object } }): WalSync | undefined {
  return walSyncs.get(db.getExecutor().adapter);
}

export function createSqliteDialect(options: SqliteOptions): Dialect {
  fs.mkdirSync(path.dirname(options.file), { recursive: true });
  // FULL survives power loss, NORMAL process crashes only (see README). FULL is kept by
  // syncing the WAL off the event loop (./wal-sync.ts), so SQLite itself runs with NORMAL.
  const walFile = options.synchronous === 'FULL' ? walFileSync(options.file) : undefined;
  const walSync = walFile ? new WalSync(walFile.sync) : undefined;
  const commits = new CommitWatch();
  const config = {
    database: async (): Promise<KyselySqliteDatabase> => {
      const database = new SqliteDatabase(options.file, { timeout: SQLITE_BUSY_TIMEOUT_MS });
      // exec, not pragma(): pragma() prepares a throwaway statement, and on Node 24 the garbage
      // collection of a better-sqlite3 statement can abort the process (see withStatementCache).
      // busy_timeout first: switching to WAL needs a lock another starting process may hold.
      database.exec(`pragma busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
      database.exec('pragma journal_mode = WAL');
      database.exec('pragma synchronous = NORMAL');
      database.exec('pragma foreign_keys = ON');
      commits.watch(database);
      const cached = withStatementCache(database, commits);
      if (!walFile) return cached;
      return {
        prepare: (text) => cached.prepare(text),
        close: () => {
          cached.close();
          // A last sync and the handle closed; a failure there has no one left to answer to.
          void walFile.close().catch(() => undefined);
        },
      };
    },
  };
  return new (class extends SqliteDialect {
    override createAdapter() {
      const adapter = super.createAdapter();
      if (walSync) walSyncs.set(adapter, walSync);
      commitWatches.set(adapter, commits);
      return adapter;
    }
  })(config);
}

const CACHED_STATEMENTS = 2000;

/**
 * Kysely prepares every query anew; better-sqlite3 statements are reusable, and
 * preparing costs more than running for the short indexed queries Tessera makes.
 * Statements are used one at a time (Kysely holds the single connection behind a
 * mutex), so reusing them is safe. Bounded, the oldest dropped first; the bound is far
 * above the number of query shapes in the code, so statements are in practice never
 * garbage collected while the database is open (better-sqlite3 12 on Node 24 can abort
 * the process when it finalizes a collected statement: WiseLibs/better-sqlite3#1515).
 */
function withStatementCache(database: SqliteDatabase.Database, commits: CommitWatch): KyselySqliteDatabase {
  const statements = new Map<string, KyselySqliteStatement>();
  return {
    close: () => database.close(),
    prepare(text) {
      let statement = statements.get(text);
      if (!statement) {
        const prepared = database.prepare(text);
        statement = ENDS_TRANSACTION.test(text)
          ? endingTransaction(prepared, commits)
          : prepared.readonly || unwatchedStatements.has(text)
            ? prepared
            : countingWrites(prepared, commits);
        setNewest(statements, text, statement, CACHED_STATEMENTS);
      }
      return statement;
    },
  };
}

// SQLite calls these read-only; counted anyway after a counted write, so a mark never rests on
// when a transaction's writes became visible. Not `rollback to` a savepoint: the transaction goes on.
const ENDS_TRANSACTION = /^\s*(commit|end|rollback)\b(?!\s+to\b)/i;

function endingTransaction(statement: SqliteDatabase.Statement, commits: CommitWatch): KyselySqliteStatement {
  return {
    reader: statement.reader,
    all: (parameters) => (commits.ended(), statement.all(parameters)),
    run: (parameters) => (commits.ended(), statement.run(parameters)),
    iterate: (parameters) => (commits.ended(), statement.iterate(parameters)),
  };
}

/**
 * A statement that changes data: counted before it when it returns rows, after it otherwise,
 * and then only when it changed a row or failed.
 */
function countingWrites(statement: SqliteDatabase.Statement, commits: CommitWatch): KyselySqliteStatement {
  return {
    reader: statement.reader,
    all(parameters) {
      commits.wrote();
      return statement.all(parameters);
    },
    run(parameters) {
      let result: SqliteDatabase.RunResult;
      try {
        result = statement.run(parameters);
      } catch (error) {
        // ON CONFLICT FAIL or RAISE(FAIL) keep what the statement changed before it failed.
        commits.wrote();
        throw error;
      }
      if (result.changes > 0) commits.wrote();
      return result;
    },
    iterate(parameters) {
      commits.wrote();
      return statement.iterate(parameters);
    },
  };
}

/** Timestamps arrive as ISO-8601 strings on both engines. */
const TIMESTAMPTZ_OID = 1184;
const INT8_OID = 20;

export function createPostgresPool(connectionString: string, max: number): pg.Pool {
  return new pg.Pool({
    connectionString,
    max,
    connectionTimeoutMillis: 5000,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
        if (oid === TIMESTAMPTZ_OID) return (value: string) => new Date(value).toISOString();
        // count(*) and sums are int8; every such figure here fits a JS number.
        if (oid === INT8_OID) return (value: string) => Number(value);
        return pg.types.getTypeParser(oid, format) as (value: string) => unknown;
      }) as typeof pg.types.getTypeParser,
    },
  });
}

/**
 * Runs every query as a named prepared statement (named by a digest of its text), so
 * PostgreSQL parses and plans each distinct query once per connection: for the
 * multi-join request-context query, planning costs more than executing. The set of
 * texts is bounded by the code's query shapes.
 */
export function createPostgresDialect(pool: pg.Pool): Dialect {
  // An idle client losing its connection must not crash the process; the next query reports it.
  pool.on('error', () => undefined);
  // Named once per text: hashing a 3,000-character query costs ~3.7 µs, on every run.
  const names = new Map<string, string>();
  const statementName = (text: string) => {
    let name = names.get(text);
    if (name === undefined) {
      name = `t_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
      setNewest(names, text, name, CACHED_STATEMENTS);
    }
    return name;
  };
  return new PostgresDialect({
    pool: {
      end: () => pool.end(),
      async connect() {
        const client = await pool.connect();
        return {
          release: () => client.release(),
          query: ((textOrCursor: string | object, values?: ReadonlyArray<unknown>) =>
            typeof textOrCursor === 'string'
              ? client.query({ name: statementName(textOrCursor), text: textOrCursor, values: values as unknown[] })
              : client.query(textOrCursor as never)) as unknown as PostgresPoolClient['query'],
        };
      },
    },
  });
}

/** Column types that differ between engines. */
export function timestampType(engine: Engine): ColumnDataType {
  return engine === 'postgres' ? 'timestamptz' : 'text';
}

/** An auto-incrementing integer primary key named `id`. */
export function withIdColumn<T extends string>(
  builder: CreateTableBuilder<T, never>,
  engine: Engine,
): CreateTableBuilder<T, 'id'> {
  return engine === 'postgres'
    ? builder.addColumn('id', 'serial', (column) => column.primaryKey())
    : builder.addColumn('id', 'integer', (column) => column.primaryKey().autoIncrement());
}

/**
 * Locks one row until the transaction ends, on PostgreSQL, so changes that count its
 * children (owners of a tenant or workspace, workspaces of a user) run one at a time.
 * SQLite needs none: every write transaction there starts with BEGIN IMMEDIATE and runs alone.
 */
export async function lockRow<DB>(tx: Transaction<DB>, table: keyof DB & string, id: number): Promise<void> {
  if (engineOf(tx) === 'postgres') await sql`select id from ${sql.table(table)} where id = ${id} for update`.execute(tx);
}

/**
 * `FOR <strength>` on PostgreSQL, nothing on SQLite, whose BEGIN IMMEDIATE already runs one
 * writer at a time: the row lock a read inside a write transaction takes.
 */
export function lockClause(executor: { getExecutor(): { readonly adapter: unknown } }, strength: 'update' | 'share' | 'key share') {
  return engineOf(executor) === 'postgres' ? sql` for ${sql.raw(strength)}` : sql``;
}

/** Serializes migration runs across processes; SQLite's BEGIN IMMEDIATE already does. */
export async function lockMigrations<DB>(executor: Kysely<DB>, engine: Engine): Promise<void> {
  if (engine === 'postgres') await sql`select pg_advisory_xact_lock(7235101)`.execute(executor);
}

/** A unique-index violation; with `column`, only one whose index covers that column. */
export function isUniqueViolation(error: unknown, column?: string): boolean {
  const { code, message, constraint, detail } = (error ?? {}) as Record<string, unknown>;
  const unique = code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
  if (!unique || column === undefined) return unique;
  // SQLite names the columns in its message; PostgreSQL names them in `detail` and the index in `constraint`.
  return [message, constraint, detail].some((text) => typeof text === 'string' && text.includes(column));
}

/** pg-pool's words when no connection came free within connectionTimeoutMillis; the error has no code. */
const POOL_WAIT_EXCEEDED = 'timeout exceeded when trying to connect';

export function isBusy(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  // Every connection held by other requests for longer than the pool waits: busy, not broken.
  if (code === undefined && message === POOL_WAIT_EXCEEDED) return true;
  // SQLite lock contention (with its extended codes: SQLITE_BUSY_RECOVERY, SQLITE_BUSY_SNAPSHOT …);
  // PostgreSQL serialization failure or deadlock.
  if (typeof code !== 'string') return false;
  return code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED') || code === '40001' || code === '40P01';
}

/** The largest id either engine stores (PostgreSQL `serial` is int4). */
export const MAX_STORED_ID = 2_147_483_647;

/** Comma-joined values of a column across rows (a transport format for one round trip, never storage). */
export function joinedList(engine: Engine, column: RawBuilder<unknown>) {
  return engine === 'postgres' ? sql<string | null>`string_agg(${column}, ',')` : sql<string | null>`group_concat(${column}, ',')`;
}

/** Text PostgreSQL cannot store (NUL, invalid encoding), when a schema let it through. */
export function isUnstorableText(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '22021' || code === '22P05';
}

export function isForeignKeyViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23503' || code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}

/**
 * A named rule the database refused: a check constraint, or a trigger raising the rule's
 * name (PostgreSQL `check_violation` naming the constraint, SQLite `RAISE(ABORT, name)`).
 */
export function isRuleViolation(error: unknown, rule: string): boolean {
  const { code, message, constraint } = (error ?? {}) as Record<string, unknown>;
  const refused = code === '23514' || code === 'SQLITE_CONSTRAINT_CHECK' || code === 'SQLITE_CONSTRAINT_TRIGGER';
  return refused && [message, constraint].some((text) => typeof text === 'string' && text.includes(rule));
}

/** `column` starts with `prefix`, LIKE's wildcards in it escaped so a searched `%` or `_` is itself (both engines). */
export const startsWith = (column: string, prefix: string) =>
  sql<boolean>`${sql.ref(column)} like ${`${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`} escape '\\'`;
