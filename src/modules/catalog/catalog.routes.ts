import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { TSchema } from '@sinclair/typebox';
import { inContext } from '../../core/auth/policy.ts';
import { workspaceContextOf } from '../../core/auth/resolve-context.ts';
import type { WorkspacePermission } from '../../core/catalogue.ts';
import type { ErrorCode } from '../../core/errors.ts';
import type { TypeBoxApp } from '../../core/http/mount.ts';
import { DataEnvelope, IdParams, ListEnvelope, MessageOnly, parseId } from '../../core/http/schemas.ts';
import { createSerializeOnce } from '../../core/http/serialize-once.ts';
import {
  CreateItemBody,
  CreateSupplierBody,
  CreateTagBody,
  Item,
  ItemListQuery,
  NamedListQuery,
  Supplier,
  Tag,
  UpdateItemBody,
  UpdateSupplierBody,
  UpdateTagBody,
} from './catalog.schemas.ts';
import type { ItemsService } from './items.service.ts';
import type { NamedRecordsService } from './named-records.service.ts';

/** One kind of record's five routes under `/<plural>`; every kind's differ only in these. */
interface RecordRoutes {
  plural: 'items' | 'suppliers' | 'tags';
  singular: 'Item' | 'Supplier' | 'Tag';
  /** The permissions' resource (`products:view` guards the items). */
  resource: 'products' | 'suppliers' | 'tags';
  /** The translated messages' prefix (`item.created`). */
  noun: 'item' | 'supplier' | 'tag';
  notFound: ErrorCode;
  shape: TSchema;
  listQuery: TSchema;
  createBody: TSchema;
  updateBody: TSchema;
  createSummary: string;
  listSummary: string;
}

interface RecordPage {
  items: unknown[];
  nextCursor: string | null;
}

interface RecordsService {
  list(ctx: ReturnType<typeof workspaceContextOf>, query: never): Promise<RecordPage>;
  get(ctx: ReturnType<typeof workspaceContextOf>, id: number): Promise<unknown>;
  create(ctx: ReturnType<typeof workspaceContextOf>, input: never): Promise<unknown>;
  update(ctx: ReturnType<typeof workspaceContextOf>, id: number, input: never): Promise<unknown>;
  remove(ctx: ReturnType<typeof workspaceContextOf>, id: number): Promise<void>;
}

function mountRecordRoutes(app: TypeBoxApp, service: RecordsService, spec: RecordRoutes): void {
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
      schema: { operationId: `list${spec.singular}s`, tags, summary: spec.listSummary, querystring: spec.listQuery, response: { 200: ListEnvelope(spec.shape) } },
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
      return reply.code(201).send({ data: created, message: request.translate(`${spec.noun}.created`) });
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
      return { data: updated, message: request.translate(`${spec.noun}.updated`) };
    },
  );
  app.delete(
    `${base}/:id`,
    {
      config: { policy: inContext(permission('delete')) },
      schema: { operationId: `delete${spec.singular}`, tags, summary: `Delete a ${spec.noun}, freeing a place in the plan`, params: IdParams, response: { 200: MessageOnly } },
    },
    async (request) => {
      await service.remove(workspaceContextOf(request), idOf(request.params));
      return { message: request.translate(`${spec.noun}.deleted`) };
    },
  );
}

/** The current workspace's product catalogue: items, suppliers and tags. */
export const catalogRoutes: FastifyPluginAsyncTypebox<{ items: ItemsService; suppliers: NamedRecordsService<unknown>; tags: NamedRecordsService<unknown> }> = async (
  app,
  { items, suppliers, tags },
) => {
  mountRecordRoutes(app, items, {
    plural: 'items',
    singular: 'Item',
    resource: 'products',
    noun: 'item',
    notFound: 'ITEM.NOT_FOUND',
    shape: Item,
    listQuery: ItemListQuery,
    createBody: CreateItemBody,
    updateBody: UpdateItemBody,
    listSummary: 'Items of the workspace, by id: live ones, or archived ones with ?archived=true; q finds an exact barcode or the start of a SKU or name',
    createSummary: "Create an item (SKU unique in the workspace; counted against the plan's items limit, 402 past it)",
  });
  mountRecordRoutes(app, suppliers, {
    plural: 'suppliers',
    singular: 'Supplier',
    resource: 'suppliers',
    noun: 'supplier',
    notFound: 'SUPPLIER.NOT_FOUND',
    shape: Supplier,
    listQuery: NamedListQuery,
    createBody: CreateSupplierBody,
    updateBody: UpdateSupplierBody,
    listSummary: 'Suppliers of the workspace, by id; q finds names starting with it',
    createSummary: "Create a supplier (name unique in the workspace; counted against the plan's suppliers limit, 402 past it)",
  });
  mountRecordRoutes(app, tags, {
    plural: 'tags',
    singular: 'Tag',
    resource: 'tags',
    noun: 'tag',
    notFound: 'TAG.NOT_FOUND',
    shape: Tag,
    listQuery: NamedListQuery,
    createBody: CreateTagBody,
    updateBody: UpdateTagBody,
    listSummary: 'Tags of the workspace, by id; q finds names starting with it',
    createSummary: "Create a tag (name unique in the workspace; counted against the plan's tags limit, 402 past it)",
  });
};
