/**
 * A new area joins without editing src/core/: the demonstration area in
 * test/fixtures/notes-area declares its permissions, error code, messages, table (with
 * version triggers) and routes, and the app composes them with the built-in areas.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AREA_CATALOGUES } from '../../src/areas.ts';
import { CatalogueConflictError, composeCatalogues } from '../../src/core/catalogue.ts';
import { notesArea } from '../fixtures/notes-area/notes.area.ts';
import { notesCatalogue } from '../fixtures/notes-area/notes.catalogue.ts';
import { notesMigration, type NotesDatabase } from '../fixtures/notes-area/notes.table.ts';
import type { Kysely } from 'kysely';
import { addMembership, createWorkspace, register, startTestApp, type Session, type TestApp } from '../support/test-app.ts';

let t: TestApp;
let owner: Session;
let viewer: Session;
let workspaceId: number;
let otherWorkspaceId: number;

beforeAll(async () => {
  t = await startTestApp({
    extraArea: { migrations: [notesMigration], build: (db) => notesArea(db as unknown as Kysely<NotesDatabase>) },
  });
  owner = await register(t);
  viewer = await register(t);
  workspaceId = (await createWorkspace(t, owner, 'Notes Home')).id;
  otherWorkspaceId = (await createWorkspace(t, owner, 'Notes Elsewhere')).id;
  await addMembership(t, workspaceId, viewer.userId, 'viewer');
});
afterAll(async () => t.close());

const inWorkspace = (session: Session, id: number) => ({ ...session.auth, 'x-workspace-id': String(id) });

describe('an area added outside src/core/', () => {
  it('serves its routes under the API surface, with its own success message', async () => {
    const created = await t.request({ method: 'POST', url: '/api/v1/notes', headers: { ...inWorkspace(owner, workspaceId), 'accept-language': 'es' }, payload: { body: 'hola' } });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ data: { body: 'hola' }, message: 'Nota guardada.' });
    const read = await t.request({ method: 'GET', url: `/api/v1/notes/${created.json().data.id}`, headers: inWorkspace(viewer, workspaceId) });
    expect(read.json()).toEqual({ data: { id: created.json().data.id, body: 'hola' } });
  });

  it('answers its own error code with its status and localized message; another workspace sees nothing', async () => {
    const created = await t.request({ method: 'POST', url: '/api/v1/notes', headers: inWorkspace(owner, workspaceId), payload: { body: 'private' } });
    const elsewhere = await t.request({
      method: 'GET',
      url: `/api/v1/notes/${created.json().data.id}`,
      headers: { ...inWorkspace(owner, otherWorkspaceId), 'accept-language': 'es' },
    });
    expect(elsewhere.statusCode).toBe(404);
    expect(elsewhere.json().error).toMatchObject({ code: 'NOTE.NOT_FOUND', message: 'La nota no existe.' });
  });

  it("grants its permissions to the built-in roles it names, and enforces them through the core's policy step", async () => {
    const denied = await t.request({ method: 'POST', url: '/api/v1/notes', headers: inWorkspace(viewer, workspaceId), payload: { body: 'no' } });
    expect(denied.statusCode).toBe(403);
    expect(denied.json().error.details).toEqual({ permission: 'notes:write' });
    const mine = await t.request({ method: 'GET', url: '/api/v1/permissions/me', headers: inWorkspace(viewer, workspaceId) });
    expect(mine.json().data.permissions).toContain('notes:view');
    const catalogue = await t.request({ method: 'GET', url: '/api/v1/permissions', headers: owner.auth });
    expect(catalogue.json().data).toContainEqual({ id: 'notes:write', description: 'Write workspace notes', scope: 'workspace' });
  });

  it('lets custom roles and keys name its permissions', async () => {
    const role = await t.request({
      method: 'POST',
      url: '/api/v1/roles',
      headers: inWorkspace(owner, workspaceId),
      payload: { name: 'scribe', display_name: 'Scribe', permissions: ['notes:view', 'notes:write'] },
    });
    expect(role.statusCode).toBe(201);
  });

  it('is covered by the policy registry, like every built-in route', () => {
    const notes = t.app.routePolicies.filter((route) => route.url.startsWith('/api/v1/notes'));
    expect(notes.map((route) => `${route.method} ${route.url}`).sort()).toEqual(['GET /api/v1/notes/:id', 'HEAD /api/v1/notes/:id', 'POST /api/v1/notes']);
  });

  it('moves the tenant data version when its table changes (its migration covered it)', async () => {
    const version = async () =>
      Number((await t.db.selectFrom('tenant_data_versions').select((eb) => eb.fn.sum<number>('version').as('v')).executeTakeFirstOrThrow()).v);
    const before = await version();
    await t.request({ method: 'POST', url: '/api/v1/notes', headers: inWorkspace(owner, workspaceId), payload: { body: 'moves' } });
    expect(await version()).toBeGreaterThan(before);
  });
});

describe('composing catalogues', () => {
  it('refuses an area that declares a permission, error code or message another area declared', () => {
    expect(() => composeCatalogues([...AREA_CATALOGUES, notesCatalogue, { ...notesCatalogue, area: 'notes-again' }])).toThrow(CatalogueConflictError);
    const stealsACode = { area: 'thief', permissions: {}, errors: { 'WORKSPACE.NOT_FOUND': 404 }, messages: { en: { 'WORKSPACE.NOT_FOUND': 'x' }, es: { 'WORKSPACE.NOT_FOUND': 'x' } } } as const;
    expect(() => composeCatalogues([...AREA_CATALOGUES, stealsACode])).toThrow(/WORKSPACE.NOT_FOUND is declared by both core and thief/);
  });
});
