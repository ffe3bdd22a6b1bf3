import * as client from 'openid-client';
import { AppError } from '../../core/errors.ts';
import { checkIssuerUrl, guardedFetch } from './outbound.ts';

/** A connected provider as the relying party sees it: where to send the user, and how to check what comes back. */
export interface Provider {
  readonly issuer: string;
  authorizationUrl(input: { redirectUri: string; state: string; nonce: string; codeChallenge: string; loginHint?: string }): string;
  /** The ID token's claims once the code is exchanged and every check passed; throws SSO.PROVIDER_REFUSED otherwise. */
  complete(callbackUrl: URL, checks: { state: string; nonce: string; codeVerifier: string }): Promise<ProviderClaims>;
}

interface ProviderClaims {
  subject: string;
  email: string | undefined;
  emailVerified: boolean;
  name: string | undefined;
}

const DISCOVERY_KEPT_MS = 10 * 60_000;

/**
 * Providers found by OpenID discovery (openid-client), each through the SSRF guard, and kept a
 * while: a sign-in's start and its callback would otherwise each fetch the discovery document.
 * A connection that changes gets a new key, so it is discovered again.
 */
export function createProviderDirectory(options: { allowLoopback: boolean; now: () => number }) {
  const fetcher = guardedFetch(options.allowLoopback);
  const known = new Map<string, { provider: Provider; until: number }>();

  async function discover(issuerUrl: string, clientId: string, clientSecret: string): Promise<Provider> {
    const url = checkIssuerUrl(issuerUrl, options.allowLoopback);
    let config: client.Configuration;
    try {
      config = await client.discovery(url, clientId, clientSecret, undefined, {
        [client.customFetch]: fetcher,
        timeout: 10,
        ...(url.protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : {}),
      });
    } catch (error) {
      throw new AppError('SSO.DISCOVERY_FAILED', { issuer_url: describe(error) });
    }
    const metadata = config.serverMetadata();
    return {
      issuer: metadata.issuer,
      authorizationUrl: (input) =>
        client
          .buildAuthorizationUrl(config, {
            redirect_uri: input.redirectUri,
            scope: 'openid email profile',
            response_type: 'code',
            code_challenge: input.codeChallenge,
            code_challenge_method: 'S256',
            state: input.state,
            nonce: input.nonce,
            ...(input.loginHint ? { login_hint: input.loginHint } : {}),
          })
          .toString(),
      async complete(callbackUrl, checks) {
        try {
          const tokens = await client.authorizationCodeGrant(config, callbackUrl, {
            pkceCodeVerifier: checks.codeVerifier,
            expectedState: checks.state,
            expectedNonce: checks.nonce,
            idTokenExpected: true,
          });
          const claims = tokens.claims();
          if (!claims) throw new Error('no ID token');
          return {
            subject: claims.sub,
            email: typeof claims.email === 'string' ? claims.email : undefined,
            emailVerified: claims.email_verified === true,
            name: typeof claims.name === 'string' ? claims.name : undefined,
          };
        } catch (error) {
          throw new AppError('SSO.PROVIDER_REFUSED', { reason: describe(error) });
        }
      },
    };
  }

  return {
    discover,
    /** The provider of a stored connection; `version` (its last change) decides whether the kept one is still it. */
    async providerOf(key: { workspaceId: number; version: string }, connection: { issuerUrl: string; clientId: string; clientSecret: () => string }): Promise<Provider> {
      const cacheKey = `${key.workspaceId}:${key.version}`;
      const kept = known.get(cacheKey);
      if (kept && kept.until > options.now()) return kept.provider;
      const provider = await discover(connection.issuerUrl, connection.clientId, connection.clientSecret());
      for (const [stale] of [...known].filter(([name]) => name.startsWith(`${key.workspaceId}:`))) known.delete(stale);
      known.set(cacheKey, { provider, until: options.now() + DISCOVERY_KEPT_MS });
      return provider;
    },
  };
}

export type ProviderDirectory = ReturnType<typeof createProviderDirectory>;

/** What went wrong, in words an owner can act on, without a stack or anything the provider sent at length. */
function describe(error: unknown): string {
  if (error instanceof client.ResponseBodyError) return `${error.error}${error.error_description ? `: ${error.error_description}` : ''}`.slice(0, 300);
  if (error instanceof client.AuthorizationResponseError) return `${error.error}${error.error_description ? `: ${error.error_description}` : ''}`.slice(0, 300);
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error instanceof Error ? error.message : String(error)}${cause}`.slice(0, 300);
}
