import { locale } from './i18n.ts';
import { tenantSlug } from './router.ts';

/**
 * The signed-in session of this browser: the access token lives in this tab's memory only;
 * the refresh token lives in an HttpOnly cookie the server set (`X-Token-Transport: cookie`),
 * which no script can read and only `/api/v1/auth/…` receives. A reload or a new tab gets
 * a fresh access token from that cookie.
 */
let accessToken: string | undefined;
let expiresAt = 0;
let refreshing: Promise<boolean> | undefined;
const endListeners = new Set<() => void>();

/** Refresh this long before the token expires, so no request goes out with one about to lapse. */
const EARLY_REFRESH_MS = 30_000;

/** Headers every request of the console carries: the tenant named in the address, the language. */
export function baseHeaders(): Record<string, string> {
  return { 'Accept-Language': locale(), ...(tenantSlug !== undefined && { 'X-Tenant': tenantSlug }) };
}

/** The headers of a request that signs in or refreshes: the refresh token is to come back as a cookie. */
export const cookieTransport = { 'X-Token-Transport': 'cookie' } as const;

export interface IssuedTokens {
  access_token: string;
  expires_in: number;
}

export const session = {
  get signedIn(): boolean {
    return accessToken !== undefined;
  },

  /** Keeps the tokens a sign-in answered (their refresh token is already in the cookie). */
  accept(tokens: IssuedTokens): void {
    accessToken = tokens.access_token;
    expiresAt = Date.now() + tokens.expires_in * 1000;
  },

  /** The access token to send now, refreshed first when it is about to expire. */
  async token(): Promise<string | undefined> {
    if (accessToken !== undefined && Date.now() > expiresAt - EARLY_REFRESH_MS) await session.refresh();
    return accessToken;
  },

  /** A new access token from the cookie; false when there is no live session. Concurrent calls share one request. */
  refresh(): Promise<boolean> {
    refreshing ??= (async () => {
      try {
        const response = await fetch('/api/v1/auth/refresh', {
          method: 'POST',
          headers: { ...baseHeaders(), ...cookieTransport, 'Content-Type': 'application/json' },
          body: '{}',
        });
        if (!response.ok) {
          session.forget();
          return false;
        }
        const body = (await response.json()) as { data: IssuedTokens };
        session.accept(body.data);
        return true;
      } finally {
        refreshing = undefined;
      }
    })();
    return refreshing;
  },

  /** Drops the tokens of this tab and tells the app to show the sign-in screen. */
  forget(): void {
    const wasSignedIn = accessToken !== undefined;
    accessToken = undefined;
    expiresAt = 0;
    if (wasSignedIn) endListeners.forEach((listener) => listener());
  },

  onEnd(listener: () => void): () => void {
    endListeners.add(listener);
    return () => void endListeners.delete(listener);
  },
};
