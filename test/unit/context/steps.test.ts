/**
 * The request context's steps, each alone, without a server or a database: tenant,
 * credential, workspace selection, effective permissions, the policy check.
 */
import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { effectivePermissions, type LoadedWorkspace } from '../../../src/core/auth/context/admission.ts';
import { requestCredential } from '../../../src/core/auth/context/credential.ts';
import { policyRefusal } from '../../../src/core/auth/context/policy-check.ts';
import { requestedTenant } from '../../../src/core/auth/context/tenant.ts';
import { selectWorkspace } from '../../../src/core/auth/context/workspace-selection.ts';
import type { AccessClaims } from '../../../src/core/auth/jwt.ts';
import type { WorkspacePermission } from '../../../src/core/auth/permissions.ts';
import { anonymous, authenticated, inContext, onPathWorkspace, requiresTenant } from '../../../src/core/auth/policy.ts';
import type { Actor, RequestContext } from '../../../src/core/auth/request-context.ts';
import { MAX_STORED_ID } from '../../../src/core/db/dialect.ts';
import { AppError } from '../../../src/core/errors.ts';

function request(parts: { headers?: Record<string, string>; params?: Record<string, string>; hostname?: string } = {}): FastifyRequest {
  return { headers: parts.headers ?? {}, params: parts.params ?? {}, hostname: parts.hostname ?? '127.0.0.1' } as unknown as FastifyRequest;
}

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    if (error instanceof AppError) return error.code;
    throw error;
  }
}

const claims: AccessClaims = { userId: 7, sessionId: 3, tenantId: 1 };
const tokens = { verify: async (token: string) => (token === 'good.jwt.token' ? claims : Promise.reject(new AppError('AUTH.INVALID_TOKEN'))) };
const session = { kind: 'session', claims } as const;
const apiKey = { kind: 'api_key', secret: 'tsk_abc' } as const;
const fromContext = inContext('members:view');
const fromPathPolicy = onPathWorkspace('workspaces:view');

describe('step 1: the tenant', () => {
  it('takes X-Tenant first, then the subdomain under the base domain, else default', () => {
    expect(requestedTenant(request({ headers: { 'x-tenant': ' Acme ' }, hostname: 'other.example.com' }), 'example.com')).toBe('acme');
    expect(requestedTenant(request({ hostname: 'globex.example.com' }), 'example.com')).toBe('globex');
    expect(requestedTenant(request({ hostname: 'globex.example.com' }), undefined)).toBe('default');
  });

  it('answers 404 TENANT.NOT_FOUND for a slug no tenant can have, before anything is read', () => {
    expect(codeOf(() => requestedTenant(request({ headers: { 'x-tenant': 'no/such' } }), undefined))).toBe('TENANT.NOT_FOUND');
  });
});

describe('step 2: the credential', () => {
  it('reads none on anonymous routes, even with an Authorization header', async () => {
    expect(await requestCredential(request({ headers: { authorization: 'garbage' } }), anonymous(), tokens)).toBeUndefined();
  });

  it('tells API keys by their prefix and verifies access tokens', async () => {
    expect(await requestCredential(request({ headers: { authorization: 'Bearer tsk_abc' } }), authenticated(), tokens)).toEqual(apiKey);
    expect(await requestCredential(request({ headers: { authorization: 'Bearer good.jwt.token' } }), authenticated(), tokens)).toEqual(session);
    expect(await requestCredential(request(), authenticated(), tokens)).toBeUndefined();
  });

  it('answers 401 AUTH.INVALID_TOKEN for a malformed header or a token that does not verify', async () => {
    await expect(requestCredential(request({ headers: { authorization: 'Basic abc' } }), authenticated(), tokens)).rejects.toMatchObject({ code: 'AUTH.INVALID_TOKEN' });
    await expect(requestCredential(request({ headers: { authorization: 'Bearer bad.jwt.token' } }), authenticated(), tokens)).rejects.toMatchObject({ code: 'AUTH.INVALID_TOKEN' });
  });
});

