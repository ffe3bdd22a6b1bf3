import { domainToASCII } from 'node:url';
import * as openid from 'openid-client';
import type { InWorkspaceContext } from '../../core/auth/request-context.ts';
import type { SecretBox } from '../../core/auth/secret-box.ts';
import { digestToken, randomToken } from '../../core/auth/secrets.ts';
import { isoAfter, type Clock } from '../../core/clock.ts';
import { isUniqueViolation, lockRow } from '../../core/db/dialect.ts';
import { sealedContext } from '../../core/db/sealed-columns.ts';
import { inTransaction } from '../../core/db/transaction.ts';
import { inWorkspaceTransaction, scoped } from '../../core/db/workspace-scope.ts';
import { AppError } from '../../core/errors.ts';
import { SURFACES } from '../../core/http/surfaces.ts';
import type { Db, Executor, Tx } from '../../schema/database.ts';
import { recordAudit, recordAuditWithoutContext } from '../audit-log/audit-log.service.ts';
import {
  createAccountProvedElsewhere,
  endPasswordSessionsAtDomain,
  findAccountByEmail,
  markAddressProved,
  setCurrentWorkspace,
  type IdentityService,
  type IssuedSession,
  type SessionClient,
} from '../identity/identity.service.ts';
import { addMember } from '../members/members.service.ts';
import type { RoleGrants } from '../roles/roles.grants.ts';
import type { TenantsService } from '../tenants/tenants.service.ts';
import { verificationRecordName, type TxtLookup } from './domain-verification.ts';
import type { ProviderDirectory } from './oidc.ts';
import { isPublicMailDomain } from './public-mail-domains.ts';
import * as repository from './sso.repository.ts';
import type { ConnectionBody, SsoSettings } from './sso.schemas.ts';

/** How long a sign-in may take at the provider before its callback is refused. */
const SIGN_IN_SECONDS = 600;
const DEFAULT_ROLE = 'member';

const CALLBACK_PATH = `${SURFACES.api}/auth/sso/callback`;
const START_PATH = `${SURFACES.api}/auth/sso/start`;

const secretContext = (workspaceId: number) => sealedContext('sso_connections', 'client_secret', workspaceId);
const verifierContext = (stateHash: string) => sealedContext('sso_sign_ins', 'code_verifier', stateHash);
const withoutTrailingSlash = (url: string) => url.replace(/\/+$/, '');

/**
 * The mail domain of an address, as mail routes it: in lower case, without the trailing dot
 * (`acme.com.` is `acme.com`), an internationalized name in its ASCII form (`bücher.de` is
 * `xn--bcher-kva.de`), so no spelling of a domain escapes its rules.
 */
function domainOf(email: string): string {
  const written = email.slice(email.lastIndexOf('@') + 1).toLowerCase().replace(/\.+$/, '');
  return domainToASCII(written) || written;
}

/** Where a user of `domain` in `tenant` starts single sign-on: a link a browser can follow, so the tenant is in it. */
function signInUrlOf(publicUrl: string, tenantSlug: string, domain: string): string {
  return `${publicUrl}${START_PATH}?tenant=${encodeURIComponent(tenantSlug)}&domain=${encodeURIComponent(domain)}`;
}

/**
 * The single sign-on a signed-out address must use, for the identity area's sign-in and
 * sign-up: the start URL when the address's domain is proved by a workspace that requires it.
 */
export async function signInUrlIfRequired(executor: Executor, publicUrl: string, tenant: { id: number; slug: string }, emailKey: string): Promise<string | undefined> {
  const domain = domainOf(emailKey);
  const connection = await repository.findByVerifiedDomain(executor, tenant.id, domain);
  return connection?.enforced_at ? signInUrlOf(publicUrl, tenant.slug, domain) : undefined;
}

