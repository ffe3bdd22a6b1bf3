import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { inContext } from '../../core/auth/policy.ts';
import { workspaceContextOf } from '../../core/auth/resolve-context.ts';
import { bodyMayBeLeftOut } from '../../core/http/json-body.ts';
import { mountRecordRoutes } from '../../core/http/record-routes.ts';
import { DataEnvelope, IdParams, parseId } from '../../core/http/schemas.ts';
import { Invoice } from '../invoices/invoices.schemas.ts';
import { ConvertQuotationBody, CreateQuotationBody, Quotation, QuotationListQuery, QuotationSummary, UpdateQuotationBody } from './quotations.schemas.ts';
import type { QuotationsService } from './quotations.service.ts';

/** The current workspace's quotations, and their conversion into invoices. */
export const quotationsRoutes: FastifyPluginAsyncTypebox<{ quotations: QuotationsService }> = async (app, { quotations }) => {
  mountRecordRoutes(app, quotations, {
    plural: 'quotations',
    singular: 'Quotation',
    resource: 'quotations',
    noun: 'quotation',
    messages: { created: 'quotation.created', updated: 'quotation.updated', deleted: 'quotation.deleted' },
    notFound: 'QUOTATION.NOT_FOUND',
    shape: Quotation,
    listShape: QuotationSummary,
    listQuery: QuotationListQuery,
    createBody: CreateQuotationBody,
    updateBody: UpdateQuotationBody,
    listSummary: 'Quotations of the workspace, by id; filter by status or contact',
    createSummary: 'Create a quotation: lines priced and taxed as an invoice’s',
    deleteSummary: 'Delete an open quotation (a converted one is kept)',
  });

  app.post(
    '/quotations/:id/convert',
    {
      // A conversion makes an invoice: it is creating one.
      config: { policy: inContext('invoices:create') },
      preValidation: bodyMayBeLeftOut,
      schema: {
        operationId: 'convertQuotation',
        tags: ['quotations'],
        summary: 'Convert an open quotation into a draft invoice, once (409 QUOTATION.CONVERTED after)',
        params: IdParams,
        body: ConvertQuotationBody,
        response: { 201: DataEnvelope(Invoice) },
      },
    },
    async (request, reply) =>
      reply.code(201).send({
        data: await quotations.convert(workspaceContextOf(request), parseId(request.params.id, 'QUOTATION.NOT_FOUND'), request.body),
        message: request.translate('quotation.converted'),
      }),
  );
};
