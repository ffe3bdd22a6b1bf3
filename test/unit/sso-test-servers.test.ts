/**
 * The two servers single sign-on tests stand on (test/support/dns-responder.ts and
 * test/support/oidc-provider.ts), proved with the clients Tessera uses: Node's DNS resolver
 * pointed at the responder, and openid-client as the relying party of the provider.
 */
import { promises as dns } from 'node:dns';
import * as openid from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDnsResponder, type DnsResponder } from '../support/dns-responder.ts';
import { startTestIdentityProvider, type TestClient, type TestIdentityProvider } from '../support/oidc-provider.ts';

describe('the DNS responder', () => {
  let responder: DnsResponder;
  let resolver: dns.Resolver;

  beforeAll(async () => {
    responder = await startDnsResponder();
    resolver = new dns.Resolver();
    resolver.setServers([responder.address]);
  });

  afterAll(async () => {
    await responder?.close();
  });

  it('answers the TXT records set, whatever the case of the name asked', async () => {
    responder.setTxt('_tessera-verification.acme.test', ['tessera-verification=abc123']);
    expect(await resolver.resolveTxt('_tessera-verification.acme.test')).toEqual([['tessera-verification=abc123']]);
    expect(await resolver.resolveTxt('_Tessera-Verification.ACME.test')).toEqual([['tessera-verification=abc123']]);

    responder.setTxt('_TESSERA-VERIFICATION.Branch.test', ['v=spf1 -all', 'tessera-verification=def456']);
    expect(await resolver.resolveTxt('_tessera-verification.branch.test')).toEqual([['v=spf1 -all'], ['tessera-verification=def456']]);
  });

  it('says NXDOMAIN for a name not set, and no data for a name without the type asked', async () => {
    await expect(resolver.resolveTxt('_tessera-verification.unknown.test')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    responder.setTxt('empty.test', []);
    await expect(resolver.resolveTxt('empty.test')).rejects.toMatchObject({ code: 'ENODATA' });
    responder.setTxt('text-only.test', ['hello']);
    await expect(resolver.resolve4('text-only.test')).rejects.toMatchObject({ code: 'ENODATA' });
  });

  it('splits long values into character-strings, and serves an answer too big for UDP over TCP', async () => {
    const values = Array.from({ length: 8 }, (_, index) => `${index}`.repeat(300));
    responder.setTxt('big.test', values);
    const records = await resolver.resolveTxt('big.test');
    expect(records.map((chunks) => chunks.map((chunk) => chunk.length))).toEqual(values.map(() => [255, 45]));
    expect(records.map((chunks) => chunks.join(''))).toEqual(values);
  });

  it('forgets every name on clear', async () => {
    responder.setTxt('gone.test', ['x']);
    responder.clear();
    await expect(resolver.resolveTxt('gone.test')).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });
});

describe('the identity provider', () => {
  const REDIRECT_URI = 'http://127.0.0.1:1/callback';
  const atStart: TestClient = { client_id: 'given-at-start', client_secret: 'secret at start 0123456789', redirect_uris: [REDIRECT_URI] };
  let idp: TestIdentityProvider;

  beforeAll(async () => {
    idp = await startTestIdentityProvider({ clients: [atStart] });
    idp.setAccount('alice', { email: 'alice@acme.test', email_verified: true, name: 'Alice' });
  });

  afterAll(async () => {
    await idp?.close();
  });

  const configure = (client: TestClient, auth?: openid.ClientAuth) =>
    openid.discovery(new URL(idp.issuer), client.client_id, client.client_secret, auth, { execute: [openid.allowInsecureRequests] });

  /** One sign-in as `sub` up to the callback URL, with what the relying party keeps to check it. */
  async function startSignIn(config: openid.Configuration, sub: string) {
    const pkceCodeVerifier = openid.randomPKCECodeVerifier();
    const state = openid.randomState();
    const nonce = openid.randomNonce();
    const url = openid.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid email profile',
      code_challenge: await openid.calculatePKCECodeChallenge(pkceCodeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    const callback = new URL(await idp.signIn(url.href, sub));
    return { callback, checks: { pkceCodeVerifier, expectedState: state, expectedNonce: nonce } };
  }

  it('signs in through discovery, PKCE, state and nonce, with the claims in the ID token', async () => {
    const config = await configure(atStart);
    expect(config.serverMetadata()).toMatchObject({ issuer: idp.issuer, code_challenge_methods_supported: ['S256'] });
    const { callback, checks } = await startSignIn(config, 'alice');
    expect(`${callback.origin}${callback.pathname}`).toBe(REDIRECT_URI);
    expect(callback.searchParams.get('state')).toBe(checks.expectedState);

    const tokens = await openid.authorizationCodeGrant(config, callback, checks);
    expect(tokens.claims()).toMatchObject({ iss: idp.issuer, aud: atStart.client_id, sub: 'alice', email: 'alice@acme.test', email_verified: true, name: 'Alice', nonce: checks.expectedNonce });
  });

  it('refuses a code used once already', async () => {
    const config = await configure(atStart);
    const { callback, checks } = await startSignIn(config, 'alice');
    await openid.authorizationCodeGrant(config, callback, checks);
    await expect(openid.authorizationCodeGrant(config, callback, checks)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('issues an ID token with another nonce when told, which the relying party refuses; the sign-in after is whole again', async () => {
    const config = await configure(atStart);
    idp.tamperNextNonce();
    const tampered = await startSignIn(config, 'alice');
    await expect(openid.authorizationCodeGrant(config, tampered.callback, tampered.checks)).rejects.toMatchObject({
      code: 'OAUTH_JWT_CLAIM_COMPARISON_FAILED',
      cause: { cause: { claim: 'nonce', expected: tampered.checks.expectedNonce } },
    });

    const next = await startSignIn(config, 'alice');
    expect((await openid.authorizationCodeGrant(config, next.callback, next.checks)).claims()?.nonce).toBe(next.checks.expectedNonce);
  });

  it('gives the claims of the account as set: an unverified address, another domain', async () => {
    const config = await configure(atStart);
    idp.setAccount('bob', { email: 'bob@elsewhere.test', email_verified: false });
    const { callback, checks } = await startSignIn(config, 'bob');
    const claims = (await openid.authorizationCodeGrant(config, callback, checks)).claims();
    expect(claims).toMatchObject({ sub: 'bob', email: 'bob@elsewhere.test', email_verified: false });
    expect(claims).not.toHaveProperty('name');
  });

  it('accepts clients added after start, authenticating with client_secret_basic too', async () => {
    const later: TestClient = { client_id: 'added-later', client_secret: 'secret added later 9876543210', redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: 'client_secret_basic' };
    await expect(configure(later).then((config) => startSignIn(config, 'alice'))).rejects.toThrow(/invalid_client/);
    idp.addClient(later);
    const config = await configure(later, openid.ClientSecretBasic(later.client_secret));
    const { callback, checks } = await startSignIn(config, 'alice');
    expect((await openid.authorizationCodeGrant(config, callback, checks)).claims()?.email).toBe('alice@acme.test');
  });

  it('requires PKCE: a request without a code challenge comes back to the relying party as an error', async () => {
    const config = await configure(atStart);
    const url = openid.buildAuthorizationUrl(config, { redirect_uri: REDIRECT_URI, scope: 'openid email profile', state: 'no-pkce', nonce: 'n' });
    const callback = new URL(await idp.signIn(url.href, 'alice'));
    expect(callback.searchParams.get('error')).toBe('invalid_request');
    expect(callback.searchParams.get('state')).toBe('no-pkce');
  });
});