/** What the workspace object shows (seed 002's `ssoEmailDomain`, `ssoEnforcedAt`): the domain once proved. */
export async function workspaceSsoOf(executor: Executor, ctx: InWorkspaceContext): Promise<{ sso_email_domain: string | null; sso_enforced_at: string | null }> {
  const connection = await repository.findConnection(scoped(executor, ctx, 'sso_connections'));
  const proved = connection?.domain_verified_at ? connection : undefined;
  return { sso_email_domain: proved?.email_domain ?? null, sso_enforced_at: proved?.enforced_at ?? null };
}

/** Operator CLI: proves a tenant's claimed domain without DNS (an operator who checked it another way); the claiming workspace. */
export async function proveDomainAsOperator(db: Db, clock: Clock, tenantId: number, requested: string): Promise<{ workspaceId: number; domain: string }> {
  const domain = requested.toLowerCase();
  return inTransaction(db, async (tx) => {
    const now = clock.now().toISOString();
    const workspaceId = await repository.markClaimVerified(tx, tenantId, domain, now);
    if (workspaceId === undefined) {
      // Proved already: nothing to do, and nothing to audit again.
      const proved = await repository.findByVerifiedDomain(tx, tenantId, domain);
      if (proved) return { workspaceId: proved.workspace_id, domain };
      throw new AppError('SSO.DOMAIN_NOT_CLAIMED', { domain });
    }
    await recordAuditWithoutContext(
      tx,
      { tenantId, userId: null },
      { action: 'sso.domain_verified', targetType: 'workspace', targetId: workspaceId, workspaceId, details: { domain }, at: now },
      'operator',
    );
    return { workspaceId, domain };
  });
}

export type SsoService = ReturnType<typeof createSsoService>;

