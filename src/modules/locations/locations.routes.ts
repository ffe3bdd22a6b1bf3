import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { inContext } from '../../core/auth/policy.ts';
import { workspaceContextOf } from '../../core/auth/resolve-context.ts';
import { DataEnvelope, IdParams, ListEnvelope, MessageOnly, parseId } from '../../core/http/schemas.ts';
import { CreateLocationBody, Location, LocationListQuery, UpdateLocationBody } from './locations.schemas.ts';
import type { LocationsService } from './locations.service.ts';

/** The current workspace's locations (`X-Workspace-ID`, `x-as-workspace` or the current one). */
export const locationsRoutes: FastifyPluginAsyncTypebox<{ locations: LocationsService }> = async (app, { locations }) => {
  app.get(
    '/locations',
    {
      config: { policy: inContext('locations:view') },
      schema: {
        operationId: 'listLocations',
        tags: ['locations'],
        summary: 'Locations of the workspace: live ones, or archived ones with ?archived=true',
        querystring: LocationListQuery,
        response: { 200: ListEnvelope(Location) },
      },
    },
    async (request) => {
      const page = await locations.list(workspaceContextOf(request), request.query);
      return { data: page.items, meta: { next_cursor: page.nextCursor } };
    },
  );

  app.post(
    '/locations',
    {
      config: { policy: inContext('locations:create') },
      schema: {
        operationId: 'createLocation',
        tags: ['locations'],
        summary: "Create a location (name unique in the workspace; counted against the plan's locations limit, 402 past it)",
        body: CreateLocationBody,
        response: { 201: DataEnvelope(Location) },
      },
    },
    async (request, reply) => {
      const location = await locations.create(workspaceContextOf(request), request.body);
      return reply.code(201).send({ data: location, message: request.translate('location.created') });
    },
  );

  app.get(
    '/locations/:id',
    {
      config: { policy: inContext('locations:view') },
      schema: { operationId: 'getLocation', tags: ['locations'], summary: 'One location', params: IdParams, response: { 200: DataEnvelope(Location) } },
    },
    async (request) => ({ data: await locations.get(workspaceContextOf(request), parseId(request.params.id, 'LOCATION.NOT_FOUND')) }),
  );

  app.patch(
    '/locations/:id',
    {
      config: { policy: inContext('locations:edit') },
      schema: {
        operationId: 'updateLocation',
        tags: ['locations'],
        summary: 'Rename, retype, move or (un)archive a location; a workspace default cannot be archived (409)',
        params: IdParams,
        body: UpdateLocationBody,
        response: { 200: DataEnvelope(Location) },
      },
    },
    async (request) => {
      const location = await locations.update(workspaceContextOf(request), parseId(request.params.id, 'LOCATION.NOT_FOUND'), request.body);
      return { data: location, message: request.translate('location.updated') };
    },
  );

  app.delete(
    '/locations/:id',
    {
      config: { policy: inContext('locations:delete') },
      schema: {
        operationId: 'deleteLocation',
        tags: ['locations'],
        summary: 'Delete a location that is not a workspace default (409 otherwise); frees a place in the plan',
        params: IdParams,
        response: { 200: MessageOnly },
      },
    },
    async (request) => {
      await locations.remove(workspaceContextOf(request), parseId(request.params.id, 'LOCATION.NOT_FOUND'));
      return { message: request.translate('location.deleted') };
    },
  );
};
