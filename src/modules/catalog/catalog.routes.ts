import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { mountRecordRoutes } from '../../core/http/record-routes.ts';
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
    messages: { created: 'item.created', updated: 'item.updated', deleted: 'item.deleted' },
    notFound: 'ITEM.NOT_FOUND',
    shape: Item,
    listQuery: ItemListQuery,
    createBody: CreateItemBody,
    updateBody: UpdateItemBody,
    listSummary: 'Items of the workspace, by id: live ones, or archived ones with ?archived=true; q finds an exact barcode or the start of a SKU or name',
    createSummary: "Create an item (SKU unique in the workspace; counted against the plan's items limit, 402 past it)",
    deleteSummary: 'Delete an item, freeing a place in the plan (409 ITEM.IN_USE once it has stock history: archive it instead)',
  });
  mountRecordRoutes(app, suppliers, {
    plural: 'suppliers',
    singular: 'Supplier',
    resource: 'suppliers',
    noun: 'supplier',
    messages: { created: 'supplier.created', updated: 'supplier.updated', deleted: 'supplier.deleted' },
    notFound: 'SUPPLIER.NOT_FOUND',
    shape: Supplier,
    listQuery: NamedListQuery,
    createBody: CreateSupplierBody,
    updateBody: UpdateSupplierBody,
    listSummary: 'Suppliers of the workspace, by id; q finds names starting with it',
    createSummary: "Create a supplier (name unique in the workspace; counted against the plan's suppliers limit, 402 past it)",
    deleteSummary: 'Delete a supplier, freeing a place in the plan',
  });
  mountRecordRoutes(app, tags, {
    plural: 'tags',
    singular: 'Tag',
    resource: 'tags',
    noun: 'tag',
    messages: { created: 'tag.created', updated: 'tag.updated', deleted: 'tag.deleted' },
    notFound: 'TAG.NOT_FOUND',
    shape: Tag,
    listQuery: NamedListQuery,
    createBody: CreateTagBody,
    updateBody: UpdateTagBody,
    listSummary: 'Tags of the workspace, by id; q finds names starting with it',
    createSummary: "Create a tag (name unique in the workspace; counted against the plan's tags limit, 402 past it)",
    deleteSummary: 'Delete a tag, freeing a place in the plan',
  });
};
