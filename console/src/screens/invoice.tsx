import { useState } from 'preact/hooks';
import { api, call, type Schemas } from '../api.ts';
import { useWorkspace } from '../context.ts';
import { common, defineText, formatDate } from '../i18n.ts';
import { navigate } from '../router.ts';
import { ActionStatus, ConfirmButton, ErrorNotice, Field, Link, Loading, Screen, SelectField, Table } from '../ui/components.tsx';
import { useAction, useLoad } from '../ui/hooks.ts';
import { InvoicesScreen, StatusBadge, invoicesText } from './invoices.tsx';
import { StockShortfall, money, recordsText } from './records-shared.tsx';

type VoidReason = Schemas['VoidInvoiceBody']['reason'];

export const invoiceText = defineText(
  {
    back: 'All invoices',
    facts: 'The invoice',
    ncf: 'NCF',
    receiptType: 'Receipt type',
    taxId: 'Tax id',
    currency: 'Currency',
    taxIncluded: 'Prices include tax',
    yes: 'Yes',
    no: 'No',
    dueDate: 'Due date',
    notes: 'Notes',
    issuer: 'Issued by',
    lines: 'Lines',
    position: '#',
    unitPrice: 'Unit price',
    discount: 'Discount %',
    taxPercent: 'Tax %',
    subtotal: 'Subtotal',
    tax: 'Tax',
    totals: 'Totals',
    paid: 'Paid',
    payments: 'Payments',
    paidOn: 'Paid on',
    method: 'Method',
    reference: 'Reference',
    amount: 'Amount',
    issue: 'Issue the invoice',
    issued: 'Invoice issued: it has its number now.',
    deleteDraft: 'Delete the draft',
    deleted: 'Draft deleted.',
    voidTitle: 'Void the invoice',
    voidReason: 'Reason for voiding (DGII)',
    chooseReason: '— Choose a reason —',
    voidNote: 'Note (optional)',
    voidButton: 'Void the invoice',
    voided: (number: string) => `Invoice ${number} voided.`,
    voidedBecause: 'Voided because',
    reason: (reason: VoidReason) =>
      ({
        '01': 'Pre-printed invoice damaged',
        '02': 'Printing errors (pre-printed invoice)',
        '03': 'Defective printing',
        '04': 'Correction of the information',
        '05': 'Change of products',
        '06': 'Return of products',
        '07': 'Omission of products',
        '08': 'Errors in the NCF sequence',
        '09': 'Cessation of operations',
        '10': 'Loss or theft of receipt books',
      })[reason],
  },
  {
    back: 'Todas las facturas',
    facts: 'La factura',
    ncf: 'NCF',
    receiptType: 'Tipo de comprobante',
    taxId: 'RNC o cédula',
    currency: 'Moneda',
    taxIncluded: 'Precios con impuesto incluido',
    yes: 'Sí',
    no: 'No',
    dueDate: 'Vencimiento',
    notes: 'Notas',
    issuer: 'Emitida por',
    lines: 'Líneas',
    position: '#',
    unitPrice: 'Precio unitario',
    discount: 'Descuento %',
    taxPercent: 'Impuesto %',
    subtotal: 'Subtotal',
    tax: 'Impuesto',
    totals: 'Totales',
    paid: 'Pagado',
    payments: 'Pagos',
    paidOn: 'Fecha de pago',
    method: 'Forma de pago',
    reference: 'Referencia',
    amount: 'Monto',
    issue: 'Emitir la factura',
    issued: 'Factura emitida: ya tiene su número.',
    deleteDraft: 'Eliminar el borrador',
    deleted: 'Borrador eliminado.',
    voidTitle: 'Anular la factura',
    voidReason: 'Tipo de anulación (DGII)',
    chooseReason: '— Elija un motivo —',
    voidNote: 'Nota (opcional)',
    voidButton: 'Anular la factura',
    voided: (number: string) => `Factura ${number} anulada.`,
    voidedBecause: 'Anulada por',
    reason: (reason: VoidReason) =>
      ({
        '01': 'Deterioro de factura preimpresa',
        '02': 'Errores de impresión (factura preimpresa)',
        '03': 'Impresión defectuosa',
        '04': 'Corrección de la información',
        '05': 'Cambio de productos',
        '06': 'Devolución de productos',
        '07': 'Omisión de productos',
        '08': 'Errores en secuencia de NCF',
        '09': 'Por cese de operaciones',
        '10': 'Pérdida o hurto de talonarios',
      })[reason],
  },
);

