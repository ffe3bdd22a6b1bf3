import { parse as parseCookies, serialize as serializeCookie } from 'cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SURFACES } from '../../core/http/surfaces.ts';

/** Only the callback reads it. */
const CALLBACK_PATH = `${SURFACES.api}/auth/sso/callback`;
const LIFETIME_SECONDS = 10 * 60;

/** One cookie per sign-in, so two started in one browser (two tabs) both complete. */
const nameOf = (stateHash: string) => `tessera_sso_${stateHash.slice(0, 16)}`;

/**
 * The cookie that binds a browser sign-in (`return_to`) to the browser that started it: the
 * provider sends that browser back to the callback by a top-level navigation, which carries a
 * `SameSite=Lax` cookie. A callback address taken from one browser and opened in another (a
 * victim's, to sign them in as someone else) finds no cookie there and signs nobody in.
 */
export function createBrowserBinding(options: { publicUrl: string }) {
  const secure = options.publicUrl.startsWith('https://');
  const cookie = (stateHash: string, value: string, maxAge: number) =>
    serializeCookie(nameOf(stateHash), value, { httpOnly: true, secure, sameSite: 'lax', path: CALLBACK_PATH, maxAge });
  return {
    set(reply: FastifyReply, stateHash: string, binding: string) {
      void reply.header('set-cookie', cookie(stateHash, binding, LIFETIME_SECONDS));
    },
    read(request: FastifyRequest, stateHash: string): string | undefined {
      return parseCookies(request.headers.cookie ?? '')[nameOf(stateHash)];
    },
    clear(reply: FastifyReply, stateHash: string) {
      void reply.header('set-cookie', cookie(stateHash, '', 0));
    },
  };
}

export type BrowserBinding = ReturnType<typeof createBrowserBinding>;
