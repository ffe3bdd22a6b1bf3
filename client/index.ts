import createClient, { type Client, type ClientOptions } from 'openapi-fetch';
import type { components, paths } from './schema.d.ts';

/**
 * A typed client for Tessera's HTTP API: openapi-fetch over the types generated from the
 * OpenAPI document (client/schema.d.ts, `npm run client:generate`). Paths, parameters,
 * bodies, answers and errors are all typed:
 *
 *   const tessera = createTesseraClient('https://tessera.example.com', { token: () => session.accessToken });
 *   const { data, error } = await tessera.GET('/api/v1/members', { params: { header: { 'X-Workspace-ID': '3' } } });
 *   if (error) console.log(error.error.code); else console.log(data.data);
 */

export type { components, operations, paths } from './schema.d.ts';
/** The named shapes of the API: `Schemas['Workspace']`, `Schemas['ErrorBody']`… */
export type Schemas = components['schemas'];
export type TesseraClient = Client<paths>;

export interface TesseraClientOptions {
  /** An access token (JWT) or an API key (`tsk_…`), or a function returning the current one, read on every request. */
  token?: string | (() => string | undefined);
  /** The tenant's slug, sent as `X-Tenant` (without it the server picks by Host, else `default`). */
  tenant?: string;
  /** The language of `message` texts, sent as `Accept-Language`. */
  locale?: 'en' | 'es';
  /** Headers sent with every request. */
  headers?: Record<string, string>;
  /** The fetch to use (default: the global one). */
  fetch?: ClientOptions['fetch'];
}

export function createTesseraClient(baseUrl: string, options: TesseraClientOptions = {}): TesseraClient {
  const client = createClient<paths>({
    baseUrl: baseUrl.replace(/\/+$/, ''),
    ...(options.fetch && { fetch: options.fetch }),
    headers: {
      ...(options.tenant !== undefined && { 'X-Tenant': options.tenant }),
      ...(options.locale !== undefined && { 'Accept-Language': options.locale }),
      ...options.headers,
    },
  });
  const { token } = options;
  if (token !== undefined) {
    client.use({
      onRequest({ request }) {
        const current = typeof token === 'function' ? token() : token;
        if (current && !request.headers.has('authorization')) request.headers.set('authorization', `Bearer ${current}`);
        return request;
      },
    });
  }
  return client;
}
