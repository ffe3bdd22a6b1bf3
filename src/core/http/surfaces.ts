/**
 * The URL prefixes area routes are mounted under. Routes are written relative to their
 * surface (`'/members'`), so the policy guard, the authorization matrix and the isolation
 * fuzzer see every surface's routes alike.
 *
 * `api` is the contract's REST surface. `web` serves seed 003's portal paths as written
 * (`/tenant/workspaces/mine`, `/workspaces/{workspaceBizId}/invitations`…), as thin routes
 * over the same services.
 */
export const SURFACES = { api: '/api/v1', web: '/web/v1' } as const;
export type Surface = keyof typeof SURFACES;

/**
 * Surfaces a tenant may close behind its portal access code (its `portal_access_code`
 * setting): every request there must then send the code in this header.
 */
export const PORTAL_SURFACES: readonly Surface[] = ['web'];
export const PORTAL_ACCESS_CODE_HEADER = 'X-PORTAL-ACCESS-CODE';

/** Whether a route's full URL lies on a surface behind the portal access code. */
export function behindPortalCode(url: string): boolean {
  return PORTAL_SURFACES.some((surface) => url.startsWith(`${SURFACES[surface]}/`));
}
