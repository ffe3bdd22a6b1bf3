import { parseArgs } from 'node:util';
import { systemClock } from '../core/clock.ts';
import { ConfigError, loadConfig, loadEnvFile, type Config } from '../core/config.ts';
import { describeStorage } from '../core/db/open.ts';
import { openDatabase, type Db } from '../schema/database.ts';
import { migrate, resealSecrets } from '../schema/migrate.ts';
import { KEY_SET_MAX_AGE_SECONDS } from '../core/auth/jwt.ts';
import { generateSecretsKey, openSecretBox, rotateSecretsKeyFile, secretsKeyFile, type SecretBox } from '../core/auth/secret-box.ts';
import { AppError } from '../core/errors.ts';
import { composeCatalogues } from '../core/catalogue.ts';
import { AREA_CATALOGUES } from '../areas.ts';
import { listOutbox, OUTBOX_STATUSES, requeueFailed } from '../modules/mail/mail.service.ts';
import { createMfaService } from '../modules/identity/mfa.service.ts';
import { createIdentityService, loadIdentityKeys } from '../modules/identity/identity.service.ts';
import { rotateSigningKey, SUPERSEDED_KEY_KEPT_SECONDS } from '../modules/identity/signing-keys.service.ts';
import { TENANT_ROLES, type TenantRole } from '../modules/identity/identity.table.ts';
import { createTenantsService, tenantToSettings } from '../modules/tenants/tenants.service.ts';
import { proveDomainAsOperator } from '../modules/sso/sso.service.ts';
import { isPlanKey, planAdministration } from '../modules/plans/plans.service.ts';
import { LIMIT_COLUMN, PLAN_KEYS, PLAN_LIMITS, type PlanKey } from '../modules/plans/plans.table.ts';
import { DemoError } from './demo-error.ts';

const USAGE = `Usage: npm run tessera -- <command>

  tenant create <slug> --name "Name" [--locale en|es]   create a tenant (self sign-up off until its owner turns it on)
  tenant list                                         list tenants
  tenant disable <slug>                               every request of the tenant gets 403
  tenant enable <slug>                                undo disable
  user create-admin --tenant <slug> --email <e> --name "Name" [--role owner|admin]
                                                      create an account with a tenant role;
                                                      the password is read from TESSERA_PASSWORD
  user set-role --tenant <slug> --email <e> --role owner|admin|member
  user reset-mfa --tenant <slug> --email <e>          turn off a user's second factor (a lost authenticator);
                                                      their sessions end
  sso verify-domain --tenant <slug> --domain <d>      prove a workspace's claimed e-mail domain without DNS
                                                      (you checked it some other way); audited
  outbox list [--status pending|sending|sent|failed|cancelled] [--limit N]
                                                      e-mails waiting or sent (without SMTP_URL
                                                      they wait here for the operator)
  outbox retry                                        put failed e-mails back in line
  plan list                                           the plans, their limits, and the default one (*)
  plan set <plan> [--users N] [--locations N] [--items N] [--suppliers N] [--tags N] [--usage N]
                                                      change a plan's limits (quote names with spaces)
  plan default <plan>                                 the plan new workspaces start on
  plan assign <workspace-id> [--plan <plan>] [--trial-ends-at ISO-8601|none] [--billing-cycle-start 1-31]
                                                      change a workspace's plan, trial end or billing day
  keys rotate                                         a new key signs access tokens within a minute; older ones
                                                      verify until the tokens they signed expired (24 h)
  secrets generate-key                                print a new key for SECRETS_KEY
  secrets rotate                                      seal every secret at rest again with the first key of
                                                      SECRETS_KEY; without SECRETS_KEY (SQLite), replace the
                                                      key in DATA_DIR with a new one (restart the servers after)
  demo [--tenant <slug>]                              sample data to explore (tenant default unless given):
                                                      an owner, 3 workspaces, members, a custom role,
                                                      an API key, pending invitations; prints how to sign in.
                                                      Password: TESSERA_PASSWORD, else generated and shown once

Uses the same DATA_DIR / DATABASE_URL as the server.`;

async function services(db: Db, config: Config, secrets: SecretBox) {
  const tenants = createTenantsService({ db, clock: systemClock });
  const keys = await loadIdentityKeys({ db, clock: systemClock, secrets, issuer: config.publicUrl, ttlSeconds: config.accessTokenTtlSeconds });
  const identity = createIdentityService({
    db,
    clock: systemClock,
    ...keys,
    tenants,
    publicUrl: config.publicUrl,
    refreshTokenTtlSeconds: config.refreshTokenTtlSeconds,
    refreshTokenReuseSeconds: config.refreshTokenReuseSeconds,
  });
  return { tenants, identity, mfa: createMfaService({ db, clock: systemClock, identity, secrets }) };
}

