import type autocannon from 'autocannon';
import { fiscalDate } from '../src/modules/invoices/ncf.ts';
import { call, json, type Workload } from './http.ts';
import type { Server } from './processes.ts';
import type { InvoicingSeen } from './report.ts';

/**
 * Invoicing (issue 18): every connection drafts an invoice (an item drawn from stock and a
 * free-text line) and issues it, over and over: a number from its workspace's series, an NCF
 * from its range, a sale in the ledger. Over one workspace every issue queues on its series;
 * over four, only a quarter of them do, on PostgreSQL (SQLite runs one writer at a time for
 * the whole file, whatever the workspace).
 */
export const INVOICING_WORKSPACES = 4;

export interface Invoicing {
  /** Every connection in the first workspace; or spread over `INVOICING_WORKSPACES`. */
  workload(workspaces: 1 | typeof INVOICING_WORKSPACES): Workload & { resetCounts(): void; seen(seconds: number, floorRequestsPerSec: number | undefined): InvoicingSeen };
}

export async function setUpInvoicing(server: Server, auth: Record<string, string>): Promise<Invoicing> {
  const workspaces: Array<{ headers: Record<string, string>; item: number }> = [];
  for (let k = 0; k < INVOICING_WORKSPACES; k += 1) {
    const created = (await call(server, { method: 'POST', path: '/api/v1/workspaces', ...json({ name: `Bench invoicing ${k + 1}` }, auth) })) as { data: { id: number; default_location_id: number } };
    const headers = { ...auth, 'x-workspace-id': String(created.data.id) };
    const post = async (path: string, body: object) => ((await call(server, { method: 'POST', path, ...json(body, headers) })) as { data: { id: number } }).data.id;
    const item = await post('/api/v1/items', { sku: 'BENCH-SOLD', name: 'Bench sold item', sell_price: '150' });
    await post('/api/v1/stock/receipts', { item_id: item, location_id: created.data.default_location_id, quantity: '99999999' });
    // Ranges of one type never overlap in a tenant: a ten-million slice each. Authorised today
    // in Santo Domingo, as the server dates it: from 20:00 there, UTC's date is the next day.
    await post('/api/v1/ncf-sequences', { document_type: 'B02', range_start: k * 10_000_000 + 1, range_end: (k + 1) * 10_000_000, authorization_number: 'BENCH', authorized_on: fiscalDate(new Date()) });
    await call(server, { method: 'PUT', path: `/api/v1/workspaces/${created.data.id}/preferred-document-subtype`, ...json({ document_subtype: 'B02' }, auth) });
    workspaces.push({ headers: { ...headers, 'content-type': 'application/json' }, item });
  }
  // One outside the measurement, end to end: a bench that only counted 4xx would be a broken bench.
  const [first] = workspaces;
  if (!first) throw new Error('invoicing: no workspace');
  const draft = (item: number) => JSON.stringify({ lines: [{ item_id: item, quantity: '1' }, { description: 'Delivery', quantity: '1', unit_price: '25.50' }] });
  const probe = (await call(server, { method: 'POST', path: '/api/v1/invoices', headers: first.headers, body: draft(first.item) })) as { data: { id: number } };
  const issued = (await call(server, { method: 'POST', path: `/api/v1/invoices/${probe.data.id}/issue`, headers: first.headers, body: '{}' })) as { data: { ncf: string | null } };
  if (issued.data.ncf === null) throw new Error('invoicing: an issued invoice drew no NCF');

  return {
    workload(spread) {
      let counts = { drafted: 0, issued: 0, failed: 0 };
      return {
        setupClient() {
          let next = 0;
          return (client: autocannon.Client) => {
            const workspace = workspaces[next++ % spread] ?? first;
            let draftId = 0;
            client.setRequests([
              {
                method: 'POST',
                path: '/api/v1/invoices',
                headers: workspace.headers,
                body: draft(workspace.item),
                onResponse: (status, body) => {
                  if (status !== 201) {
                    counts.failed += 1;
                    return;
                  }
                  counts.drafted += 1;
                  draftId = (JSON.parse(body) as { data: { id: number } }).data.id;
                },
              },
              {
                setupRequest: (request) => ({ ...request, method: 'POST', path: `/api/v1/invoices/${draftId}/issue`, headers: workspace.headers, body: '{}' }),
                onResponse: (status) => {
                  if (status === 200) counts.issued += 1;
                  else counts.failed += 1;
                },
              },
            ]);
          };
        },
        resetCounts() {
          counts = { drafted: 0, issued: 0, failed: 0 };
        },
        seen(seconds, floorRequestsPerSec) {
          const issuedPerSec = counts.issued / seconds;
          return { workspaces: spread, issuedPerSec, issuedRatioToFloor: issuedPerSec / (floorRequestsPerSec ?? issuedPerSec), ...counts };
        },
      };
    },
  };
}
