import { Type, type Static } from '@sinclair/typebox';
import { Value, type ValueError } from '@sinclair/typebox/value';
import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { parseSecretsKey } from './auth/secret-box.ts';

/**
 * The environment Tessera reads, as one schema: the README's configuration table
 * is written from it, and a bad value stops start-up naming the variable.
 */
const EnvSchema = Type.Object({
  HOST: Type.String({ default: '127.0.0.1', minLength: 1 }),
  PORT: Type.Integer({ default: 3000, minimum: 0, maximum: 65535 }),
  DATA_DIR: Type.String({ default: './data', minLength: 1 }),
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  DATABASE_POOL_SIZE: Type.Integer({ default: 10, minimum: 1, maximum: 200 }),
  SQLITE_SYNCHRONOUS: Type.Union([Type.Literal('FULL'), Type.Literal('NORMAL')], { default: 'FULL' }),
  TENANT_BASE_DOMAIN: Type.Optional(Type.String({ pattern: '^[a-z0-9.-]+$' })),
  PUBLIC_URL: Type.Optional(Type.String({ pattern: '^https?://[^/?#\\s]+(/[^?#\\s]*)?$' })),
  CORS_ORIGINS: Type.String({ default: '' }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
    { default: 'info' },
  ),
  LOG_FORMAT: Type.Union([Type.Literal('auto'), Type.Literal('json'), Type.Literal('pretty')], { default: 'auto' }),
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://' })),
  ACCESS_TOKEN_TTL_SECONDS: Type.Integer({ default: 900, minimum: 30, maximum: 86_400 }),
  REFRESH_TOKEN_TTL_SECONDS: Type.Integer({ default: 2_592_000, minimum: 300, maximum: 31_536_000 }),
  REFRESH_TOKEN_REUSE_SECONDS: Type.Integer({ default: 10, minimum: 0, maximum: 300 }),
  AUTH_RATE_LIMIT_MAX: Type.Integer({ default: 10, minimum: 1, maximum: 100_000 }),
  AUTH_RATE_LIMIT_WINDOW_SECONDS: Type.Integer({ default: 60, minimum: 1, maximum: 86_400 }),
  SMTP_URL: Type.Optional(Type.String({ pattern: '^smtps?://' })),
  MAIL_FROM: Type.String({ default: 'Tessera <no-reply@localhost>', minLength: 3 }),
  MAIL_POLL_INTERVAL_MS: Type.Integer({ default: 1000, minimum: 50, maximum: 600_000 }),
  INVITATION_RATE_LIMIT_MAX: Type.Integer({ default: 100, minimum: 1, maximum: 1_000_000 }),
  INVITATION_RECIPIENT_RATE_LIMIT_MAX: Type.Integer({ default: 5, minimum: 1, maximum: 1_000_000 }),
  INVITATION_RATE_LIMIT_WINDOW_SECONDS: Type.Integer({ default: 3600, minimum: 1, maximum: 604_800 }),
  BODY_LIMIT_BYTES: Type.Integer({ default: 1_048_576, minimum: 1024, maximum: 104_857_600 }),
  TRUST_PROXY: Type.String({ default: '' }),
  REQUEST_TIMEOUT_MS: Type.Integer({ default: 30_000, minimum: 1000, maximum: 600_000 }),
  KEEP_ALIVE_TIMEOUT_MS: Type.Integer({ default: 72_000, minimum: 1000, maximum: 600_000 }),
  SHUTDOWN_TIMEOUT_MS: Type.Integer({ default: 10_000, minimum: 100, maximum: 600_000 }),
  CONTEXT_CACHE_ENTRIES: Type.Integer({ default: 10_000, minimum: 0, maximum: 1_000_000 }),
  READ_CACHE_ENTRIES: Type.Integer({ default: 1_000, minimum: 0, maximum: 100_000 }),
  METRICS_TOKEN: Type.Optional(Type.String({ minLength: 16, pattern: '^\\S+$' })),
  SECRETS_KEY: Type.Optional(Type.String({ minLength: 1 })),
  DNS_SERVERS: Type.String({ default: '' }),
  SSO_ALLOW_LOOPBACK_ISSUERS: Type.Boolean({ default: false }),
});
export type Env = Static<typeof EnvSchema>;

/** Every environment variable Tessera reads. */
export const ENV_VARIABLES: readonly string[] = Object.keys(EnvSchema.properties);

