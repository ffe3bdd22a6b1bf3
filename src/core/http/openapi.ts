import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { publicRoute } from '../auth/policy.ts';
import { escapeHtml } from './html.ts';

type OpenApiDocument = {
  info: { title: string; version: string; description?: string };
  paths?: Record<string, Record<string, OpenApiOperation>>;
};
type OpenApiOperation = {
  summary?: string;
  description?: string;
  tags?: string[];
  parameters?: Array<{ name: string; in: string; required?: boolean; description?: string }>;
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses?: Record<string, { description?: string }>;
};

/** A self-contained reference page rendered on the server: no scripts, no CDN. */
export function renderReferencePage(document: OpenApiDocument): string {
  const byTag = new Map<string, string[]>();
  for (const [path, operations] of Object.entries(document.paths ?? {})) {
    for (const [method, operation] of Object.entries(operations)) {
      if (method === 'head') continue;
      const tag = operation.tags?.[0] ?? 'other';
      const parameters = (operation.parameters ?? [])
        .map((p) => `<li><code>${escapeHtml(p.name)}</code> (${escapeHtml(p.in)}${p.required ? ', required' : ''})</li>`)
        .join('');
      const body = operation.requestBody?.content?.['application/json']?.schema;
      const responses = Object.entries(operation.responses ?? {})
        .map(([status, response]) => `<li><code>${escapeHtml(status)}</code> ${escapeHtml(response.description ?? '')}</li>`)
        .join('');
      const section = [
        `<section><h3><span class="m">${method.toUpperCase()}</span> <code>${escapeHtml(path)}</code></h3>`,
        operation.summary ? `<p>${escapeHtml(operation.summary)}</p>` : '',
        parameters ? `<h4>Parameters</h4><ul>${parameters}</ul>` : '',
        body ? `<h4>Body</h4><pre>${escapeHtml(JSON.stringify(body, null, 2))}</pre>` : '',
        responses ? `<h4>Responses</h4><ul>${responses}</ul>` : '',
        '</section>',
      ].join('');
      byTag.set(tag, [...(byTag.get(tag) ?? []), section]);
    }
  }
  const groups = [...byTag.entries()]
    .map(([tag, sections]) => `<h2 id="${escapeHtml(tag)}">${escapeHtml(tag)}</h2>${sections.join('')}`)
    .join('');
  const toc = [...byTag.keys()].map((tag) => `<a href="#${escapeHtml(tag)}">${escapeHtml(tag)}</a>`).join(' · ');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(document.info.title)} API</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem;color:#222}
section{border-top:1px solid #ddd;padding:.5rem 0}pre{background:#f6f6f6;padding:.5rem;overflow:auto;font-size:13px}
.m{display:inline-block;min-width:4.5rem;font-weight:700;color:#0b5}code{font-size:14px}</style></head>
<body><h1>${escapeHtml(document.info.title)} ${escapeHtml(document.info.version)}</h1>
<p>${escapeHtml(document.info.description ?? '')} The machine-readable document is at <a href="/openapi.json">/openapi.json</a>.</p>
<nav>${toc}</nav>${groups}</body></html>`;
}

export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Tessera',
        version: '0.1.0',
        description: 'Workspaces, members, roles and permissions for multi-tenant business apps.',
      },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      },
    },
  });

  app.get(
    '/openapi.json',
    { config: { policy: publicRoute() }, schema: { tags: ['system'], summary: 'This OpenAPI 3.1 document' } },
    async () => app.swagger(),
  );
  app.get('/docs', { config: { policy: publicRoute() }, schema: { tags: ['system'], summary: 'This reference page' } }, async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(renderReferencePage(app.swagger() as unknown as OpenApiDocument)),
  );
}