function requireOption(values: Record<string, unknown>, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value.trim() === '') throw new UsageError(`--${name} is required`);
  return value;
}

function parseRole(value: string): TenantRole {
  if (!(TENANT_ROLES as readonly string[]).includes(value)) {
    throw new UsageError(`--role must be one of ${TENANT_ROLES.join(', ')}`);
  }
  return value as TenantRole;
}

class UsageError extends Error {}

/** The password of the accounts a command creates: TESSERA_PASSWORD, when set as long as the API accepts. */
function passwordFromEnv(): string | undefined {
  const password = process.env.TESSERA_PASSWORD;
  if (password === undefined || password === '') return undefined;
  if (password.length < 8 || password.length > 256) throw new UsageError('TESSERA_PASSWORD must have 8 to 256 characters');
  return password;
}

/** parseArgs, its refusals (an unknown option, a value that reads as an option) told as usage errors. */
function parseCommandLine(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        name: { type: 'string' },
        locale: { type: 'string' },
        tenant: { type: 'string' },
        email: { type: 'string' },
        role: { type: 'string' },
        domain: { type: 'string' },
        status: { type: 'string' },
        limit: { type: 'string' },
        ...Object.fromEntries(PLAN_LIMITS.map((limit) => [limit, { type: 'string' as const }])),
        plan: { type: 'string' },
        'trial-ends-at': { type: 'string' },
        'billing-cycle-start': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) throw new UsageError((error as Error).message.split('\n')[0] ?? 'cannot read the command line');
    throw error;
  }
}

