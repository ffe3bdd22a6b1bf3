import type { TSchema } from '@sinclair/typebox';
import { inContext } from '../auth/policy.ts';
import type { InWorkspaceContext } from '../auth/request-context.ts';
import { workspaceContextOf } from '../auth/resolve-context.ts';
import type { MessageKey, WorkspacePermission } from '../catalogue.ts';
import type { ErrorCode } from '../errors.ts';
import type { TypeBoxApp } from './mount.ts';
import { DataEnvelope, IdParams, ListEnvelope, MessageOnly, parseId } from './schemas.ts';
import { createSerializeOnce } from './serialize-once.ts';

/** One kind of record's five routes under `/<plural>`; every kind's differ only in these. */
export interface RecordRoutes {
  /** The collection's path segment (`items`), also its OpenAPI tag. */
  plural: string;
  /** In operation ids (`createItem`). */
  singular: string;
  /** The permissions' resource (`products:view` guards the items). */
  resource: string;
  /** In summaries (`One item`). */
  noun: string;
  /** The translated messages of the three changes. */
  messages: { created: MessageKey; updated: MessageKey; deleted: MessageKey };
  notFound: ErrorCode;
  shape: TSchema;
  /** The shape of a listed record, when lists show less than a single read (`shape` otherwise). */
  listShape?: TSchema;
  listQuery: TSchema;
  createBody: TSchema;
  updateBody: TSchema;
  createSummary: string;
  listSummary: string;
  deleteSummary: string;
}

interface RecordPage {
  items: unknown[];
  nextCursor: string | null;
}

export interface RecordsService {
  list(ctx: InWorkspaceContext, query: never): Promise<RecordPage>;
  get(ctx: InWorkspaceContext, id: number): Promise<unknown>;
  create(ctx: InWorkspaceContext, input: never): Promise<unknown>;
  update(ctx: InWorkspaceContext, id: number, input: never): Promise<unknown>;
  remove(ctx: InWorkspaceContext, id: number): Promise<void>;
}

/**
 * The five routes of one kind of workspace record (list, create, read, change, delete), each
 * guarded by its `resource:action` permission in the request's workspace; the service holds the rules.
 */
export function mountRecordRoutes(app: TypeBoxApp, service: RecordsService, spec: RecordRoutes): void {
  const permission = (action: 'view' | 'create' | 'edit' | 'delete') => `${spec.resource}:${action}` as WorkspacePermission;
  const base = `/${spec.plural}`;
  const tags = [spec.plural];
  const idOf = (params: unknown) => parseId((params as { id: string }).id, spec.notFound);
  // A cached page is the same object on every hit: its JSON is written once.
  const sendPage = createSerializeOnce<RecordPage>();

  app.get(
    base,
    {
      config: { policy: inContext(permission('view')) },
      schema: { operationId: `list${spec.singular}s`, tags, summary: spec.listSummary, querystring: spec.listQuery, response: { 200: ListEnvelope(spec.listShape ?? spec.shape) } },
    },
    async (request, reply) => {
      const page = await service.list(workspaceContextOf(request), request.query as never);
      return sendPage(reply, page, (listed) => ({ data: listed.items, meta: { next_cursor: listed.nextCursor } }));
    },
  );
  app.post(
    base,
    {
      config: { policy: inContext(permission('create')) },
      schema: { operationId: `create${spec.singular}`, tags, summary: spec.createSummary, body: spec.createBody, response: { 201: DataEnvelope(spec.shape) } },
    },
    async (request, reply) => {
      const created = await service.create(workspaceContextOf(request), request.body as never);
      return reply.code(201).send({ data: created, message: request.translate(spec.messages.created) });
    },
  );
  app.get(
    `${base}/:id`,
    {
      config: { policy: inContext(permission('view')) },
      schema: { operationId: `get${spec.singular}`, tags, summary: `One ${spec.noun}`, params: IdParams, response: { 200: DataEnvelope(spec.shape) } },
    },
    async (request) => ({ data: await service.get(workspaceContextOf(request), idOf(request.params)) }),
  );
  app.patch(
    `${base}/:id`,
    {
      config: { policy: inContext(permission('edit')) },
      schema: { operationId: `update${spec.singular}`, tags, summary: `Change a ${spec.noun}`, params: IdParams, body: spec.updateBody, response: { 200: DataEnvelope(spec.shape) } },
    },
    async (request) => {
      const updated = await service.update(workspaceContextOf(request), idOf(request.params), request.body as never);
      return { data: updated, message: request.translate(spec.messages.updated) };
    },
  );
  app.delete(
    `${base}/:id`,
    {
      config: { policy: inContext(permission('delete')) },
      schema: { operationId: `delete${spec.singular}`, tags, summary: spec.deleteSummary, params: IdParams, response: { 200: MessageOnly } },
    },
    async (request) => {
      await service.remove(workspaceContextOf(request), idOf(request.params));
      return { message: request.translate(spec.messages.deleted) };
    },
  );
}
