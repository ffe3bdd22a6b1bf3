/**
 * Admission refuses in REFUSAL_ORDER and nowhere else: for any combination of faults a
 * request can carry at once, the refusal is the earliest of them in that order. fast-check
 * draws the combinations (PBT_SEED replays a run; PBT_RUNS, default 1000).
 */
import fc from 'fast-check';
import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { admit, admitAnonymous, REFUSAL_ORDER, type LoadedAccess } from '../../../src/core/auth/context/admission.ts';
import type { Credential } from '../../../src/core/auth/context/credential.ts';
import { passPortal } from '../../../src/core/auth/context/portal.ts';
import type { WorkspaceSelection } from '../../../src/core/auth/context/workspace-selection.ts';
import type { WorkspacePermission } from '../../../src/core/auth/permissions.ts';
import { authenticated, anonymous } from '../../../src/core/auth/policy.ts';
import type { Actor, TenantContext } from '../../../src/core/auth/request-context.ts';
import { digestPortalCode } from '../../../src/core/auth/secrets.ts';
import { AppError } from '../../../src/core/errors.ts';
import { runSeed } from '../../support/seeds.ts';

const PORTAL_CODE = 'open-sesame-42';

const seed = runSeed('refusal-order');
const numRuns = Number(process.env.PBT_RUNS ?? 1000);

const Faults = fc.record({
  tenantMissing: fc.boolean(),
  tenantDisabled: fc.boolean(),
  /** On a surface behind the portal access code: null when the tenant has none, else whether the request presents it. */
  portalCode: fc.constantFrom(null, 'presented', 'wrong', 'missing'),
  credentialDead: fc.boolean(),
  tokenOfOtherTenant: fc.boolean(),
  viaApiKey: fc.boolean(),
  actingAs: fc.boolean(),
  namesOtherWorkspaceThanKey: fc.boolean(),
  workspaceMissing: fc.boolean(),
  /** A path naming the workspace by biz_id (seed 003): the loaded one's, or another. */
  bizIdPath: fc.constantFrom(null, 'same', 'other'),
  askedForCurrent: fc.boolean(),
  notAMember: fc.boolean(),
  tenantAdmin: fc.boolean(),
  outsideAnyWorkspace: fc.boolean(),
});
type Faults = typeof Faults extends fc.Arbitrary<infer T> ? T : never;

/** The refusals each fault calls for, independent of the code under test. */
function refusalsOf(f: Faults): string[] {
  const found: string[] = [];
  if (f.tenantMissing) return ['TENANT.NOT_FOUND'];
  if (f.tenantDisabled) found.push('TENANT.DISABLED');
  if (f.portalCode === 'wrong' || f.portalCode === 'missing') found.push('PORTAL.ACCESS_DENIED');
  if (f.credentialDead || (!f.viaApiKey && f.tokenOfOtherTenant)) found.push('AUTH.INVALID_TOKEN');
  // A route outside any workspace: nothing about workspaces applies, and a key may not call it.
  if (f.outsideAnyWorkspace) return f.viaApiKey ? [...found, 'AUTH.FORBIDDEN'] : found;
  // A path naming by biz_id another workspace than the one found (the key's own, the one acted as): not visible.
  if (f.bizIdPath === 'other' && !f.workspaceMissing) found.push('WORKSPACE.NOT_FOUND');
  const current = f.askedForCurrent && f.bizIdPath === null;
  // A key may name only its own workspace; asking for the current one names none.
  if (f.actingAs || (f.viaApiKey && f.namesOtherWorkspaceThanKey && !current && f.bizIdPath === null)) found.push('WORKSPACE.NOT_FOUND');
  if (f.workspaceMissing) found.push(current && !f.viaApiKey ? 'CONTEXT.REQUIRED' : 'WORKSPACE.NOT_FOUND');
  else if (f.notAMember && !f.tenantAdmin) found.push('WORKSPACE.NOT_FOUND');
  return found;
}

