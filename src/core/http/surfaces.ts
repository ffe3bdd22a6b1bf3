/**
 * The URL prefixes area routes are mounted under. Routes are written relative to their
 * surface (`'/members'`), so the policy guard, the authorization matrix and the isolation
 * fuzzer see every surface's routes alike.
 */
export const SURFACES = { api: '/api/v1' } as const;
export type Surface = keyof typeof SURFACES;
