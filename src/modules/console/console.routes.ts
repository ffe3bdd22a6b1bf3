import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { publicRoute } from '../../core/auth/policy.ts';
import { sendPage } from '../../core/http/pages.ts';
import { bundleConsole, type ConsoleBundle } from './console.bundle.ts';

export const CONSOLE_PATH = '/console';

/**
 * Everything the console loads comes from this server; it may call only this server's API
 * (`connect-src 'self'`), be framed by nobody, and post no form anywhere (forms are handled
 * by script, which sends JSON).
 */
const CONSOLE_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "form-action 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

const INDEX = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tessera</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${CONSOLE_PATH}/assets/console.css">
<script type="module" src="${CONSOLE_PATH}/assets/console.js"></script>
</head>
<body><div id="app"></div></body>
</html>
`;

/**
 * The console: one page whose script routes every `/console/…` address itself, so a link or
 * a reload of any screen answers the same page. It talks to the public API only.
 */
export const consoleRoutes: FastifyPluginAsync<{ publicUrl: string }> = async (app, { publicUrl }) => {
  // Browsers ignore (and complain about) an opener policy from an origin that is not https.
  const isolated = isolation(publicUrl.startsWith('https://'));
  let bundle: Promise<ConsoleBundle> | undefined;
  const bundled = () => (bundle ??= bundleConsole());
  const policy = { policy: publicRoute() };
  const page = { type: 'text/html; charset=utf-8', body: INDEX, contentSecurityPolicy: CONSOLE_POLICY };

  for (const path of [CONSOLE_PATH, `${CONSOLE_PATH}/*`]) {
    app.get(path, { config: policy, schema: { hide: true } }, async (_request, reply) => sendPage(isolated(reply), page));
  }
  app.get(`${CONSOLE_PATH}/assets/console.js`, { config: policy, schema: { hide: true } }, async (_request, reply) =>
    sendPage(isolated(reply), { type: 'text/javascript; charset=utf-8', body: (await bundled()).script, contentSecurityPolicy: CONSOLE_POLICY }),
  );
  app.get(`${CONSOLE_PATH}/assets/console.css`, { config: policy, schema: { hide: true } }, async (_request, reply) =>
    sendPage(isolated(reply), { type: 'text/css; charset=utf-8', body: (await bundled()).style, contentSecurityPolicy: CONSOLE_POLICY }),
  );
};

/** What a page holding sessions adds to the self-contained page's headers: no framing by old browsers, no window shared with an opener. */
function isolation(secureOrigin: boolean) {
  return (reply: FastifyReply): FastifyReply => {
    void reply.header('x-frame-options', 'DENY').header('cross-origin-resource-policy', 'same-origin');
    return secureOrigin ? reply.header('cross-origin-opener-policy', 'same-origin') : reply;
  };
}