export interface Config {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly databaseUrl: string | undefined;
  readonly databasePoolSize: number;
  readonly sqliteSynchronous: 'FULL' | 'NORMAL';
  readonly tenantBaseDomain: string | undefined;
  /** The base URL clients reach Tessera at: links in e-mail and the tokens' issuer. */
  readonly publicUrl: string;
  /** Browser origins allowed to call the API (exact `scheme://host[:port]`), or `*` for any origin without credentials. */
  readonly corsOrigins: readonly string[] | '*';
  readonly logLevel: string;
  /** `pretty`: human-readable lines; `json`: one JSON object per line; `auto`: pretty on a terminal, JSON otherwise. */
  readonly logFormat: 'auto' | 'json' | 'pretty';
  readonly redisUrl: string | undefined;
  readonly accessTokenTtlSeconds: number;
  readonly refreshTokenTtlSeconds: number;
  /** How long a used refresh token may be presented again for the same successor (two tabs refreshing at once); 0 turns it off. */
  readonly refreshTokenReuseSeconds: number;
  readonly authRateLimit: { readonly max: number; readonly windowSeconds: number };
  readonly smtpUrl: string | undefined;
  readonly mailFrom: string;
  readonly mailPollIntervalMs: number;
  /** Invitations per window: `max` per inviter and per workspace, `perRecipientMax` per invited address. */
  readonly invitationRateLimit: { readonly max: number; readonly perRecipientMax: number; readonly windowSeconds: number };
  readonly bodyLimitBytes: number;
  /** Addresses or CIDRs of proxies whose X-Forwarded-For is believed; empty trusts none. */
  readonly trustProxy: readonly string[];
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly shutdownTimeoutMs: number;
  /**
   * Entries kept per process, each valid only at the tenant data version it was read at
   * (src/core/cache/versioned-cache.ts): resolved request contexts, and list pages. 0 turns a cache off.
   * A page of records (items, stock levels) is tens of kilobytes (~65 KB for 100 items with
   * its JSON), so each of their caches keeps a tenth of READ_CACHE_ENTRIES.
   */
  readonly cacheEntries: { readonly contexts: number; readonly reads: number; readonly recordPages: number };
  /** The bearer token `GET /metrics` asks for; without one the route does not exist. */
  readonly metricsToken: string | undefined;
  /**
   * The key-encryption keys secrets at rest are sealed with (src/core/auth/secret-box.ts): the
   * first seals, all open. Unset on SQLite, a key generated into DATA_DIR is used.
   */
  readonly secretsKeys: readonly Buffer[] | undefined;
  /** The DNS servers a domain's verification record is looked up on (`address` or `address:port`); empty: the system's. */
  readonly dnsServers: readonly string[];
  /** Whether a workspace may connect an OpenID provider at a loopback `http://` address (tests, a provider on this machine). */
  readonly ssoAllowLoopbackIssuers: boolean;
}

/**
 * Lays `./.env`, when it exists, under the process environment (a variable already set
 * wins), so `cp .env.example .env` is all a local set-up needs.
 */
