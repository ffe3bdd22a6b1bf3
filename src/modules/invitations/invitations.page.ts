import { readFileSync } from 'node:fs';
import type { FastifyPluginAsync } from 'fastify';
import { publicRoute } from '../../core/auth/policy.ts';
import { SELF_CONTAINED_PAGE_POLICY, sendPage } from '../../core/http/pages.ts';
import { ACCEPT_PAGE_PATH } from './invitations.service.ts';

const asset = (file: string) => readFileSync(new URL(`./accept-page/${file}`, import.meta.url), 'utf8');

const FILES = [
  { path: ACCEPT_PAGE_PATH, type: 'text/html; charset=utf-8', body: asset('accept.html') },
  { path: `${ACCEPT_PAGE_PATH}.js`, type: 'text/javascript; charset=utf-8', body: asset('accept.js') },
  { path: `${ACCEPT_PAGE_PATH}.css`, type: 'text/css; charset=utf-8', body: asset('accept.css') },
];

/**
 * The page an invitation e-mail links to, until the console's own accept page replaces it:
 * it shows the invitation (workspace, inviter, role) and lets the invitee create an account,
 * sign in and join, or decline, through the public API only. Static files: the page reads
 * the token from the link's fragment, so no request for them carries it.
 */
export const invitationPageRoutes: FastifyPluginAsync = async (app) => {
  for (const file of FILES) {
    app.get(file.path, { config: { policy: publicRoute() }, schema: { hide: true } }, async (_request, reply) =>
      sendPage(reply, { type: file.type, body: file.body, contentSecurityPolicy: SELF_CONTAINED_PAGE_POLICY }),
    );
  }
};
