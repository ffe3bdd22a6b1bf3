import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { inContext } from '../../core/auth/policy.ts';
import { workspaceContextOf } from '../../core/auth/resolve-context.ts';
import { DataEnvelope, parseId } from '../../core/http/schemas.ts';
import { MemberLocationAccess, MemberLocationsBody } from './member-locations.schemas.ts';
import type { MemberLocationsService } from './member-locations.service.ts';
import { UserIdParams } from './members.schemas.ts';

/** A member's location access in the current workspace: read with the members, set by who manages them. */
export const memberLocationsRoutes: FastifyPluginAsyncTypebox<{ memberLocations: MemberLocationsService }> = async (app, { memberLocations }) => {
  app.get(
    '/members/:user_id/locations',
    {
      config: { policy: inContext('members:view') },
      schema: {
        operationId: 'getMemberLocations',
        tags: ['members'],
        summary: "A member's location access: every location, or only those listed",
        params: UserIdParams,
        response: { 200: DataEnvelope(MemberLocationAccess) },
      },
    },
    async (request) => ({ data: await memberLocations.get(workspaceContextOf(request), parseId(request.params.user_id, 'MEMBER.NOT_FOUND')) }),
  );

  app.put(
    '/members/:user_id/locations',
    {
      config: { policy: inContext('members:manage') },
      schema: {
        operationId: 'setMemberLocations',
        tags: ['members'],
        summary: 'Restrict a member to listed locations (none: no location at all), or lift the restriction',
        description:
          "Never your own, never the owner's, never a member who holds something you lack. A restricted caller only narrows " +
          'a restricted member within their own locations. Acts on the very next request, in every process.',
        params: UserIdParams,
        body: MemberLocationsBody,
        response: { 200: DataEnvelope(MemberLocationAccess) },
      },
    },
    async (request) => ({
      data: await memberLocations.set(workspaceContextOf(request), parseId(request.params.user_id, 'MEMBER.NOT_FOUND'), request.body),
      message: request.translate('member.locations_updated'),
    }),
  );
};
