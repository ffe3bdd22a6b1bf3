/**
 * The typed client (client/index.ts over the generated client/schema.d.ts) against a real
 * server process over real sockets: the types compile (npm run typecheck covers this file,
 * expectTypeOf included) and the requests they describe are the ones the server answers.
 */
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { createTesseraClient, type Schemas } from '../../client/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/engines.ts';
import { PASSWORD, killAllServers, spawnServer, uniqueProcessEmail, type ServerProcess } from '../support/process.ts';

let database: TestDatabase;
let server: ServerProcess;
beforeAll(async () => {
  database = await createTestDatabase();
  server = await spawnServer(database.env);
  await server.waitReady();
}, 60_000);
afterAll(async () => {
  await killAllServers();
  await database.drop();
});

describe('the generated client against a running server', () => {
  it('registers, creates and lists workspaces, reads members in a workspace context, and types the errors', { timeout: 60_000 }, async () => {
    const anonymous = createTesseraClient(server.url);
    const email = uniqueProcessEmail('client');
    const registered = await anonymous.POST('/api/v1/auth/register', { body: { name: 'Client User', email, password: PASSWORD } });
    expect(registered.response.status, JSON.stringify(registered.error)).toBe(201);
    if (!registered.data) throw new Error('no data');
    // 201 with tokens, or 202 where the tenant wants the address proved first: the client says both.
    expectTypeOf(registered.data.data).toEqualTypeOf<Schemas['TokenPair'] | Schemas['PendingVerification']>();
    expect(registered.data.data).toMatchObject({ token_type: 'Bearer', user: { email, email_verified: false } });
    if (!('access_token' in registered.data.data)) throw new Error('registration answered without tokens');

    let accessToken: string | undefined = registered.data.data.access_token;
    const tessera = createTesseraClient(`${server.url}/`, { token: () => accessToken, locale: 'es', tenant: 'default' });

    const created = await tessera.POST('/api/v1/workspaces', { body: { name: 'Typed Branch' } });
    expect(created.response.status, JSON.stringify(created.error)).toBe(201);
    if (!created.data) throw new Error('no data');
    expectTypeOf(created.data.data).toEqualTypeOf<Schemas['WorkspaceDetails']>();
    expect(created.data.data).toMatchObject({ name: 'Typed Branch', is_owner: true, role: 'owner' });
    expect(created.data.message).toBe('¡Sucursal creada correctamente!');
    const workspaceId = created.data.data.id;

    const listed = await tessera.GET('/api/v1/workspaces', { params: { query: { limit: 10 } } });
    expect(listed.response.status).toBe(200);
    expectTypeOf(listed.data?.meta.next_cursor).toEqualTypeOf<string | null | undefined>();
    expect(listed.data?.data.map((workspace) => workspace.id)).toContain(workspaceId);

    // A second workspace becomes the current one: X-Workspace-ID picks the first again.
    const other = await tessera.POST('/api/v1/workspaces', { body: { name: 'Other Branch' } });
    expect(other.response.status).toBe(201);
    const members = await tessera.GET('/api/v1/members', { params: { header: { 'X-Workspace-ID': String(workspaceId) } } });
    expect(members.response.status, JSON.stringify(members.error)).toBe(200);
    expectTypeOf(members.data?.data).toEqualTypeOf<Array<Schemas['Member']> | undefined>();
    expect(members.data?.data).toEqual([expect.objectContaining({ email, role: 'owner' })]);
    const mine = await tessera.GET('/api/v1/permissions/me', { params: { header: { 'X-Workspace-ID': String(workspaceId) } } });
    expect(mine.data?.data.workspace_id).toBe(workspaceId);

    // Errors come back typed as the error envelope, in the client's language.
    const missing = await tessera.GET('/api/v1/workspaces/{id}', { params: { path: { id: '99999999' } } });
    expect(missing.response.status).toBe(404);
    expect(missing.data).toBeUndefined();
    expectTypeOf(missing.error).toEqualTypeOf<Schemas['ErrorBody'] | undefined>();
    expect(missing.error?.error.code).toBe('WORKSPACE.NOT_FOUND');

    const invalid = await tessera.POST('/api/v1/workspaces', { body: { name: '', slug: 'x' } });
    expect(invalid.response.status).toBe(422);
    expect(invalid.error?.error.code).toBe('VALIDATION.FAILED');
    expect(Object.keys(invalid.error?.error.details ?? {}).sort()).toEqual(['name', 'slug']);

    // The token is read on every request: without one, the same client is refused.
    accessToken = undefined;
    const signedOut = await tessera.GET('/api/v1/me');
    expect(signedOut.response.status).toBe(401);
    expect(signedOut.error?.error.code).toBe('AUTH.UNAUTHENTICATED');
  });
});

/** Compile-time only (never called): what the generated types refuse. */
export function rejectedByTheTypes(client: ReturnType<typeof createTesseraClient>): void {
  // @ts-expect-error a workspace needs a name
  void client.POST('/api/v1/workspaces', { body: {} });
  // @ts-expect-error no such path
  void client.GET('/api/v1/nothing');
  // @ts-expect-error path ids are strings in the document (a decimal pattern)
  void client.GET('/api/v1/workspaces/{id}', { params: { path: { id: 1 } } });
  // @ts-expect-error GET /workspaces reads no workspace context header
  void client.GET('/api/v1/workspaces', { params: { header: { 'X-Workspace-ID': '1' } } });
}
