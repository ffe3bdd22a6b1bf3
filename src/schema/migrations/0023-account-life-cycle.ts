import { sql, type Kysely } from 'kysely';
import { timestampType, withIdColumn, type Engine } from '../../core/db/dialect.ts';
import { coverWithVersionTriggers } from '../data-versions.ts';
import { USERS_UPDATE_OF as USERS_UPDATE_OF_0007 } from './0007-session-liveness.ts';

/**
 * The account life cycle (issue 19): e-mail verification, password reset and change, e-mail
 * change, profile, sessions one can see and end, and a second factor (TOTP).
 *
 * What the database keeps, past the service:
 * - an account token (verification, reset, e-mail change, sign-in challenge) is stored only
 *   as its digest, unique, and is used once: it is claimed by one guarded update
 *   (`used_at is null`), and a sign-in challenge takes at most MFA_CHALLENGE_ATTEMPTS wrong codes
 *   (`attempts` is checked);
 * - a TOTP time step is accepted at most once per user (`totp_last_step` only moves forward,
 *   by a guarded update), and a recovery code once (`used_at`);
 * - the tenant's account policies take only their listed values.
 *
 * `users` moves the tenant's data version on its new columns that a request context shows
 * (`/api/v1/me`): whether the e-mail is verified, the preferred locale, the second factor.
 */
export const ACCOUNT_TOKEN_PURPOSES = ['verify_email', 'reset_password', 'change_email', 'mfa_challenge'] as const;
export const EMAIL_VERIFICATION_POLICIES = ['optional', 'before_joining', 'before_sign_in'] as const;
export const MFA_CHALLENGE_ATTEMPTS = 5;
export const USERS_UPDATE_OF = [...USERS_UPDATE_OF_0007, 'email_verified_at', 'locale', 'totp_enabled_at'] as const;

const listed = (values: readonly string[]) => sql.raw(values.map((value) => `'${value}'`).join(', '));

export async function up(db: Kysely<any>, engine: Engine): Promise<void> {
  const ts = timestampType(engine);
  const step = engine === 'postgres' ? 'bigint' : 'integer';

  await db.schema.alterTable('users').addColumn('email_verified_at', ts).execute();
  await db.schema.alterTable('users').addColumn('locale', 'text').execute();
  await db.schema.alterTable('users').addColumn('totp_secret', 'text').execute();
  await db.schema.alterTable('users').addColumn('totp_pending_secret', 'text').execute();
  await db.schema.alterTable('users').addColumn('totp_enabled_at', ts).execute();
  await db.schema.alterTable('users').addColumn('totp_last_step', step).execute();

  await db.schema.alterTable('sessions').addColumn('last_used_at', ts).execute();
  await db.schema.alterTable('sessions').addColumn('user_agent', 'text').execute();
  await db.schema.alterTable('sessions').addColumn('ip', 'text').execute();
  await sql`update sessions set last_used_at = created_at`.execute(db);
  await db.schema.createIndex('sessions_user_id').on('sessions').column('user_id').execute();

  await db.schema
    .alterTable('tenants')
    .addColumn('email_verification', 'text', (c) =>
      c.notNull().defaultTo('optional').check(sql`email_verification in (${listed(EMAIL_VERIFICATION_POLICIES)})`),
    )
    .execute();
  await db.schema
    .alterTable('tenants')
    .addColumn('mfa_required_for_admins', 'integer', (c) => c.notNull().defaultTo(0).check(sql`mfa_required_for_admins in (0, 1)`))
    .execute();

  await withIdColumn(db.schema.createTable('account_tokens'), engine)
    .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('purpose', 'text', (c) => c.notNull().check(sql`purpose in (${listed(ACCOUNT_TOKEN_PURPOSES)})`))
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    // The address the token is about: the one to verify, or the new one of an e-mail change.
    .addColumn('email', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0).check(sql`attempts between 0 and ${sql.lit(MFA_CHALLENGE_ATTEMPTS)}`))
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('expires_at', ts, (c) => c.notNull())
    .addColumn('used_at', ts)
    .execute();
  await db.schema.createIndex('account_tokens_user_purpose').on('account_tokens').columns(['user_id', 'purpose']).execute();

  await withIdColumn(db.schema.createTable('recovery_codes'), engine)
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('code_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('used_at', ts)
    .addUniqueConstraint('recovery_codes_user_code', ['user_id', 'code_hash'])
    .execute();

  if (engine === 'postgres') {
    await sql`drop trigger tenant_data_versions_users on users`.execute(db);
  } else {
    for (const event of ['insert', 'update', 'delete']) await sql.raw(`drop trigger tenant_data_versions_users_${event}`).execute(db);
  }
  await coverWithVersionTriggers(db, engine, [{ table: 'users', path: 'tenantId', updateOf: USERS_UPDATE_OF }]);
}