const VOID_REASONS: readonly VoidReason[] = ['01', '02', '03', '04', '05', '06', '07', '08', '09', '10'];

/** One invoice as the API computed it: its facts, lines and totals; issue, delete or void it. */
export function InvoiceScreen(props: { id: string }) {
  const text = invoiceText();
  const list = invoicesText();
  const records = recordsText();
  const shared = common();
  const { workspace, permissions } = useWorkspace();
  const { id } = props;
  const loaded = useLoad(async () => {
    const invoice = (await call(api.GET('/api/v1/invoices/{id}', { params: { path: { id } } }))).data;
    // Names the invoice only refers to, where the caller may read them (a draft has no customer name yet).
    const [contact, location] = await Promise.all([
      invoice.customer_name === null && invoice.contact_id !== null && permissions.has('contacts:view')
        ? call(api.GET('/api/v1/contacts/{id}', { params: { path: { id: String(invoice.contact_id) } } })).then((answer) => answer.data, () => undefined)
        : undefined,
      permissions.has('locations:view')
        ? call(api.GET('/api/v1/locations/{id}', { params: { path: { id: String(invoice.location_id) } } })).then((answer) => answer.data, () => undefined)
        : undefined,
    ]);
    return { invoice, customer: invoice.customer_name ?? contact?.name, location: location?.name };
  }, [workspace.id, id]);
  const action = useAction();
  const [reason, setReason] = useState('');
  const [note, setNote] = useState('');
  const invoice = loaded.data?.invoice;
  const title = invoice ? (invoice.number ?? list.draftNumber(invoice.id)) : list.title;

  return (
    <Screen title={title}>
      <p>
        <Link href={`/w/${workspace.id}/invoices`}>{text.back}</Link>
      </p>
      <ErrorNotice error={loaded.error} />
      <Loading when={loaded.loading && !invoice} />
      <ActionStatus action={action} />
      <StockShortfall error={action.error} />
      {invoice && loaded.data && (
        <>
          <dl class="facts" aria-label={text.facts}>
            <dt>{shared.status}</dt>
            <dd>
              <StatusBadge status={invoice.status} />
            </dd>
            <dt>{list.number}</dt>
            <dd>{invoice.number ?? '—'}</dd>
            <dt>{text.ncf}</dt>
            <dd>{invoice.ncf ?? '—'}</dd>
            <dt>{text.receiptType}</dt>
            <dd>{invoice.document_subtype ?? '—'}</dd>
            <dt>{list.customer}</dt>
            <dd>{loaded.data.customer ?? '—'}</dd>
            {invoice.customer_tax_id && (
              <>
                <dt>{text.taxId}</dt>
                <dd>{invoice.customer_tax_id}</dd>
              </>
            )}
            <dt>{records.location}</dt>
            <dd>{loaded.data.location ?? records.unknown(invoice.location_id)}</dd>
            <dt>{text.currency}</dt>
            <dd>{invoice.currency}</dd>
            <dt>{text.taxIncluded}</dt>
            <dd>{invoice.tax_included ? text.yes : text.no}</dd>
            <dt>{list.issueDate}</dt>
            <dd>{invoice.issue_date ?? '—'}</dd>
            <dt>{text.dueDate}</dt>
            <dd>{invoice.due_date ?? '—'}</dd>
            {invoice.issuer_name && (
              <>
                <dt>{text.issuer}</dt>
                <dd>{invoice.issuer_name}</dd>
              </>
            )}
            {invoice.notes && (
              <>
                <dt>{text.notes}</dt>
                <dd>{invoice.notes}</dd>
              </>
            )}
            {invoice.void_reason && (
              <>
                <dt>{text.voidedBecause}</dt>
                <dd>
                  {invoice.void_reason} — {text.reason(invoice.void_reason)}
                  {invoice.void_note && ` (${invoice.void_note})`} · {formatDate(invoice.voided_at)}
                </dd>
              </>
            )}
          </dl>

          <h2>{text.lines}</h2>
          <Table
            caption={text.lines}
            headers={[text.position, invoicesText().description, records.quantity, text.unitPrice, text.discount, text.taxPercent, text.subtotal, text.tax, list.total]}
            empty={invoice.lines.length === 0}
          >
            {invoice.lines.map((line) => (
              <tr key={line.position}>
                <td>{line.position}</td>
                <td>
                  {line.item_id !== null && permissions.has('products:view') ? <Link href={`/w/${workspace.id}/items/${line.item_id}`}>{line.description}</Link> : line.description}
                </td>
                <td class="amount">{line.quantity}</td>
                <td class="amount">{line.unit_price}</td>
                <td class="amount">{line.discount_percent}</td>
                <td class="amount">{line.tax_percent}</td>
                <td class="amount">{line.subtotal}</td>
                <td class="amount">{line.tax}</td>
                <td class="amount">{line.total}</td>
              </tr>
            ))}
          </Table>

          <h2>{text.totals}</h2>
          <dl class="facts totals" aria-label={text.totals}>
            <dt>{text.subtotal}</dt>
            <dd>{money(invoice.subtotal, invoice.currency)}</dd>
            <dt>{text.tax}</dt>
            <dd>{money(invoice.tax, invoice.currency)}</dd>
            <dt>{list.total}</dt>
            <dd>{money(invoice.total, invoice.currency)}</dd>
            <dt>{text.paid}</dt>
            <dd>{money(invoice.paid, invoice.currency)}</dd>
            <dt>{list.balance}</dt>
            <dd>{money(invoice.balance, invoice.currency)}</dd>
          </dl>

          {invoice.payments.length > 0 && (
            <>
              <h2>{text.payments}</h2>
              <Table caption={text.payments} headers={[text.paidOn, text.method, text.reference, text.amount]} empty={false}>
                {invoice.payments.map((payment) => (
                  <tr key={payment.id}>
                    <td>{payment.paid_on}</td>
                    <td>{payment.method}</td>
                    <td>{payment.reference ?? '—'}</td>
                    <td class="amount">{money(payment.amount, invoice.currency)}</td>
                  </tr>
                ))}
              </Table>
            </>
          )}

          {invoice.status === 'draft' && (
            <div class="actions">
              {permissions.has('invoices:issue') && (
                <button
                  type="button"
                  class="primary"
                  disabled={action.busy}
                  onClick={() =>
                    void action.run(async () => {
                      await call(api.POST('/api/v1/invoices/{id}/issue', { params: { path: { id } }, body: {} }));
                      loaded.reload();
                    }, text.issued)
                  }
                >
                  {text.issue}
                </button>
              )}
              {permissions.has('invoices:delete') && (
                <ConfirmButton
                  label={text.deleteDraft}
                  disabled={action.busy}
                  onConfirm={() =>
                    void action.run(async () => {
                      await call(api.DELETE('/api/v1/invoices/{id}', { params: { path: { id } } }));
                      navigate(`/w/${workspace.id}/invoices`);
                    })
                  }
                />
              )}
            </div>
          )}

          {invoice.status === 'issued' && permissions.has('invoices:void') && (
            <section aria-labelledby="void-title">
              <h2 id="void-title">{text.voidTitle}</h2>
              <div class="void-form">
                <SelectField
                  label={text.voidReason}
                  name="void_reason"
                  required
                  value={reason}
                  onChange={(event) => setReason(event.currentTarget.value)}
                  options={[{ value: '', label: text.chooseReason }, ...VOID_REASONS.map((code) => ({ value: code, label: `${code} — ${text.reason(code)}` }))]}
                />
                <Field label={text.voidNote} name="void_note" value={note} maxLength={500} onInput={(event) => setNote(event.currentTarget.value)} />
                <div class="actions">
                  <ConfirmButton
                    label={text.voidButton}
                    disabled={action.busy || reason === ''}
                    onConfirm={() =>
                      void action.run(async () => {
                        await call(
                          api.POST('/api/v1/invoices/{id}/void', {
                            params: { path: { id } },
                            body: { reason: reason as VoidReason, ...(note.trim() !== '' && { note: note.trim() }) },
                          }),
                        );
                        loaded.reload();
                      }, text.voided(invoice.number ?? list.draftNumber(invoice.id)))
                    }
                  />
                </div>
              </div>
            </section>
          )}
        </>
      )}
    </Screen>
  );
}

/** `invoices` and `invoices/:invoice`. */
export function InvoicesRoute(props: { params: Record<string, string> }) {
  return props.params.invoice === undefined ? <InvoicesScreen /> : <InvoiceScreen id={props.params.invoice} />;
}