function scenario(f: Faults) {
  const tenant: TenantContext = {
    id: 1,
    slug: 't',
    name: 'T',
    defaultLocale: 'en',
    disabled: f.tenantDisabled,
    maxOwnedWorkspacesPerUser: null,
    portalAccessCodeDigest: f.portalCode === null ? null : digestPortalCode(1, PORTAL_CODE),
    dataVersion: 1,
  };
  const presented = f.portalCode === 'presented' ? PORTAL_CODE : f.portalCode === 'wrong' ? `${PORTAL_CODE}!` : undefined;
  const request = { headers: presented === undefined ? {} : { 'x-portal-access-code': presented } } as FastifyRequest;
  const gate = (checked: TenantContext) => passPortal(checked, request);
  const tenantRole = f.tenantAdmin ? 'admin' : 'member';
  const actor: Actor = f.viaApiKey
    ? { kind: 'api_key', apiKeyId: 1, userId: 1, tenantRole }
    : { kind: 'user', userId: 1, sessionId: 1, tenantRole, profile: { name: 'A', email: 'a@x.io', createdAt: '', emailVerified: false, locale: null, mfaEnabled: false, currentWorkspaceId: 1, defaultWorkspaceId: null }, dataVersion: 0 };
  const credential: Credential = f.viaApiKey
    ? { kind: 'api_key', secret: 'tsk_x' }
    : { kind: 'session', claims: { userId: 1, sessionId: 1, tenantId: f.tokenOfOtherTenant ? 2 : 1 } };
  const loaded: LoadedAccess | undefined = f.tenantMissing
    ? undefined
    : {
        tenant,
        actor: f.credentialDead ? undefined : actor,
        workspace: f.workspaceMissing
          ? undefined
          : { id: 1, bizId: 'b', slug: 'w', name: 'W', dataVersion: 0, recordVersions: '', membership: f.notAMember ? null : { role: 'member', permissions: ['members:view'] as WorkspacePermission[], locations: null } },
        ...(f.viaApiKey ? { apiKey: { workspaceId: 1, scopes: ['members:view'] as WorkspacePermission[] } } : {}),
      };
  const bizId = f.bizIdPath === null ? undefined : f.bizIdPath === 'same' ? 'b' : 'other';
  const named = bizId !== undefined ? {} : f.askedForCurrent && !f.actingAs ? {} : { namedId: f.namesOtherWorkspaceThanKey ? 2 : 1 };
  const ownTarget: WorkspaceSelection['target'] =
    bizId !== undefined ? { kind: 'biz_id', bizId } : f.askedForCurrent ? { kind: 'current' } : { kind: 'id', id: 1 };
  const selection: WorkspaceSelection = {
    source: f.viaApiKey ? 'api_key' : bizId !== undefined ? 'path' : f.askedForCurrent ? 'current' : 'header',
    target: f.viaApiKey || f.actingAs ? { kind: 'none' } : ownTarget,
    ...(f.actingAs ? { actingAs: 3 } : named),
    ...(bizId === undefined ? {} : { named: { by: 'biz_id' as const, value: bizId } }),
  };
  return { loaded, credential, selection: f.outsideAnyWorkspace ? undefined : selection, gate };
}

describe('the refusal order', () => {
  it('lists every refusal admission may answer, unknown tenant first', () => {
    expect(REFUSAL_ORDER[0]).toBe('TENANT.NOT_FOUND');
    expect(REFUSAL_ORDER.indexOf('AUTH.INVALID_TOKEN')).toBeLessThan(REFUSAL_ORDER.indexOf('WORKSPACE.NOT_FOUND'));
    expect(REFUSAL_ORDER.indexOf('WORKSPACE.NOT_FOUND')).toBeLessThan(REFUSAL_ORDER.indexOf('CONTEXT.REQUIRED'));
  });

  it('refuses a workspace request with the earliest of its faults in REFUSAL_ORDER', () => {
    fc.assert(
      fc.property(Faults, (faults) => {
        const { loaded, credential, selection, gate } = scenario(faults);
        const expected = refusalsOf(faults).sort((a, b) => REFUSAL_ORDER.indexOf(a as never) - REFUSAL_ORDER.indexOf(b as never))[0];
        let refused: string | undefined;
        try {
          admit({ loaded, credential, selection, locale: 'en', permissionSets: { readOnly: ['members:view'] as WorkspacePermission[], withheldWhenActingAs: [] }, gate });
        } catch (error) {
          if (!(error instanceof AppError)) throw error;
          refused = error.code;
        }
        expect(refused).toBe(expected);
      }),
      { seed, numRuns },
    );
  });

  it('refuses a request without credentials: unknown tenant, then disabled, then the portal code, then 401 unless the route is anonymous', () => {
    const tenant = { disabled: true } as TenantContext;
    const closedPortal = () => {
      throw new AppError('PORTAL.ACCESS_DENIED');
    };
    expect(() => admitAnonymous(undefined, authenticated(), closedPortal)).toThrow(expect.objectContaining({ code: 'TENANT.NOT_FOUND' }));
    expect(() => admitAnonymous(tenant, authenticated(), closedPortal)).toThrow(expect.objectContaining({ code: 'TENANT.DISABLED' }));
    expect(() => admitAnonymous({ ...tenant, disabled: false }, authenticated(), closedPortal)).toThrow(expect.objectContaining({ code: 'PORTAL.ACCESS_DENIED' }));
    expect(() => admitAnonymous({ ...tenant, disabled: false }, authenticated(), undefined)).toThrow(expect.objectContaining({ code: 'AUTH.UNAUTHENTICATED' }));
    expect(admitAnonymous({ ...tenant, disabled: false }, anonymous(), undefined)).toMatchObject({ disabled: false });
  });
});
