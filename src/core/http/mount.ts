import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { TObject } from '@sinclair/typebox';
import type { Policy } from '../auth/policy.ts';

/** The Fastify instance a TypeBox route plugin receives. */
export type TypeBoxApp = Parameters<FastifyPluginAsyncTypebox>[0];

/**
 * Where one operation is served. An operation served on two surfaces under different
 * paths (seed 003's `/web/v1/workspaces/{workspaceId}/roles` and `/api/v1/roles`) is
 * written once by its area, as a function that mounts it, and mounted once per surface:
 * each mount brings its path, the policy its path implies (the workspace from the context,
 * or named in the path), its operationId and its tag.
 */
export interface Mount {
  url: string;
  policy: Policy;
  operationId: string;
  tag: string;
  /** The path's parameters, when the path names the workspace. */
  params?: TObject;
}

/** The schema fields a mount decides. */
export function mountSchema(mount: Mount) {
  return { operationId: mount.operationId, tags: [mount.tag], ...(mount.params ? { params: mount.params } : {}) };
}