describe('step 3: the workspace selection', () => {
  it('takes the path id on path routes', () => {
    expect(selectWorkspace(request({ params: { id: '42' } }), fromPathPolicy, session)).toEqual({ source: 'path', target: { kind: 'id', id: 42 }, namedId: 42 });
    expect(codeOf(() => selectWorkspace(request({ params: { id: '042' } }), fromPathPolicy, session))).toBe('WORKSPACE.NOT_FOUND');
  });

  it('takes X-Workspace-ID before the current workspace in the context', () => {
    expect(selectWorkspace(request({ headers: { 'x-workspace-id': '9' } }), fromContext, session)).toEqual({ source: 'header', target: { kind: 'id', id: 9 }, namedId: 9 });
    expect(selectWorkspace(request(), fromContext, session)).toEqual({ source: 'current', target: { kind: 'current' } });
  });

  it('targets the sub workspace x-as-workspace names; two different headers are a 400', () => {
    const actingAs5 = { source: 'header', target: { kind: 'sub', id: 5 }, namedId: 5, actingAs: 5 };
    expect(selectWorkspace(request({ headers: { 'x-as-workspace': '5' } }), fromContext, session)).toEqual(actingAs5);
    expect(selectWorkspace(request({ headers: { 'x-as-workspace': '5', 'x-workspace-id': '5' } }), fromContext, session)).toEqual(actingAs5);
    expect(codeOf(() => selectWorkspace(request({ headers: { 'x-as-workspace': '5', 'x-workspace-id': '6' } }), fromContext, session))).toBe('CONTEXT.CONFLICT');
    expect(codeOf(() => selectWorkspace(request({ headers: { 'x-workspace-id': 'abc' } }), fromContext, session))).toBe('CONTEXT.INVALID');
    expect(codeOf(() => selectWorkspace(request({ headers: { 'x-as-workspace': '5x' } }), fromContext, session))).toBe('CONTEXT.INVALID');
  });

  it('on a path route, acts as the path workspace when x-as-workspace names the same one, and refuses another', () => {
    const onPath = (headers: Record<string, string>) => request({ params: { id: '5' }, headers });
    expect(selectWorkspace(onPath({ 'x-as-workspace': '5' }), fromPathPolicy, session)).toEqual({
      source: 'path',
      target: { kind: 'sub', id: 5 },
      namedId: 5,
      actingAs: 5,
    });
    expect(codeOf(() => selectWorkspace(onPath({ 'x-as-workspace': '6' }), fromPathPolicy, session))).toBe('CONTEXT.CONFLICT');
    expect(selectWorkspace(onPath({}), fromPathPolicy, session).actingAs).toBeUndefined();
  });

  it("lets an API key act only in its own workspace, keeping what the request named to check against it", () => {
    expect(selectWorkspace(request({ headers: { 'x-workspace-id': '9' } }), fromContext, apiKey)).toEqual({ source: 'api_key', target: { kind: 'none' }, namedId: 9 });
    expect(selectWorkspace(request(), fromContext, apiKey)).toEqual({ source: 'api_key', target: { kind: 'none' } });
  });

  it('lets an API key target a sub workspace of its own (admission checks the key is the admin workspace’s)', () => {
    expect(selectWorkspace(request({ headers: { 'x-as-workspace': '7' } }), fromContext, apiKey)).toEqual({
      source: 'api_key',
      target: { kind: 'sub', id: 7 },
      namedId: 7,
      actingAs: 7,
    });
  });

  it('joins no workspace for an id beyond what storage holds', () => {
    const beyond = String(MAX_STORED_ID + 1);
    expect(selectWorkspace(request({ params: { id: beyond } }), fromPathPolicy, session).target).toEqual({ kind: 'none' });
  });
});

