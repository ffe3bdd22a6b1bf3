import { sql, type Kysely } from 'kysely';
import { timestampType, withIdColumn, type Engine } from '../../core/db/dialect.ts';

/**
 * Single sign-on per workspace (issue 20): a workspace claims an e-mail domain, proves it by a
 * DNS TXT record, connects an OpenID provider, and may require that domain's users to sign in
 * through it.
 *
 * What the database keeps, past the service:
 * - a domain is claimed by one workspace per tenant (unique), written in lower case;
 * - enforcement needs a proved domain and a connection (a check), so no path can require a
 *   sign-in nobody can complete;
 * - a sign-in's `state` is stored only as its digest, unique, and is used once (a guarded
 *   update on `used_at`); a provider's subject is linked to one account per tenant;
 * - a session says how it was opened (`auth_method`), so requiring single sign-on ends the
 *   sessions opened with a password and only those.
 * The client secret and each sign-in's PKCE verifier are stored sealed (src/core/auth/secret-box.ts).
 */
export const SESSION_AUTH_METHODS = ['password', 'sso'] as const;

export async function up(db: Kysely<any>, engine: Engine): Promise<void> {
  const ts = timestampType(engine);

  await db.schema
    .createTable('sso_connections')
    .addColumn('workspace_id', 'integer', (c) => c.primaryKey().references('workspaces.id').onDelete('cascade'))
    .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('email_domain', 'text', (c) => c.check(sql`email_domain = lower(email_domain)`))
    .addColumn('domain_token_hash', 'text')
    .addColumn('domain_claimed_at', ts)
    .addColumn('domain_verified_at', ts)
    .addColumn('issuer_url', 'text')
    .addColumn('client_id', 'text')
    .addColumn('client_secret', 'text')
    .addColumn('default_role', 'text', (c) => c.notNull().defaultTo('member'))
    .addColumn('enforced_at', ts)
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .addUniqueConstraint('sso_connections_tenant_domain', ['tenant_id', 'email_domain'])
    .addCheckConstraint('sso_connections_claim_whole', sql`(email_domain is null) = (domain_token_hash is null) and (email_domain is null) = (domain_claimed_at is null)`)
    .addCheckConstraint('sso_connections_verified_claim', sql`domain_verified_at is null or email_domain is not null`)
    .addCheckConstraint('sso_connections_client_whole', sql`(issuer_url is null) = (client_id is null) and (issuer_url is null) = (client_secret is null)`)
    .addCheckConstraint('sso_connections_enforced_ready', sql`enforced_at is null or (domain_verified_at is not null and issuer_url is not null)`)
    .execute();

  await withIdColumn(db.schema.createTable('sso_identities'), engine)
    .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('workspace_id', 'integer', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('issuer', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('created_at', ts, (c) => c.notNull())
    .addUniqueConstraint('sso_identities_subject', ['tenant_id', 'issuer', 'subject'])
    .execute();
  await db.schema.createIndex('sso_identities_user').on('sso_identities').column('user_id').execute();

  await withIdColumn(db.schema.createTable('sso_sign_ins'), engine)
    .addColumn('state_hash', 'text', (c) => c.notNull().unique())
    .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('workspace_id', 'integer', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('nonce', 'text', (c) => c.notNull())
    .addColumn('code_verifier', 'text', (c) => c.notNull())
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('expires_at', ts, (c) => c.notNull())
    .addColumn('used_at', ts)
    .execute();

  await db.schema
    .alterTable('sessions')
    .addColumn('auth_method', 'text', (c) => c.notNull().defaultTo('password').check(sql`auth_method in ('password', 'sso')`))
    .execute();
}
