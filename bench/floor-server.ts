import Fastify from 'fastify';
import { loadConfig } from '../src/core/config.ts';
import { inTransaction } from '../src/core/db/transaction.ts';
import { openDatabase } from '../src/schema/database.ts';

/**
 * The floors: what one indexed select, and one one-row update in a write transaction, cost
 * through Kysely behind a bare Fastify route, on the database Tessera migrated, opened
 * exactly as src/main.ts opens it. No auth, schemas, hooks or logging; Tessera's reads
 * are measured against the first, its writes against the second.
 */
const config = loadConfig(process.env);
const db = openDatabase(config).withTables<{ bench_write_floor: { id: number; n: number } }>();

// A table of the floor's own, which no trigger watches: the update moves no data version
// and touches no row Tessera reads. One row, updated by every connection, as Tessera's
// workspace switch updates the one bench user's row.
await db.schema
  .createTable('bench_write_floor')
  .ifNotExists()
  .addColumn('id', 'integer', (c) => c.primaryKey())
  .addColumn('n', 'integer', (c) => c.notNull())
  .execute();
await db
  .insertInto('bench_write_floor')
  .values({ id: 1, n: 0 })
  .onConflict((oc) => oc.column('id').doNothing())
  .execute();

const app = Fastify({ logger: false });

app.get('/healthz', async () => ({ status: 'ok' }));

app.get<{ Params: { id: string } }>('/floor/users/:id', async (request, reply) => {
  const user = await db
    .selectFrom('users')
    .select(['id', 'name', 'email', 'tenant_role'])
    .where('id', '=', Number(request.params.id))
    .executeTakeFirst();
  if (!user) return reply.code(404).send({ error: 'not found' });
  return user;
});

// Through Tessera's own inTransaction: BEGIN IMMEDIATE on SQLite, as its writes begin.
app.post('/floor/write', async () => {
  const row = await inTransaction(db, (tx) =>
    tx
      .updateTable('bench_write_floor')
      .set((eb) => ({ n: eb('n', '+', 1) }))
      .where('id', '=', 1)
      .returning('n')
      .executeTakeFirstOrThrow(),
  );
  return { n: row.n };
});

const stop = async () => {
  await app.close();
  await db.destroy();
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());

await app.listen({ host: config.host, port: config.port });
