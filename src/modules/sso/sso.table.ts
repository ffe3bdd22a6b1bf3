import type { Generated } from 'kysely';

/** A workspace's single sign-on (migration 0024): its claimed e-mail domain, its OpenID provider, and whether the domain must use it. */
export interface SsoConnectionsTable {
  workspace_id: number;
  tenant_id: number;
  /** The claimed domain, lower case; proved once `domain_verified_at` is set. */
  email_domain: string | null;
  /** The digest of the value the domain's TXT record must hold. */
  domain_token_hash: string | null;
  domain_claimed_at: string | null;
  domain_verified_at: string | null;
  issuer_url: string | null;
  client_id: string | null;
  /** Sealed (src/core/auth/secret-box.ts), never returned. */
  client_secret: string | null;
  /** The role a user of the domain gets on their first single sign-on. */
  default_role: Generated<string>;
  enforced_at: string | null;
  created_at: string;
  updated_at: string;
}

/** A provider's account (issuer and subject) linked to a Tessera account. */
export interface SsoIdentitiesTable {
  id: Generated<number>;
  tenant_id: number;
  user_id: number;
  workspace_id: number;
  issuer: string;
  subject: string;
  created_at: string;
}

/** A single sign-on on its way through the provider: its `state` (as a digest), nonce and PKCE verifier (sealed). */
export interface SsoSignInsTable {
  id: Generated<number>;
  state_hash: string;
  tenant_id: number;
  workspace_id: number;
  nonce: string;
  code_verifier: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
  /** A path of this server the browser returns to, signed in by cookie (browser apps); null: the callback answers the tokens. */
  return_to: string | null;
  /** The digest of the cookie that binds a returning sign-in to the browser that started it. */
  browser_binding_hash: string | null;
}
