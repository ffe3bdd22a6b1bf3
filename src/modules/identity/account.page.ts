import { readFileSync } from 'node:fs';
import type { FastifyPluginAsync } from 'fastify';
import { publicRoute } from '../../core/auth/policy.ts';
import { SELF_CONTAINED_PAGE_POLICY, sendPage } from '../../core/http/pages.ts';
import { ACCOUNT_PAGE_PATH } from './account-mail.ts';

const asset = (file: string) => readFileSync(new URL(`./account-page/${file}`, import.meta.url), 'utf8');

const FILES = [
  { path: ACCOUNT_PAGE_PATH, type: 'text/html; charset=utf-8', body: asset('account.html') },
  { path: `${ACCOUNT_PAGE_PATH}.js`, type: 'text/javascript; charset=utf-8', body: asset('account.js') },
  { path: `${ACCOUNT_PAGE_PATH}.css`, type: 'text/css; charset=utf-8', body: asset('account.css') },
];

/**
 * The page the account e-mails link to, until the console's own pages replace it: it confirms
 * an address (a new one too) or sets a new password, through the public API only. The token
 * rides in the link's fragment, so no request for these files carries it.
 */
export const accountPageRoutes: FastifyPluginAsync = async (app) => {
  for (const file of FILES) {
    app.get(file.path, { config: { policy: publicRoute() }, schema: { hide: true } }, async (_request, reply) =>
      sendPage(reply, { type: file.type, body: file.body, contentSecurityPolicy: SELF_CONTAINED_PAGE_POLICY }),
    );
  }
};