async function run(argv: string[], db: Db, config: Config, secrets: SecretBox): Promise<void> {
  const { positionals, values } = parseCommandLine(argv);
  const [area, verb, argument] = positionals;
  if (values.help || !area) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const { tenants, identity, mfa } = await services(db, config, secrets);
  const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

  if (area === 'tenant' && verb === 'create' && argument) {
    // Self sign-up starts off: the first self-registered user of a tenant becomes its owner, so
    // an open tenant without one could be taken by whoever registers first. Its owner (user
    // create-admin) turns it on with PATCH /api/v1/tenant {"self_signup": true}.
    const created = await tenants.createTenant({ slug: argument, name: requireOption(values, 'name'), defaultLocale: values.locale, selfSignup: false });
    print(tenantToSettings(created));
  } else if (area === 'tenant' && verb === 'list') {
    for (const tenant of await tenants.listTenants()) {
      process.stdout.write(`${tenant.slug}\t${tenant.name}\t${tenant.disabledAt ? 'disabled' : 'active'}\n`);
    }
  } else if (area === 'tenant' && (verb === 'disable' || verb === 'enable') && argument) {
    print(tenantToSettings(await tenants.setTenantDisabled(argument, verb === 'disable')));
  } else if (area === 'user' && verb === 'create-admin') {
    const password = passwordFromEnv();
    if (!password) throw new UsageError('set TESSERA_PASSWORD (8 to 256 characters)');
    const user = await identity.createUserAs(
      requireOption(values, 'tenant'),
      { name: requireOption(values, 'name'), email: requireOption(values, 'email'), password },
      parseRole(values.role ?? 'owner'),
    );
    print({ id: user.id, email: user.email, tenant_role: user.tenantRole });
  } else if (area === 'user' && verb === 'set-role') {
    const tenant = await tenants.requireTenant(requireOption(values, 'tenant'));
    const user = await identity.findUserByEmail(tenant.slug, requireOption(values, 'email'));
    if (!user) throw new AppError('USER.NOT_FOUND');
    const updated = await identity.updateUser({ tenant: { id: tenant.id }, operator: true }, user.id, {
      tenant_role: parseRole(requireOption(values, 'role')),
    });
    print({ id: updated.id, email: updated.email, tenant_role: updated.tenantRole });
  } else if (area === 'user' && verb === 'reset-mfa') {
    const tenant = await tenants.requireTenant(requireOption(values, 'tenant'));
    const user = await identity.findUserByEmail(tenant.slug, requireOption(values, 'email'));
    if (!user) throw new AppError('USER.NOT_FOUND');
    await mfa.resetByOperator(tenant.id, user.id);
    print({ id: user.id, email: user.email, mfa_enabled: false });
  } else if (area === 'sso' && verb === 'verify-domain') {
    const tenant = await tenants.requireTenant(requireOption(values, 'tenant'));
    const { workspaceId, domain } = await proveDomainAsOperator(db, systemClock, tenant.id, requireOption(values, 'domain'));
    print({ workspace_id: workspaceId, email_domain: domain, verified: true });
  } else if (area === 'outbox' && verb === 'list') {
    const status = values.status === undefined ? undefined : OUTBOX_STATUSES.find((s) => s === values.status);
    if (values.status !== undefined && !status) throw new UsageError(`--status must be one of ${OUTBOX_STATUSES.join(', ')}`);
    const limit = values.limit === undefined ? 20 : Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError('--limit must be 1–1000');
    const messages = await listOutbox(db, { ...(status ? { status } : {}), limit }, systemClock.now().toISOString());
    // Said out loud: an empty list from the wrong DATA_DIR must not look like an empty outbox.
    if (messages.length === 0) process.stdout.write(`no ${status ? `${status} ` : ''}messages in the outbox of ${describeStorage(config)}\n`);
    for (const message of messages) {
      process.stdout.write(
        `#${message.id} ${message.status} ${message.created_at} to ${message.recipient}\n` +
          `Subject: ${message.subject}\n\n${message.text_body}\n${'-'.repeat(60)}\n`,
      );
    }
  } else if (area === 'outbox' && verb === 'retry') {
    process.stdout.write(`${await requeueFailed(db, new Date().toISOString())} message(s) queued again\n`);
  } else if (area === 'keys' && verb === 'rotate') {
    const rotation = await rotateSigningKey({ db, clock: systemClock, secrets });
    process.stdout.write(
      `new signing key ${rotation.added}: running servers sign with it within ${KEY_SET_MAX_AGE_SECONDS} s\n` +
        `still published until the tokens they signed expired: ${rotation.kept.join(', ') || 'none'}\n` +
        `dropped (superseded more than ${SUPERSEDED_KEY_KEPT_SECONDS} s ago): ${rotation.dropped.join(', ') || 'none'}\n` +
        `retired, verifying nothing (kept to derive refresh-token successors): ${rotation.retired.join(', ') || 'none'}\n`,
    );
  } else if (area === 'secrets' && verb === 'rotate') {
    await rotateSecrets(db, config, secrets);
  } else if (area === 'plan') {
    await runPlanCommand(db, verb, argument, values, print);
  } else if (area === 'demo' && verb === undefined) {
    // Loaded only here: the demo builds the whole app, which no other command needs.
    const { describeDemo, runDemo } = await import('./demo.ts');
    const result = await runDemo({ db, config, tenants, identity }, { tenant: values.tenant ?? 'default', password: passwordFromEnv() });
    process.stdout.write(describeDemo(result, config.publicUrl, config.smtpUrl !== undefined));
  } else {
    throw new UsageError(`unknown command: ${positionals.join(' ')}`);
  }
}

/** Seals every secret at rest again under the new key: SECRETS_KEY's first, or a new one for the key file in DATA_DIR. */
async function rotateSecrets(db: Db, config: Config, secrets: SecretBox): Promise<void> {
  const counts = config.secretsKeys
    ? await resealSecrets(db, secrets)
    : await rotateSecretsKeyFile(config.dataDir, (withNewKey) => resealSecrets(db, withNewKey));
  for (const count of counts) process.stdout.write(`${count.table}.${count.column}: ${count.sealed} sealed again, ${count.unchanged} already under the new key\n`);
  process.stdout.write(
    config.secretsKeys
      ? 'every secret is sealed with the first key of SECRETS_KEY. An instance still running with another key first seals with that one: once every instance runs with this key first, run this again, then the other keys can leave SECRETS_KEY\n'
      : `${secretsKeyFile(config.dataDir)} holds a new key, and the previous one for servers still running with it: restart every server on this DATA_DIR (the next rotation drops the previous key)\n`,
  );
}

/** A full ISO-8601 time with its offset, naming a day that exists (2030-02-30 does not). */
function isIsoTime(value: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/.exec(value);
  if (!match || Number.isNaN(Date.parse(value))) return false;
  const [, year, month, day] = match.map(Number);
  const date = new Date(Date.UTC(year ?? 0, (month ?? 0) - 1, day ?? 0));
  return date.getUTCFullYear() === year && date.getUTCMonth() + 1 === month && date.getUTCDate() === day;
}

