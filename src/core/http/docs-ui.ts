import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { publicRoute } from '../auth/policy.ts';
import { AppError } from '../errors.ts';
import { sendPage } from './pages.ts';

/**
 * GET /docs: Swagger UI over /openapi.json, served from the installed swagger-ui-dist
 * package (no CDN). The page has no inline script, so it is sent with a strict
 * Content-Security-Policy; Swagger UI sets inline styles, hence style-src 'unsafe-inline'.
 */

const require = createRequire(import.meta.url);
const SWAGGER_UI_DIR = path.dirname(require.resolve('swagger-ui-dist/package.json'));
const SWAGGER_UI_VERSION = (require('swagger-ui-dist/package.json') as { version: string }).version;

const ASSETS_PATH = '/docs/assets';
const INITIALIZER = 'tessera-docs.js';

/** The initializer: a file like the others, so the page needs no inline script. */
const INITIALIZER_SOURCE = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    displayOperationId: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: 'StandaloneLayout',
  });
});
`;

/** The only files /docs/assets serves: a fixed list, never a path built from the request. */
const ASSETS = new Map<string, { type: string; load: () => Promise<Buffer> }>([
  ...(
    [
      ['swagger-ui.css', 'text/css; charset=utf-8'],
      ['swagger-ui-bundle.js', 'text/javascript; charset=utf-8'],
      ['swagger-ui-standalone-preset.js', 'text/javascript; charset=utf-8'],
      ['favicon-32x32.png', 'image/png'],
      ['favicon-16x16.png', 'image/png'],
    ] as const
  ).map(([file, type]) => [file, { type, load: () => readFile(path.join(SWAGGER_UI_DIR, file)) }] as const),
  [INITIALIZER, { type: 'text/javascript; charset=utf-8', load: async () => Buffer.from(INITIALIZER_SOURCE) }],
]);

// Read once per process, on first use: the bundle is 1.7 MB that most processes never serve.
const loaded = new Map<string, Promise<Buffer>>();
function assetBody(file: string, load: () => Promise<Buffer>): Promise<Buffer> {
  let body = loaded.get(file);
  if (!body) {
    body = load();
    loaded.set(file, body);
    body.catch(() => loaded.delete(file));
  }
  return body;
}

const asset = (file: string) => `${ASSETS_PATH}/${file}?v=${SWAGGER_UI_VERSION}`;

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tessera API reference</title>
<link rel="stylesheet" href="${asset('swagger-ui.css')}">
<link rel="icon" type="image/png" href="${asset('favicon-32x32.png')}" sizes="32x32">
<link rel="icon" type="image/png" href="${asset('favicon-16x16.png')}" sizes="16x16">
</head>
<body>
<div id="swagger-ui"></div>
<script src="${asset('swagger-ui-bundle.js')}"></script>
<script src="${asset('swagger-ui-standalone-preset.js')}"></script>
<script src="${asset(INITIALIZER)}"></script>
</body>
</html>
`;

const DOCS_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export function registerDocsUi(app: FastifyInstance): void {
  app.get(
    '/docs',
    {
      config: { policy: publicRoute() },
      schema: {
        operationId: 'getApiReference',
        tags: ['system'],
        summary: 'This reference (Swagger UI over /openapi.json)',
        response: { 200: { description: 'The Swagger UI page', content: { 'text/html': { schema: { type: 'string' } } } } },
      },
    },
    async (_request, reply) =>
      sendPage(reply, { type: 'text/html; charset=utf-8', body: PAGE, contentSecurityPolicy: DOCS_CONTENT_SECURITY_POLICY }),
  );

  app.get(
    `${ASSETS_PATH}/:file`,
    {
      config: { policy: publicRoute() },
      schema: { hide: true, params: Type.Object({ file: Type.String() }) },
    },
    async (request, reply) => {
      const { file } = request.params as { file: string };
      const found = ASSETS.get(file);
      if (!found) throw new AppError('ROUTE.NOT_FOUND');
      const body = await assetBody(file, found.load);
      // Versioned URLs (?v=): a new swagger-ui-dist is a new URL, so a day of caching is safe.
      return reply
        .type(found.type)
        .header('cache-control', 'public, max-age=86400')
        .header('x-content-type-options', 'nosniff')
        .send(body);
    },
  );
}
