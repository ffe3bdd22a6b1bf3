import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { inContext } from '../../core/auth/policy.ts';
import { workspaceContextOf } from '../../core/auth/resolve-context.ts';
import { bodyMayBeLeftOut } from '../../core/http/json-body.ts';
import { mountRecordRoutes } from '../../core/http/record-routes.ts';
import { DataEnvelope, IdParams, MessageOnly, parseId } from '../../core/http/schemas.ts';
import { CreateInvoiceBody, Invoice, InvoiceListQuery, InvoiceSummary, IssueInvoiceBody, PaymentBody, UpdateInvoiceBody, VoidInvoiceBody } from './invoices.schemas.ts';
import type { InvoicesService } from './invoices.service.ts';
import { CreateNcfSequenceBody, NcfSequence, Report608Query } from './ncf-sequences.schemas.ts';
import type { NcfSequencesService } from './ncf-sequences.service.ts';

/** The current workspace's invoices, their issue, payments and voiding, and its NCF ranges. */
export const invoicesRoutes: FastifyPluginAsyncTypebox<{ invoices: InvoicesService; ncfSequences: NcfSequencesService }> = async (app, { invoices, ncfSequences }) => {
  mountRecordRoutes(app, invoices, {
    plural: 'invoices',
    singular: 'Invoice',
    resource: 'invoices',
    noun: 'invoice',
    messages: { created: 'invoice.created', updated: 'invoice.updated', deleted: 'invoice.deleted' },
    notFound: 'INVOICE.NOT_FOUND',
    shape: Invoice,
    listShape: InvoiceSummary,
    listQuery: InvoiceListQuery,
    createBody: CreateInvoiceBody,
    updateBody: UpdateInvoiceBody,
    listSummary: 'Invoices of the workspace at the locations the caller works at, by id; filter by status, contact, or an exact number or NCF',
    createSummary: 'Create a draft invoice: lines of items or free text, totals computed exactly from the workspace settings',
    deleteSummary: 'Delete a draft invoice (an issued one is kept: void it)',
  });

  const idOf = (params: { id: string }) => parseId(params.id, 'INVOICE.NOT_FOUND');
  app.post(
    '/invoices/:id/issue',
    {
      config: { policy: inContext('invoices:issue') },
      preValidation: bodyMayBeLeftOut,
      schema: {
        operationId: 'issueInvoice',
        tags: ['invoices'],
        summary: 'Issue a draft: its gapless number, its NCF and the stock of its items, in one transaction',
        params: IdParams,
        body: IssueInvoiceBody,
        response: { 200: DataEnvelope(Invoice) },
      },
    },
    async (request) => ({ data: await invoices.issue(workspaceContextOf(request), idOf(request.params), request.body), message: request.translate('invoice.issued') }),
  );
  app.post(
    '/invoices/:id/void',
    {
      config: { policy: inContext('invoices:void') },
      schema: {
        operationId: 'voidInvoice',
        tags: ['invoices'],
        summary: 'Void an issued invoice without payments: it keeps its number and NCF, its stock comes back',
        params: IdParams,
        body: VoidInvoiceBody,
        response: { 200: DataEnvelope(Invoice) },
      },
    },
    async (request) => ({ data: await invoices.void(workspaceContextOf(request), idOf(request.params), request.body), message: request.translate('invoice.voided') }),
  );
  app.post(
    '/invoices/:id/payments',
    {
      config: { policy: inContext('invoices:edit') },
      schema: {
        operationId: 'recordInvoicePayment',
        tags: ['invoices'],
        summary: 'Record a payment of an issued invoice (partial allowed, never past the balance)',
        params: IdParams,
        body: PaymentBody,
        response: { 201: DataEnvelope(Invoice) },
      },
    },
    async (request, reply) =>
      reply.code(201).send({ data: await invoices.pay(workspaceContextOf(request), idOf(request.params), request.body), message: request.translate('invoice.payment_recorded') }),
  );

  app.get(
    '/ncf-sequences',
    {
      config: { policy: inContext('settings:view') },
      schema: {
        operationId: 'listNcfSequences',
        tags: ['ncf'],
        summary: "The workspace's NCF ranges by type, each with what is left, whether it runs low, and its state",
        response: { 200: DataEnvelope(Type.Array(NcfSequence)) },
      },
    },
    async (request) => ({ data: await ncfSequences.list(workspaceContextOf(request)) }),
  );
  app.post(
    '/ncf-sequences',
    {
      config: { policy: inContext('settings:edit') },
      schema: {
        operationId: 'createNcfSequence',
        tags: ['ncf'],
        summary: 'Add an authorised NCF range to the workspace; it queues behind the ranges of its type with numbers left',
        body: CreateNcfSequenceBody,
        response: { 201: DataEnvelope(NcfSequence) },
      },
    },
    async (request, reply) =>
      reply.code(201).send({ data: await ncfSequences.create(workspaceContextOf(request), request.body), message: request.translate('ncf.range_created') }),
  );
  app.delete(
    '/ncf-sequences/:id',
    {
      config: { policy: inContext('settings:edit') },
      schema: { operationId: 'deleteNcfSequence', tags: ['ncf'], summary: 'Delete an NCF range nothing was drawn from', params: IdParams, response: { 200: MessageOnly } },
    },
    async (request) => {
      await ncfSequences.remove(workspaceContextOf(request), parseId(request.params.id, 'NCF.SEQUENCE_NOT_FOUND'));
      return { message: request.translate('ncf.range_deleted') };
    },
  );
  app.get(
    '/ncf-reports/608.csv',
    {
      config: { policy: inContext('invoices:view') },
      schema: {
        operationId: 'exportVoidedNcfReport',
        tags: ['ncf'],
        summary: "DGII format 608 for a month: the NCFs voided in it, with the receipt's date and the tipo de anulación (CSV, RFC 4180)",
        querystring: Report608Query,
        response: { 200: { description: 'CSV with a header row', content: { 'text/csv': { schema: Type.String() } } } },
      },
    },
    async (request, reply) => {
      const ctx = workspaceContextOf(request);
      const report = await ncfSequences.report608(ctx, request.query.period);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="608-${ctx.workspace.bizId}-${report.period}.csv"`)
        .header('cache-control', 'no-store')
        .send(report.csv);
    },
  );
};