function planKey(value: string | undefined): PlanKey {
  if (value === undefined || !isPlanKey(value)) throw new UsageError(`the plan must be one of: ${PLAN_KEYS.join(', ')}`);
  return value;
}

function wholeNumber(name: string, value: string, range: { min: number; max: number }): number {
  const parsed = /^\d{1,10}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(parsed) || parsed < range.min || parsed > range.max) throw new UsageError(`--${name} must be a whole number ${range.min}–${range.max}`);
  return parsed;
}

async function runPlanCommand(
  db: Db,
  verb: string | undefined,
  argument: string | undefined,
  values: Record<string, unknown>,
  print: (value: unknown) => void,
): Promise<void> {
  const text = (name: string) => (typeof values[name] === 'string' ? (values[name]) : undefined);
  if (verb === 'list') {
    for (const plan of await planAdministration.list(db)) {
      const limits = PLAN_LIMITS.map((limit) => `${limit} ${plan[LIMIT_COLUMN[limit]]}`).join(', ');
      process.stdout.write(`${plan.is_default ? '*' : ' '} ${plan.key}\t${limits}\n`);
    }
  } else if (verb === 'set') {
    const limits = Object.fromEntries(
      PLAN_LIMITS.flatMap((limit) => {
        const value = text(limit);
        return value === undefined ? [] : [[limit, wholeNumber(limit, value, { min: 0, max: 2_000_000_000 })]];
      }),
    );
    if (Object.keys(limits).length === 0) throw new UsageError(`name at least one limit: ${PLAN_LIMITS.map((limit) => `--${limit}`).join(' ')}`);
    await planAdministration.setLimits(db, planKey(argument), limits);
    print((await planAdministration.list(db)).find((plan) => plan.key === argument));
  } else if (verb === 'default') {
    await planAdministration.setDefault(db, planKey(argument));
    process.stdout.write(`new workspaces start on ${argument}\n`);
  } else if (verb === 'assign' && argument) {
    const trial = text('trial-ends-at');
    if (trial !== undefined && trial !== 'none' && !isIsoTime(trial)) throw new UsageError('--trial-ends-at must be an ISO-8601 time (2027-01-31T00:00:00Z) or none');
    const cycle = text('billing-cycle-start');
    const changes = {
      ...(text('plan') === undefined ? {} : { plan_key: planKey(text('plan')) }),
      ...(trial === undefined ? {} : { trial_ends_at: trial === 'none' ? null : new Date(trial).toISOString() }),
      ...(cycle === undefined ? {} : { billing_cycle_start: wholeNumber('billing-cycle-start', cycle, { min: 1, max: 31 }) }),
    };
    if (Object.keys(changes).length === 0) throw new UsageError('name at least one of --plan, --trial-ends-at, --billing-cycle-start');
    print(await planAdministration.assign(db, wholeNumber('workspace id', argument, { min: 1, max: 2_147_483_647 }), changes));
  } else {
    throw new UsageError(`unknown command: plan ${verb ?? ''}`);
  }
}

// Needs no configuration: it is what SECRETS_KEY, which a PostgreSQL configuration requires, is made with.
if (process.argv.slice(2).join(' ') === 'secrets generate-key') {
  process.stdout.write(`${generateSecretsKey()}\n`);
  process.exit(0);
}

const config = (() => {
  try {
    loadEnvFile();
    return loadConfig(process.env);
  } catch (error) {
    process.stderr.write(`tessera: ${error instanceof ConfigError ? error.message : String(error)}\n`);
    process.exit(2);
  }
})();
const secrets = openSecretBox(config);
const db = openDatabase({ ...config, databasePoolSize: 2 });
try {
  await migrate(db, systemClock, secrets);
  await run(process.argv.slice(2), db, config, secrets);
} catch (error) {
  if (error instanceof DemoError) {
    process.stderr.write(`tessera: demo: ${error.message}\n`);
    process.exitCode = 1;
  } else if (error instanceof UsageError) {
    process.stderr.write(`tessera: ${error.message}\n\n${USAGE}\n`);
    process.exitCode = 2;
  } else if (error instanceof AppError) {
    const details = Object.keys(error.details).length > 0 ? ` ${JSON.stringify(error.details)}` : '';
    process.stderr.write(`tessera: ${error.code}: ${composeCatalogues(AREA_CATALOGUES).translate('en', error.code)}${details}\n`);
    process.exitCode = 1;
  } else {
    throw error;
  }
} finally {
  await db.destroy();
}
