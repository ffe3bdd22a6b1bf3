import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { inContext } from '../../core/auth/policy.ts';
import { workspaceContextOf } from '../../core/auth/resolve-context.ts';
import { DataEnvelope } from '../../core/http/schemas.ts';
import { StockReportQuery, StockValuation } from './stock-reports.schemas.ts';
import type { StockReportsService } from './stock-reports.service.ts';

/** Reports over the current workspace's stock, within the caller's location access. */
export const stockReportsRoutes: FastifyPluginAsyncTypebox<{ reports: StockReportsService }> = async (app, { reports }) => {
  app.get(
    '/stock/valuation',
    {
      config: { policy: inContext('stock:view') },
      schema: {
        operationId: 'getStockValuation',
        tags: ['stock'],
        summary: "Stock valuation per location: quantity × each item's unit cost, exact",
        querystring: StockReportQuery,
        response: { 200: DataEnvelope(StockValuation) },
      },
    },
    async (request) => ({ data: await reports.valuation(workspaceContextOf(request), request.query) }),
  );

  app.get(
    '/stock/export.csv',
    {
      config: { policy: inContext('stock:view') },
      schema: {
        operationId: 'exportStockLevels',
        tags: ['stock'],
        summary: 'The stock levels as CSV (RFC 4180): location, item, quantity, unit cost and value per row',
        querystring: StockReportQuery,
        response: { 200: { description: 'CSV with a header row', content: { 'text/csv': { schema: Type.String() } } } },
      },
    },
    async (request, reply) => {
      const ctx = workspaceContextOf(request);
      const body = await reports.csv(ctx, request.query);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="stock-${ctx.workspace.bizId}.csv"`)
        .header('cache-control', 'no-store')
        .send(body);
    },
  );
};
