import { sql, type Kysely } from 'kysely';
import { generateSigningKey } from '../../core/auth/jwt.ts';
import type { SecretBox } from '../../core/auth/secret-box.ts';
import { timestampType, withIdColumn, type Engine } from '../../core/db/dialect.ts';
import { sealedContext } from '../../core/db/sealed-columns.ts';

export async function up(db: Kysely<any>, engine: Engine, now: string, secrets: SecretBox): Promise<void> {
  const ts = timestampType(engine);

  await withIdColumn(db.schema.createTable('tenants'), engine)
    .addColumn('slug', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('default_locale', 'text', (c) => c.notNull().defaultTo('en'))
    .addColumn('self_signup', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('max_owned_workspaces_per_user', 'integer')
    .addColumn('portal_access_code', 'text')
    .addColumn('disabled_at', ts)
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .execute();

  await withIdColumn(db.schema.createTable('users'), engine)
    .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id').onDelete('restrict'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('email_key', 'text', (c) => c.notNull())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('tenant_role', 'text', (c) => c.notNull().check(sql`tenant_role in ('owner', 'admin', 'member')`))
    .addColumn('disabled_at', ts)
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('users_tenant_email_key').on('users').columns(['tenant_id', 'email_key']).unique().execute();
  await db.schema.createIndex('users_tenant_role').on('users').columns(['tenant_id', 'tenant_role']).execute();

  await withIdColumn(db.schema.createTable('sessions'), engine)
    .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id').onDelete('restrict'))
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('expires_at', ts, (c) => c.notNull())
    .addColumn('revoked_at', ts)
    .addColumn('revoked_reason', 'text')
    .execute();
  await db.schema.createIndex('sessions_user').on('sessions').column('user_id').execute();

  await withIdColumn(db.schema.createTable('refresh_tokens'), engine)
    .addColumn('session_id', 'integer', (c) => c.notNull().references('sessions.id').onDelete('cascade'))
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('expires_at', ts, (c) => c.notNull())
    .addColumn('used_at', ts)
    .execute();
  await db.schema.createIndex('refresh_tokens_session').on('refresh_tokens').column('session_id').execute();

  await db.schema
    .createTable('signing_keys')
    .addColumn('kid', 'text', (c) => c.primaryKey())
    .addColumn('algorithm', 'text', (c) => c.notNull())
    .addColumn('public_jwk', 'text', (c) => c.notNull())
    .addColumn('private_jwk', 'text', (c) => c.notNull())
    .addColumn('created_at', ts, (c) => c.notNull())
    .execute();

  // The first start serves a single-tenant install with no setup: tenant `default`, self sign-up on.
  await db
    .insertInto('tenants')
    .values({ slug: 'default', name: 'Default', default_locale: 'en', self_signup: 1, created_at: now, updated_at: now })
    .execute();

  const key = await generateSigningKey();
  await db
    .insertInto('signing_keys')
    .values({
      kid: key.kid,
      algorithm: key.algorithm,
      public_jwk: JSON.stringify(key.publicJwk),
      // Sealed as it is written (a version before sealing wrote it in clear: start-up seals that one).
      private_jwk: secrets.seal(JSON.stringify(key.privateJwk), sealedContext('signing_keys', 'private_jwk', key.kid)),
      created_at: now,
    })
    .execute();
}