export function loadEnvFile(file = '.env'): void {
  if (existsSync(file)) process.loadEnvFile(file);
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * A proxy address, or a CIDR range with a prefix of at least one bit (what Fastify's
 * trustProxy accepts: a bad entry would otherwise stop start-up with an error that does not
 * name TRUST_PROXY). A /0 would believe forwarded headers from anyone.
 */
function isProxyAddress(entry: string): boolean {
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  const bits = /^\d{1,3}$/.test(prefix) ? Number(prefix) : NaN;
  return bits >= 1 && bits <= (family === 4 ? 32 : 128);
}

/** What a browser sends in `Origin`: a scheme, a host and maybe a port; no path, no trailing slash. */
const ORIGIN = /^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$|^https?:\/\/\[[0-9a-f:]+\](:\d{1,5})?$/i;

/** A schema error in words a person can act on: a union of literals names its allowed values. */
function describeProblem(error: ValueError): string {
  const allowed = (error.schema.anyOf ?? []) as Array<{ const?: unknown }>;
  const literals = allowed.map((option) => option.const).filter((value) => typeof value === 'string');
  if (literals.length > 0) return `must be one of ${literals.join(', ')} (got "${String(error.value)}")`;
  return error.message;
}

/**
 * Where clients reach a server that was given no PUBLIC_URL: its own address, with a
 * wildcard listen address read as this machine (`localhost`).
 */
function defaultPublicUrl(host: string, port: number): string {
  const reachable = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}

function parseCorsOrigins(value: string): readonly string[] | '*' {
  const entries = value.split(',').map((entry) => entry.trim()).filter(Boolean);
  if (entries.includes('*')) {
    if (entries.length > 1) throw new ConfigError('invalid configuration: CORS_ORIGINS: "*" stands alone (any origin, without credentials)');
    return '*';
  }
  const bad = entries.find((entry) => !ORIGIN.test(entry));
  if (bad !== undefined) {
    throw new ConfigError(
      `invalid configuration: CORS_ORIGINS: "${bad}" is not an origin (scheme://host[:port], no path or trailing slash, e.g. https://app.example.com)`,
    );
  }
  // Browsers leave a scheme's default port out of Origin: https://a.test:443 is sent as https://a.test.
  return Object.freeze(entries.map((entry) => entry.toLowerCase().replace(/^(https:\/\/.+):443$|^(http:\/\/.+):80$/, '$1$2')));
}

/** DNS_SERVERS: addresses, each maybe with a port (`1.1.1.1`, `127.0.0.1:5353`, `[::1]:53`), as Node's resolver takes them. */
function parseDnsServers(value: string): string[] {
  const entries = value.split(',').map((entry) => entry.trim()).filter(Boolean);
  for (const entry of entries) {
    const bracketed = /^\[([0-9a-f:.]+)\](:\d{1,5})?$/i.exec(entry);
    const withPort = /^(\d{1,3}(?:\.\d{1,3}){3})(:\d{1,5})?$/.exec(entry);
    const address = bracketed?.[1] ?? withPort?.[1] ?? entry;
    if (isIP(address) === 0) throw new ConfigError(`invalid configuration: DNS_SERVERS: "${entry}" is not an IP address (with an optional :port)`);
  }
  return entries;
}

/**
 * Reads the configuration from an environment map.
 * @example loadConfig(process.env) // throws ConfigError("PORT: Expected integer") on PORT=abc
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const known = Object.fromEntries(
    Object.keys(EnvSchema.properties)
      .filter((key) => env[key] !== undefined && env[key] !== '')
      .map((key) => [key, env[key]]),
  );
  const withDefaults = Value.Default(EnvSchema, Value.Convert(EnvSchema, known));
  const problems = [...Value.Errors(EnvSchema, withDefaults)].map(
    (error) => `${error.path.slice(1) || 'environment'}: ${describeProblem(error)}`,
  );
  if (problems.length > 0) throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  const parsed = withDefaults as Env;

  const trustProxy = parsed.TRUST_PROXY.split(',').map((entry) => entry.trim()).filter(Boolean);
  const badProxy = trustProxy.find((entry) => !isProxyAddress(entry));
  if (badProxy !== undefined) {
    throw new ConfigError(`invalid configuration: TRUST_PROXY: "${badProxy}" is not an IP address or a CIDR range (prefix 1–32, or 1–128 for IPv6)`);
  }

  let secretsKeys: Buffer[] | undefined;
  try {
    secretsKeys = parsed.SECRETS_KEY?.split(',').map((key) => parseSecretsKey(key));
  } catch (error) {
    throw new ConfigError(`invalid configuration: SECRETS_KEY: ${(error as Error).message}; several keys are separated by commas, the one that seals first`);
  }
  if (!secretsKeys && parsed.DATABASE_URL) {
    // Instances sharing a database must share the key too: one generated per instance would not open the others' secrets.
    throw new ConfigError(
      'invalid configuration: SECRETS_KEY is required when DATABASE_URL is set (every instance needs the same one); make one with: npm run tessera -- secrets generate-key',
    );
  }

  return Object.freeze({
    host: parsed.HOST,
    port: parsed.PORT,
    dataDir: path.resolve(parsed.DATA_DIR),
    databaseUrl: parsed.DATABASE_URL,
    databasePoolSize: parsed.DATABASE_POOL_SIZE,
    sqliteSynchronous: parsed.SQLITE_SYNCHRONOUS,
    tenantBaseDomain: parsed.TENANT_BASE_DOMAIN,
    publicUrl: (parsed.PUBLIC_URL ?? defaultPublicUrl(parsed.HOST, parsed.PORT)).replace(/\/+$/, ''),
    corsOrigins: parseCorsOrigins(parsed.CORS_ORIGINS),
    logLevel: parsed.LOG_LEVEL,
    logFormat: parsed.LOG_FORMAT,
    redisUrl: parsed.REDIS_URL,
    accessTokenTtlSeconds: parsed.ACCESS_TOKEN_TTL_SECONDS,
    refreshTokenTtlSeconds: parsed.REFRESH_TOKEN_TTL_SECONDS,
    refreshTokenReuseSeconds: parsed.REFRESH_TOKEN_REUSE_SECONDS,
    authRateLimit: Object.freeze({
      max: parsed.AUTH_RATE_LIMIT_MAX,
      windowSeconds: parsed.AUTH_RATE_LIMIT_WINDOW_SECONDS,
    }),
    smtpUrl: parsed.SMTP_URL,
    mailFrom: parsed.MAIL_FROM,
    mailPollIntervalMs: parsed.MAIL_POLL_INTERVAL_MS,
    invitationRateLimit: Object.freeze({
      max: parsed.INVITATION_RATE_LIMIT_MAX,
      perRecipientMax: parsed.INVITATION_RECIPIENT_RATE_LIMIT_MAX,
      windowSeconds: parsed.INVITATION_RATE_LIMIT_WINDOW_SECONDS,
    }),
    bodyLimitBytes: parsed.BODY_LIMIT_BYTES,
    trustProxy: Object.freeze(trustProxy),
    requestTimeoutMs: parsed.REQUEST_TIMEOUT_MS,
    keepAliveTimeoutMs: parsed.KEEP_ALIVE_TIMEOUT_MS,
    shutdownTimeoutMs: parsed.SHUTDOWN_TIMEOUT_MS,
    cacheEntries: Object.freeze({
      contexts: parsed.CONTEXT_CACHE_ENTRIES,
      reads: parsed.READ_CACHE_ENTRIES,
      recordPages: Math.ceil(parsed.READ_CACHE_ENTRIES / 10),
    }),
    metricsToken: parsed.METRICS_TOKEN,
    secretsKeys: secretsKeys && Object.freeze(secretsKeys),
    dnsServers: Object.freeze(parseDnsServers(parsed.DNS_SERVERS)),
    ssoAllowLoopbackIssuers: parsed.SSO_ALLOW_LOOPBACK_ISSUERS,
  });
}