export function createSsoService(deps: {
  db: Db;
  clock: Clock;
  secrets: SecretBox;
  publicUrl: string;
  grants: RoleGrants;
  txtLookup: TxtLookup;
  providers: ProviderDirectory;
  identity: IdentityService;
  tenants: TenantsService;
}) {
  const { db, clock } = deps;
  const redirectUri = `${deps.publicUrl}${CALLBACK_PATH}`;

  function settingsOf(ctx: InWorkspaceContext, connection: repository.SsoConnection | undefined): SsoSettings {
    const domain = connection?.email_domain ?? null;
    return {
      email_domain: domain,
      domain_verified_at: connection?.domain_verified_at ?? null,
      verification_record: domain && verificationRecordName(domain),
      issuer_url: connection?.issuer_url ?? null,
      client_id: connection?.client_id ?? null,
      client_secret_set: connection?.client_secret != null,
      default_role: connection?.default_role ?? DEFAULT_ROLE,
      enforced_at: connection?.enforced_at ?? null,
      sign_in_url: domain && connection?.domain_verified_at && connection.issuer_url ? signInUrlOf(deps.publicUrl, ctx.tenant.slug, domain) : null,
    };
  }

  const audited = (tx: Tx, ctx: InWorkspaceContext, action: string, details: Record<string, unknown>, now: string) =>
    recordAudit(tx, ctx, { action, targetType: 'workspace', targetId: ctx.workspace.id, workspaceId: ctx.workspace.id, details, at: now });

  /** Changes the workspace's row, one change at a time; `change` sees the row as it stands (undefined before the first change). */
  function change(
    ctx: InWorkspaceContext,
    work: (tx: Tx, current: repository.SsoConnection | undefined, now: string) => Promise<repository.SaveChanges | undefined>,
  ): Promise<SsoSettings> {
    const now = clock.now().toISOString();
    return inWorkspaceTransaction(db, ctx, async (tx) => {
      // The workspace row, exclusively: the first change of two at once creates the row, the other then changes it.
      await lockRow(tx, 'workspaces', ctx.workspace.id);
      const connection = scoped(tx, ctx, 'sso_connections');
      const current = await repository.findConnection(connection);
      const changes = await work(tx, current, now);
      const saved = changes ? await repository.saveConnection(connection, { tenantId: ctx.tenant.id, now, exists: current !== undefined, changes }) : current;
      return settingsOf(ctx, saved);
    });
  }

  /** A role the configuring member could give themselves: never the owner's, never beyond what they hold. */
  async function requireGivableRole(ctx: InWorkspaceContext, role: string): Promise<void> {
    const template = await deps.grants.template(db, ctx.workspace.id, role);
    const givable = template && !(template.isBuiltin && template.name === 'owner') && template.permissions.every((permission) => ctx.workspace.permissions.has(permission));
    if (!givable) throw new AppError('SSO.ROLE_INVALID', { default_role: role });
  }

  return {
    async settings(ctx: InWorkspaceContext): Promise<SsoSettings> {
      return settingsOf(ctx, await repository.findConnection(scoped(db, ctx, 'sso_connections')));
    },

    /**
     * Claims an e-mail domain for the workspace (one workspace per tenant), or claims it again with
     * a new value; until the value is found in DNS the domain is not proved, and nothing is required.
     */
    async claimDomain(ctx: InWorkspaceContext, requested: string): Promise<{ domain: string; recordName: string; recordValue: string }> {
      const domain = requested.toLowerCase();
      if (isPublicMailDomain(domain)) throw new AppError('SSO.PUBLIC_MAIL_DOMAIN', { domain });
      const recordValue = `tessera-verification=${randomToken()}`;
      try {
        await change(ctx, async (tx, _current, now) => {
          await audited(tx, ctx, 'sso.domain_claimed', { domain }, now);
          return { email_domain: domain, domain_token_hash: digestToken(recordValue), domain_claimed_at: now, domain_verified_at: null, enforced_at: null };
        });
      } catch (error) {
        if (isUniqueViolation(error, 'email_domain')) throw new AppError('SSO.DOMAIN_TAKEN', { domain });
        throw error;
      }
      return { domain, recordName: verificationRecordName(domain), recordValue };
    },

    /** Looks the claimed domain's TXT record up; proved when one of its values is the one handed out. */
    async verifyDomain(ctx: InWorkspaceContext): Promise<SsoSettings> {
      const claimed = await repository.findConnection(scoped(db, ctx, 'sso_connections'));
      if (!claimed?.email_domain || !claimed.domain_token_hash) throw new AppError('SSO.DOMAIN_NOT_CLAIMED');
      if (claimed.domain_verified_at) return settingsOf(ctx, claimed);
      let published: string[];
      try {
        // Outside the transaction: DNS may take seconds, and nothing is held while it answers.
        published = await deps.txtLookup(verificationRecordName(claimed.email_domain));
      } catch {
        throw new AppError('SSO.DNS_UNAVAILABLE');
      }
      if (!published.some((value) => digestToken(value.trim()) === claimed.domain_token_hash)) {
        throw new AppError('SSO.DOMAIN_NOT_VERIFIED', { record: verificationRecordName(claimed.email_domain), values_found: published.length });
      }
      return change(ctx, async (tx, current, now) => {
        // Claimed again while DNS answered: the value found proves the old claim, not this one.
        if (current?.domain_token_hash !== claimed.domain_token_hash) throw new AppError('SSO.CLAIM_REPLACED');
        if (current.domain_verified_at) return undefined;
        await audited(tx, ctx, 'sso.domain_verified', { domain: current.email_domain }, now);
        return { domain_verified_at: now };
      });
    },

    async releaseDomain(ctx: InWorkspaceContext): Promise<SsoSettings> {
      return change(ctx, async (tx, current, now) => {
        if (!current?.email_domain) return undefined;
        await audited(tx, ctx, 'sso.domain_released', { domain: current.email_domain, was_enforced: current.enforced_at !== null }, now);
        return { email_domain: null, domain_token_hash: null, domain_claimed_at: null, domain_verified_at: null, enforced_at: null };
      });
    },

    /**
     * Connects an OpenID provider: the issuer is checked (https, a public address) and discovered
     * before anything is stored, so a connection that is saved is one a sign-in can use. The
     * secret is stored sealed; without one, the stored secret stays.
     */
    async saveConnection(ctx: InWorkspaceContext, input: ConnectionBody): Promise<SsoSettings> {
      const role = input.default_role ?? DEFAULT_ROLE;
      await requireGivableRole(ctx, role);
      const stored = await repository.findConnection(scoped(db, ctx, 'sso_connections'));
      // The stored secret goes only where it went before: kept for another issuer or client, it
      // would be sent to whatever token endpoint the new issuer names, there for the reading.
      const sameClient = stored?.issuer_url && stored.client_id === input.client_id && withoutTrailingSlash(stored.issuer_url) === withoutTrailingSlash(input.issuer_url);
      const secret = input.client_secret ?? (sameClient && stored.client_secret ? deps.secrets.open(stored.client_secret, secretContext(ctx.workspace.id)) : undefined);
      if (secret === undefined) throw new AppError('VALIDATION.FAILED', { client_secret: 'required for a new connection, issuer or client' });
      const provider = await deps.providers.discover(input.issuer_url, input.client_id, secret);
      return change(ctx, async (tx, _current, now) => {
        await audited(tx, ctx, 'sso.connection_saved', { issuer_url: provider.issuer, client_id: input.client_id, default_role: role, secret_changed: input.client_secret !== undefined }, now);
        return { issuer_url: provider.issuer, client_id: input.client_id, client_secret: deps.secrets.seal(secret, secretContext(ctx.workspace.id)), default_role: role };
      });
    },

    async removeConnection(ctx: InWorkspaceContext): Promise<SsoSettings> {
      return change(ctx, async (tx, current, now) => {
        if (!current?.issuer_url) return undefined;
        await audited(tx, ctx, 'sso.connection_removed', { issuer_url: current.issuer_url, was_enforced: current.enforced_at !== null }, now);
        return { issuer_url: null, client_id: null, client_secret: null, enforced_at: null };
      });
    },

    /**
     * Requires single sign-on of the proved domain's users, or stops requiring it; both audited.
     * Requiring it ends their password sessions in the same transaction, which holds the tenant
     * row: a password sign-in in flight holds it too, so it either finishes first (and its session
     * is ended here) or sees the requirement.
     */
    async setEnforcement(ctx: InWorkspaceContext, enforced: boolean): Promise<{ settings: SsoSettings; sessionsEnded: number }> {
      let sessionsEnded = 0;
      const settings = await change(ctx, async (tx, current, now) => {
        if (!enforced) {
          if (!current?.enforced_at) return undefined;
          await audited(tx, ctx, 'sso.enforcement_turned_off', { domain: current.email_domain }, now);
          return { enforced_at: null };
        }
        if (!current?.domain_verified_at || !current.email_domain || !current.issuer_url) throw new AppError('SSO.NOT_READY');
        await lockRow(tx, 'tenants', ctx.tenant.id);
        sessionsEnded = await endPasswordSessionsAtDomain(tx, ctx.tenant.id, current.email_domain, now);
        if (current.enforced_at) return undefined;
        await audited(tx, ctx, 'sso.enforced', { domain: current.email_domain, sessions_ended: sessionsEnded }, now);
        return { enforced_at: now };
      });
      return { settings, sessionsEnded };
    },

    /**
     * Starts a sign-in for an address (or a domain): the proved domain's workspace and its
     * provider, a fresh `state`, `nonce` and PKCE verifier kept for the callback; answers where
     * to send the browser.
     */
    async start(
      tenantSlug: string,
      input: { email?: string | undefined; domain?: string | undefined; return_to?: string | undefined },
    ): Promise<{ location: string; stateHash: string; browserBinding: string | undefined }> {
      const domain = input.email ? domainOf(input.email) : input.domain?.toLowerCase();
      if (!domain) throw new AppError('VALIDATION.FAILED', { email: 'give an e-mail address or a domain' });
      const tenant = await deps.tenants.requireTenant(tenantSlug);
      if (tenant.disabledAt !== null) throw new AppError('TENANT.DISABLED');
      const connection = await repository.findByVerifiedDomain(db, tenant.id, domain);
      if (!connection?.issuer_url || !connection.client_id) throw new AppError('SSO.NOT_CONFIGURED', { domain });
      const provider = await providerOf(connection);
      const state = openid.randomState();
      const nonce = openid.randomNonce();
      const codeVerifier = openid.randomPKCECodeVerifier();
      const stateHash = digestToken(state);
      // A sign-in that returns a browser signed in must end in the browser that started it.
      const browserBinding = input.return_to === undefined ? undefined : randomToken();
      const now = clock.now().toISOString();
      await inTransaction(db, async (tx) => {
        await repository.deleteStaleSignIns(tx, isoAfter(clock, -86_400));
        await repository.insertSignIn(tx, {
          stateHash,
          tenantId: tenant.id,
          workspaceId: connection.workspace_id,
          nonce,
          codeVerifier: deps.secrets.seal(codeVerifier, verifierContext(stateHash)),
          returnTo: input.return_to ?? null,
          browserBindingHash: browserBinding === undefined ? null : digestToken(browserBinding),
          now,
          expiresAt: isoAfter(clock, SIGN_IN_SECONDS),
        });
      });
      const location = provider.authorizationUrl({
        redirectUri,
        state,
        nonce,
        codeChallenge: await openid.calculatePKCECodeChallenge(codeVerifier),
        ...(input.email ? { loginHint: input.email } : {}),
      });
      return { location, stateHash, browserBinding };
    },

    /**
     * The provider's answer. The `state` is used once, whatever follows; the code is exchanged
     * with the PKCE verifier and the ID token checked (issuer, audience, signature, nonce). Only an
     * address the provider says is verified, of the workspace's proved domain, gets in: its
     * account is the one linked to the provider's subject, else the one with that address (linked
     * now), else a new one; it becomes a member with the connection's role if it is not one.
     */
    async complete(
      query: Record<string, string | undefined>,
      rawQuery: string,
      client: SessionClient,
      browserBindingOf: (stateHash: string) => string | undefined,
    ): Promise<{ issued: IssuedSession; tenantSlug: string; stateHash: string; returnTo: string | null }> {
      if (!query.state) throw new AppError('SSO.STATE_INVALID');
      const stateHash = digestToken(query.state);
      const signIn = await inTransaction(db, (tx) => repository.claimSignIn(tx, stateHash, clock.now().toISOString()));
      if (!signIn) throw new AppError('SSO.STATE_INVALID');
      if (signIn.browser_binding_hash !== null) {
        const binding = browserBindingOf(stateHash);
        if (binding === undefined || digestToken(binding) !== signIn.browser_binding_hash) throw new AppError('SSO.STATE_INVALID', { reason: 'another_browser' });
      }
      const tenant = await deps.tenants.findLiveTenant(signIn.tenant_id);
      const connection = tenant && (await repository.findConnectionOf(db, signIn.workspace_id));
      if (!tenant || !connection?.domain_verified_at || !connection.email_domain || !connection.issuer_url) throw new AppError('SSO.NOT_CONFIGURED');
      if (query.error) throw new AppError('SSO.PROVIDER_REFUSED', { reason: `${query.error}${query.error_description ? `: ${query.error_description}` : ''}`.slice(0, 300) });
      const provider = await providerOf(connection);
      const claims = await provider.complete(new URL(`${redirectUri}?${rawQuery}`), {
        state: query.state,
        nonce: signIn.nonce,
        codeVerifier: deps.secrets.open(signIn.code_verifier, verifierContext(stateHash)),
      });
      if (!claims.email || !claims.emailVerified) throw new AppError('SSO.EMAIL_NOT_VERIFIED');
      const email = claims.email.trim();
      // Written exactly as the proved domain: an account's address is stored as the provider wrote it.
      if (email.slice(email.lastIndexOf('@') + 1).toLowerCase() !== connection.email_domain) throw new AppError('SSO.EMAIL_DOMAIN_MISMATCH', { domain: connection.email_domain });
      const workspaceId = connection.workspace_id;
      const admitted = () => deps.identity.signInThroughSingleSignOn(tenant, client, async (tx) => {
        const now = clock.now().toISOString();
        const userId = await accountFor(tx, { tenantId: tenant.id, workspaceId, issuer: provider.issuer, subject: claims.subject, email, name: claims.name, now });
        if (await addMember(tx, workspaceId, userId, connection.default_role, now)) {
          await recordAuditWithoutContext(
            tx,
            { tenantId: tenant.id, userId },
            { action: 'member.joined_by_sso', targetType: 'user', targetId: userId, workspaceId, details: { role: connection.default_role }, at: now },
            'sign_in',
          );
        }
        return userId;
      });
      const signedIn = (issued: IssuedSession) => ({ issued, tenantSlug: tenant.slug, stateHash, returnTo: signIn.return_to });
      try {
        return signedIn(await admitted());
      } catch (error) {
        // A first sign-in of the same person racing this one made the account or the link first: it is found now.
        if (isUniqueViolation(error)) return signedIn(await admitted());
        throw error;
      }
    },
  };

  /** The stored connection's provider; one that does not answer discovery now is down (503), not misconfigured by the caller. */
  async function providerOf(connection: repository.SsoConnection) {
    const { issuer_url: issuerUrl, client_id: clientId, client_secret: sealed } = connection;
    if (!issuerUrl || !clientId || !sealed) throw new AppError('SSO.NOT_CONFIGURED');
    try {
      return await deps.providers.providerOf(
        { workspaceId: connection.workspace_id, version: connection.updated_at },
        { issuerUrl, clientId, clientSecret: () => deps.secrets.open(sealed, secretContext(connection.workspace_id)) },
      );
    } catch (error) {
      if (error instanceof AppError && error.code === 'SSO.DISCOVERY_FAILED') throw new AppError('SSO.PROVIDER_UNAVAILABLE');
      throw error;
    }
  }

  /** The account a provider's answer names; linking an existing password account only on a verified address of the proved domain (checked before). */
  async function accountFor(
    tx: Tx,
    input: { tenantId: number; workspaceId: number; issuer: string; subject: string; email: string; name: string | undefined; now: string },
  ): Promise<number> {
    const linked = await repository.findLinkedUser(tx, input.tenantId, input.issuer, input.subject);
    // A link goes with its account (a cascade), so a link found names a live account of the tenant.
    if (linked !== undefined) return linked;
    const existing = await findAccountByEmail(tx, input.tenantId, input.email);
    const user = existing ?? (await createAccountProvedElsewhere(tx, { tenantId: input.tenantId, name: input.name?.trim() || input.email, email: input.email, now: input.now }));
    if (existing) await markAddressProved(tx, existing, input.now);
    else await setCurrentWorkspace(tx, user.id, input.workspaceId);
    await repository.linkIdentity(tx, { tenantId: input.tenantId, userId: user.id, workspaceId: input.workspaceId, issuer: input.issuer, subject: input.subject, now: input.now });
    await recordAuditWithoutContext(
      tx,
      { tenantId: input.tenantId, userId: user.id },
      { action: existing ? 'account.sso_linked' : 'account.created_by_sso', targetType: 'user', targetId: user.id, workspaceId: input.workspaceId, details: { issuer: input.issuer, email: input.email }, at: input.now },
      'sign_in',
    );
    return user.id;
  }
}
