import { setFlagsFromString } from 'node:v8';
import { buildApp, type App } from './app.ts';
import { openSecretBox, secretsKeyFile } from './core/auth/secret-box.ts';
import { systemClock } from './core/clock.ts';
import { ConfigError, loadConfig, loadEnvFile, type Config } from './core/config.ts';
import { describeStorage } from './core/db/open.ts';
import { redactUrl } from './core/redact.ts';
import { RedisUnavailableError } from './core/redis.ts';
import { SURFACES } from './core/http/surfaces.ts';
import { TESSERA_VERSION } from './core/version.ts';
import { openDatabase } from './schema/database.ts';
import { migrate, MIGRATIONS } from './schema/migrate.ts';

// Under sustained load V8 grew the old generation by up to 4× what each full collection left
// alive, and kept it while the load lasted: in the bench's mixed workload the resident size rose by
// ~50 MiB every six seconds (267, 304, 358 MiB in three rounds) while what was alive stayed
// small (a cached context is ~2 KiB). Growing it by half instead held 259-270 MiB over the
// same rounds at the same throughput; there is no cap, so a larger live set still fits.
setFlagsFromString('--heap-growing-percent=50');

/** The CLI command that lists this server's outbox: the CLI must be pointed at the same data. */
function outboxCommand(config: Config): string {
  const where = config.databaseUrl ? `DATABASE_URL=${redactUrl(config.databaseUrl)}` : `DATA_DIR=${config.dataDir}`;
  return `${where} npm run tessera -- outbox list`;
}

/** What an operator needs to know once the server listens: where things are, and what is off. */
function logStartup(app: App, config: Config, appliedNow: readonly string[]): void {
  const base = config.publicUrl;
  app.log.info(`Tessera ${TESSERA_VERSION} ready: API ${base}${SURFACES.api} (portal ${base}${SURFACES.web}), reference ${base}/docs, OpenAPI ${base}/openapi.json`);
  const schema = appliedNow.length === 0 ? `schema up to date (${MIGRATIONS.length} migrations)` : `migrations applied now: ${appliedNow.join(', ')}`;
  app.log.info(`storage: ${describeStorage(config)}; ${schema}`);
  if (config.smtpUrl) app.log.info(`e-mail: on, through ${redactUrl(config.smtpUrl)} as ${config.mailFrom}`);
  else app.log.warn(`e-mail: off (no SMTP_URL); messages wait in the outbox: ${outboxCommand(config)}`);
  app.log.info(
    config.redisUrl
      ? `rate limits: shared through Redis at ${redactUrl(config.redisUrl)}`
      : 'rate limits: counted in this process (set REDIS_URL to share them between instances)',
  );
  if (!process.env.PUBLIC_URL && config.databaseUrl) {
    // Instances on one database are usually several behind one address: tokens must name one issuer.
    app.log.warn(`PUBLIC_URL is not set: tokens and links name ${base}; give every instance behind one address the same PUBLIC_URL`);
  }
  app.log.info(
    config.secretsKeys
      ? `secrets at rest: sealed with SECRETS_KEY (${config.secretsKeys.length} key(s), the first seals)`
      : `secrets at rest: sealed with the key in ${secretsKeyFile(config.dataDir)}; back it up apart from the database`,
  );
  const origins = config.corsOrigins === '*' ? 'any, without credentials' : config.corsOrigins.join(', ') || 'none (same-origin only)';
  app.log.info(`browser origins allowed (CORS_ORIGINS): ${origins}`);
}

async function main(): Promise<void> {
  loadEnvFile();
  const config = loadConfig(process.env);
  const secrets = openSecretBox(config);
  const db = openDatabase(config);
  const appliedNow = await migrate(db, systemClock, secrets);
  const app = await buildApp({ config, db, secrets });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down: finishing in-flight requests');
    const deadline = setTimeout(() => {
      app.log.error('shutdown timed out; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    deadline.unref();
    try {
      await app.close();
      await db.destroy();
      app.log.info('stopped');
      process.exit(0);
    } catch (error) {
      app.log.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));

  await app.listen({ host: config.host, port: config.port });
  logStartup(app, config, appliedNow);
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof RedisUnavailableError) {
    process.stderr.write(`tessera: ${error.message}\n`);
  } else {
    process.stderr.write(`tessera: failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  }
  process.exit(1);
});
