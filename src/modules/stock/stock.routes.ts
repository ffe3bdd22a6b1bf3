import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { inContext } from '../../core/auth/policy.ts';
import { workspaceContextOf } from '../../core/auth/resolve-context.ts';
import { DataEnvelope, ListEnvelope } from '../../core/http/schemas.ts';
import { createSerializeOnce } from '../../core/http/serialize-once.ts';
import { AdjustmentBody, ReceiptBody, StockLevel, StockListQuery, StockMovement, Transfer, TransferBody } from './stock.schemas.ts';
import type { StockService } from './stock.service.ts';

/** The current workspace's stock: levels per item and location, the ledger, and the movements that write it. */
export const stockRoutes: FastifyPluginAsyncTypebox<{ stock: StockService }> = async (app, { stock }) => {
  // A cached page is the same object on every hit: its JSON is written once.
  const sendLevels = createSerializeOnce<Awaited<ReturnType<StockService['levels']>>>();
  app.get(
    '/stock',
    {
      config: { policy: inContext('stock:view') },
      schema: {
        operationId: 'listStockLevels',
        tags: ['stock'],
        summary: 'Stock levels per item and location, by item or location',
        querystring: StockListQuery,
        response: { 200: ListEnvelope(StockLevel) },
      },
    },
    async (request, reply) => {
      const page = await stock.levels(workspaceContextOf(request), request.query);
      return sendLevels(reply, page, ({ items, nextCursor }) => ({ data: items, meta: { next_cursor: nextCursor } }));
    },
  );

  app.get(
    '/stock/movements',
    {
      config: { policy: inContext('stock:view') },
      schema: {
        operationId: 'listStockMovements',
        tags: ['stock'],
        summary: 'The ledger of movements, oldest first, by item or location',
        querystring: StockListQuery,
        response: { 200: ListEnvelope(StockMovement) },
      },
    },
    async (request) => {
      const page = await stock.movements(workspaceContextOf(request), request.query);
      return { data: page.items, meta: { next_cursor: page.nextCursor } };
    },
  );

  app.post(
    '/stock/receipts',
    {
      config: { policy: inContext('stock:create') },
      schema: { operationId: 'receiveStock', tags: ['stock'], summary: 'Stock that came in at a location', body: ReceiptBody, response: { 201: DataEnvelope(StockMovement) } },
    },
    async (request, reply) => reply.code(201).send({ data: await stock.receive(workspaceContextOf(request), request.body), message: request.translate('stock.received') }),
  );

  app.post(
    '/stock/adjustments',
    {
      config: { policy: inContext('stock:edit') },
      schema: {
        operationId: 'adjustStock',
        tags: ['stock'],
        summary: 'Correct a level up or down, with a reason; never below zero (409)',
        body: AdjustmentBody,
        response: { 201: DataEnvelope(StockMovement) },
      },
    },
    async (request, reply) => reply.code(201).send({ data: await stock.adjust(workspaceContextOf(request), request.body), message: request.translate('stock.adjusted') }),
  );

  app.post(
    '/stock/transfers',
    {
      config: { policy: inContext('stock:create') },
      schema: {
        operationId: 'transferStock',
        tags: ['stock'],
        summary: 'Move stock between two locations of the workspace, both legs or neither; never below zero (409)',
        body: TransferBody,
        response: { 201: DataEnvelope(Transfer) },
      },
    },
    async (request, reply) => reply.code(201).send({ data: await stock.transfer(workspaceContextOf(request), request.body), message: request.translate('stock.transferred') }),
  );
};