describe('step 4: effective permissions', () => {
  const readOnly = ['members:view', 'workspaces:view'] as WorkspacePermission[];
  const sets = { readOnly, withheldWhenActingAs: ['workspaces:delete'] as WorkspacePermission[] };
  const user = (tenantRole: 'owner' | 'admin' | 'member'): Actor =>
    ({ kind: 'user', userId: 1, sessionId: 1, tenantRole, profile: {} }) as Actor;
  const workspace = (permissions: string[] | null): LoadedWorkspace => ({
    id: 1,
    bizId: 'b',
    slug: 'w',
    name: 'W',
    dataVersion: 0,
    recordVersions: '',
    membership: permissions && { role: 'custom', permissions: permissions as WorkspacePermission[], locations: null },
  });

  it("are the member's role's", () => {
    expect([...(effectivePermissions(user('member'), workspace(['members:view', 'roles:view']), undefined, sets) ?? [])]).toEqual(['members:view', 'roles:view']);
  });

  it('are the read-only set for a tenant owner or admin who is not a member, and none for anyone else', () => {
    expect([...(effectivePermissions(user('admin'), workspace(null), undefined, sets) ?? [])]).toEqual(readOnly);
    expect(effectivePermissions(user('member'), workspace(null), undefined, sets)).toBeUndefined();
  });

  it("never exceed an API key's scopes", () => {
    const scopes = ['roles:view', 'audit:view'] as WorkspacePermission[];
    expect([...(effectivePermissions(user('member'), workspace(['members:view', 'roles:view']), scopes, sets) ?? [])]).toEqual(['roles:view']);
  });

  it('acting as a sub workspace, are the membership of the admin workspace only: seeing every workspace is none', () => {
    const actingFrom = { id: 2, dataVersion: 0 };
    expect([...(effectivePermissions(user('member'), { ...workspace(['roles:view']), actingFrom }, undefined, sets) ?? [])]).toEqual(['roles:view']);
    expect(effectivePermissions(user('owner'), { ...workspace(null), actingFrom }, undefined, sets)).toBeUndefined();
  });

  it('acting as a sub workspace, never hold what is withheld then, so it can be neither used nor granted there', () => {
    const owner = ['roles:view', 'workspaces:delete'];
    expect([...(effectivePermissions(user('member'), { ...workspace(owner), actingFrom: { id: 2, dataVersion: 0 } }, undefined, sets) ?? [])]).toEqual(['roles:view']);
    expect([...(effectivePermissions(user('member'), workspace(owner), undefined, sets) ?? [])]).toEqual(owner);
  });
});

describe('step 6: the policy check', () => {
  const ctx = (actor: Actor, permissions: string[]): RequestContext =>
    ({ tenant: {}, actor, locale: 'en', workspace: { permissions: new Set(permissions) } }) as unknown as RequestContext;
  const member = { kind: 'user', userId: 1, sessionId: 1, tenantRole: 'member', profile: {} } as Actor;
  const key = { kind: 'api_key', apiKeyId: 1, userId: 1, tenantRole: 'member' } as Actor;

  it('refuses a missing workspace permission with 403 naming it', () => {
    expect(policyRefusal(inContext('members:manage'), ctx(member, ['members:view']))).toMatchObject({ code: 'AUTH.FORBIDDEN', details: { permission: 'members:manage' } });
    expect(policyRefusal(inContext('members:view'), ctx(member, ['members:view']))).toBeUndefined();
  });

  it('refuses a missing tenant permission', () => {
    expect(policyRefusal(requiresTenant('tenant:edit'), ctx(member, []))).toMatchObject({ code: 'AUTH.FORBIDDEN', details: { permission: 'tenant:edit' } });
  });

  it('refuses an API key on a route for users only, after the permission', () => {
    const usersOnly = inContext('api_keys:manage', { usersOnly: true });
    expect(policyRefusal(usersOnly, ctx(key, []))).toMatchObject({ details: { permission: 'api_keys:manage' } });
    expect(policyRefusal(usersOnly, ctx(key, ['api_keys:manage']))).toMatchObject({ code: 'AUTH.FORBIDDEN', details: { reason: 'api_keys_cannot_do_this' } });
    expect(policyRefusal(usersOnly, ctx(member, ['api_keys:manage']))).toBeUndefined();
  });

  it('refuses a route closed to acting as a sub workspace, before the permission, and only while acting', () => {
    const closed = inContext('members:manage', { notActingAs: true });
    const acting = (permissions: string[]) =>
      ({ ...ctx(member, permissions), workspace: { permissions: new Set(permissions), actingFrom: { id: 2, dataVersion: 0 } } }) as unknown as RequestContext;
    expect(policyRefusal(closed, acting([]))).toMatchObject({ code: 'CONTEXT.ACTING_AS_FORBIDDEN', details: { admin_workspace_id: 2 } });
    expect(policyRefusal(closed, acting(['members:manage']))).toMatchObject({ code: 'CONTEXT.ACTING_AS_FORBIDDEN', details: { admin_workspace_id: 2 } });
    expect(policyRefusal(closed, ctx(member, []))).toMatchObject({ details: { permission: 'members:manage' } });
    expect(policyRefusal(closed, ctx(member, ['members:manage']))).toBeUndefined();
    expect(policyRefusal(inContext('members:manage'), acting(['members:manage']))).toBeUndefined();
  });
});
