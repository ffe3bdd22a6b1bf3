import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { authenticated, BY_ID_OR_SLUG, onPathWorkspace } from '../../core/auth/policy.ts';
import { userContextOf, workspaceContextOf } from '../../core/auth/resolve-context.ts';
import { AppError } from '../../core/errors.ts';
import { camelCase, fromCamelBody, toCamelValue } from '../../core/http/casing.ts';
import { IdOrSlugParams } from '../../core/http/schemas.ts';
import {
  SeedCreateWorkspaceBody,
  SeedUpdateFields,
  SeedUpdateWorkspaceBody,
  WorkspaceObject,
  WorkspaceObjectCamel,
  type WorkspaceDetails,
} from './workspaces.schemas.ts';
import type { WorkspacesService } from './workspaces.service.ts';

/** Seed 002's object: the camelCase copy of the snake_case one, its ids as strings. */
const seedObject = (details: WorkspaceDetails) => toCamelValue(WorkspaceObject, details);

/**
 * A service call whose refusals name fields as this surface spells them: a 422's field
 * names, and the limit a 402 names (`usersLimit`), in camelCase.
 */
async function inSeedSpelling<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    const details = Object.fromEntries(
      Object.entries(error.details).map(([key, value]) => [camelCase(key), key === 'limit' && typeof value === 'string' ? camelCase(value) : value]),
    );
    throw new AppError(error.code, details, error.messageParams);
  }
}

/**
 * Seed 002's workspace routes as it writes them: at the root (`POST /workspaces`,
 * `GET|PATCH /workspaces/{idOrSlug}`), answering the bare camelCase object. Thin routes over
 * the same service as `/api/v1/workspaces`.
 */
export const workspacesSeedRoutes: FastifyPluginAsyncTypebox<{ workspaces: WorkspacesService }> = async (app, { workspaces }) => {
  app.post(
    '/workspaces',
    {
      config: { policy: authenticated() },
      schema: {
        operationId: 'seedCreateWorkspace',
        tags: ['workspaces (seed 002)'],
        summary: 'Create a workspace (name 1–32, slug 3–48); answers seed 002’s camelCase object',
        body: SeedCreateWorkspaceBody,
        response: { 201: WorkspaceObjectCamel },
      },
    },
    async (request, reply) => reply.code(201).send(seedObject(await inSeedSpelling(() => workspaces.create(userContextOf(request), request.body)))),
  );

  app.get(
    '/workspaces/:idOrSlug',
    {
      config: { policy: onPathWorkspace('workspaces:view', { path: BY_ID_OR_SLUG }) },
      schema: {
        operationId: 'seedGetWorkspace',
        tags: ['workspaces (seed 002)'],
        summary: 'One workspace by id or slug, as seed 002’s camelCase object',
        params: IdOrSlugParams,
        response: { 200: WorkspaceObjectCamel },
      },
    },
    async (request) => seedObject(await workspaces.details(workspaceContextOf(request))),
  );

  app.patch(
    '/workspaces/:idOrSlug',
    {
      config: { policy: onPathWorkspace('settings:edit', { path: BY_ID_OR_SLUG }) },
      schema: {
        operationId: 'seedUpdateWorkspace',
        tags: ['workspaces (seed 002)'],
        summary: 'Change settings (settings:edit) and the name, slug or logo (owners: workspaces:edit) in one transaction',
        params: IdOrSlugParams,
        body: SeedUpdateWorkspaceBody,
        response: { 200: WorkspaceObjectCamel },
      },
    },
    async (request) => {
      const fields = fromCamelBody<SeedUpdateFields>(SeedUpdateFields, request.body as Record<string, unknown>);
      return seedObject(await inSeedSpelling(() => workspaces.updateFields(workspaceContextOf(request), fields)));
    },
  );
};
