import Fastify from 'fastify';
import { loadConfig } from '../src/core/config.ts';
import { openDatabase } from '../src/schema/database.ts';

/**
 * The floor: what one indexed select through Kysely costs behind a bare Fastify
 * route, on the database Tessera migrated, opened exactly as src/main.ts opens it.
 * No auth, schemas, hooks or logging; Tessera's routes are measured against it.
 */
const config = loadConfig(process.env);
const db = openDatabase(config);

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

const stop = async () => {
  await app.close();
  await db.destroy();
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());

await app.listen({ host: config.host, port: config.port });
