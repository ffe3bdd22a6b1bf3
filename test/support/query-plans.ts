import { CompiledQuery, type KyselyPlugin, type QueryResult, type RootOperationNode, type UnknownRow } from 'kysely';
import type { TestApp } from './test-app.ts';

/**
 * The statements `work` sends, compiled as the engine receives them: a plan checked on
 * these is the plan of the very statements a repository sends.
 */
export async function statementsOf(t: TestApp, work: (db: TestApp['db']) => Promise<unknown>): Promise<CompiledQuery[]> {
  const nodes: { node: RootOperationNode; queryId: Parameters<KyselyPlugin['transformQuery']>[0]['queryId'] }[] = [];
  const recorder: KyselyPlugin = {
    transformQuery: (args) => (nodes.push(args), args.node),
    transformResult: async (args) => args.result,
  };
  await work(t.db.withPlugin(recorder));
  // getExecutor is Kysely's internal way in to its compiler; kept to a test, where it breaks loudly.
  return nodes.map(({ node, queryId }) => t.db.getExecutor().compileQuery(node, queryId));
}

/**
 * The engine's plan of one statement, as text lines: SQLite's query plan, PostgreSQL's
 * EXPLAIN of its generic plan. Tessera runs every PostgreSQL query as a named prepared
 * statement, which PostgreSQL may plan once for any parameters after a few runs: a plan that
 * holds only for the values at hand (a partial index whose condition a parameter meets) would
 * then be dropped. SQLite plans with the values bound, and plans again when they change.
 */
export async function planOf(t: TestApp, query: CompiledQuery): Promise<string> {
  if (t.database.engine === 'sqlite') {
    const result: QueryResult<UnknownRow> = await t.db.executeQuery(CompiledQuery.raw(`explain query plan ${query.sql}`, [...query.parameters]));
    return result.rows.map((row) => String(row.detail)).join('\n');
  }
  return t.db.transaction().execute(async (tx) => {
    await tx.executeQuery(CompiledQuery.raw('set local plan_cache_mode = force_generic_plan'));
    await tx.executeQuery(CompiledQuery.raw(`prepare plan_under_test as ${query.sql}`));
    const result: QueryResult<UnknownRow> = await tx.executeQuery(CompiledQuery.raw(`explain execute plan_under_test(${query.parameters.map(literal).join(', ')})`));
    await tx.executeQuery(CompiledQuery.raw('deallocate plan_under_test'));
    return result.rows.map((row) => String(row['QUERY PLAN'])).join('\n');
  });
}

/** A parameter as a PostgreSQL literal, for EXECUTE's arguments (test values only: strings, numbers, null). */
function literal(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return `'${value.replaceAll("'", "''")}'`;
  throw new Error(`planOf: no literal for ${typeof value}`);
}
