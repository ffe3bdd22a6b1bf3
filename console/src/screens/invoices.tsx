import { useState } from 'preact/hooks';
import { api, call, type Schemas } from '../api.ts';
import { useWorkspace } from '../context.ts';
import { common, defineText } from '../i18n.ts';
import { navigate } from '../router.ts';
import { ActionStatus, ErrorNotice, Field, Link, Loading, Pager, Screen, SelectField, Table } from '../ui/components.tsx';
import { fieldErrors, formValues, useAction, usePaged } from '../ui/hooks.ts';
import {
  AMOUNT_PATTERN,
  ContactSelect,
  ItemSelect,
  PERCENT_PATTERN,
  locationOptions,
  money,
  recordsText,
  useLocations,
  useLookup,
  useWorkspaceDetails,
  type Contact,
  type Item,
} from './records-shared.tsx';

export type InvoiceStatus = Schemas['InvoiceSummary']['status'];
type DocumentSubtype = NonNullable<Schemas['CreateInvoiceBody']['document_subtype']>;

/** The receipt types a new invoice may draw (notes amend an issued invoice, and are not made here). DGII's own names. */
const RECEIPT_TYPES: ReadonlyArray<[DocumentSubtype, string]> = [
  ['B01', 'Crédito fiscal'],
  ['B02', 'Consumo'],
  ['B11', 'Compras'],
  ['B12', 'Registro único de ingresos'],
  ['B13', 'Gastos menores'],
  ['B14', 'Regímenes especiales'],
  ['B15', 'Gubernamental'],
  ['B16', 'Exportaciones'],
  ['B17', 'Pagos al exterior'],
  ['E31', 'Crédito fiscal electrónico'],
  ['E32', 'Consumo electrónico'],
  ['E41', 'Compras electrónico'],
  ['E43', 'Gastos menores electrónico'],
  ['E44', 'Regímenes especiales electrónico'],
  ['E45', 'Gubernamental electrónico'],
  ['E46', 'Exportaciones electrónico'],
  ['E47', 'Pagos al exterior electrónico'],
];

export const invoicesText = defineText(
  {
    title: 'Invoices',
    number: 'Number',
    draftNumber: (id: number) => `Draft #${id}`,
    customer: 'Customer',
    issueDate: 'Issue date',
    total: 'Total',
    balance: 'Balance',
    status: (status: InvoiceStatus) => ({ draft: 'Draft', issued: 'Issued', paid: 'Paid', void: 'Void' })[status],
    anyStatus: 'Any status',
    anyCustomer: 'Any customer',
    search: 'Number or NCF (exact)',
    apply: 'Search',
    create: 'Create a draft invoice',
    createDraft: 'Create the draft',
    locationDefault: '— The workspace default —',
    receiptType: 'Fiscal receipt (NCF) type',
    receiptPreference: (type: string | null) => (type ? `— The workspace preference (${type}) —` : '— The workspace preference (none) —'),
    noReceipt: 'None: no NCF',
    notes: 'Notes (optional)',
    line: (position: number) => `Line ${position}`,
    freeText: '— Free text (no item) —',
    description: 'Description',
    descriptionHint: "Required without an item; with one, the item's name by default.",
    unitPrice: 'Unit price',
    unitPriceHint: (price: string | undefined) => (price ? `Empty: the item's sell price (${price}).` : "Empty: the item's sell price."),
    discount: 'Discount % (optional)',
    tax: 'Tax % (optional)',
    taxHint: (percent: string) => `Empty: the workspace's ${percent}%.`,
    addLine: 'Add a line',
    removeLine: (position: number) => `Remove line ${position}`,
    newContact: 'New customer',
    taxId: 'RNC or cédula (optional)',
    contactEmail: 'E-mail (optional)',
    createContact: 'Create the customer',
    contactCreated: (name: string) => `Customer ${name} created and chosen.`,
  },
  {
    title: 'Facturas',
    number: 'Número',
    draftNumber: (id: number) => `Borrador #${id}`,
    customer: 'Cliente',
    issueDate: 'Fecha de emisión',
    total: 'Total',
    balance: 'Saldo',
    status: (status: InvoiceStatus) => ({ draft: 'Borrador', issued: 'Emitida', paid: 'Pagada', void: 'Anulada' })[status],
    anyStatus: 'Cualquier estado',
    anyCustomer: 'Cualquier cliente',
    search: 'Número o NCF (exacto)',
    apply: 'Buscar',
    create: 'Crear una factura en borrador',
    createDraft: 'Crear el borrador',
    locationDefault: '— La predeterminada de la sucursal —',
    receiptType: 'Tipo de comprobante (NCF)',
    receiptPreference: (type: string | null) => (type ? `— La preferencia de la sucursal (${type}) —` : '— La preferencia de la sucursal (ninguno) —'),
    noReceipt: 'Ninguno: sin NCF',
    notes: 'Notas (opcional)',
    line: (position: number) => `Línea ${position}`,
    freeText: '— Texto libre (sin artículo) —',
    description: 'Descripción',
    descriptionHint: 'Obligatoria sin artículo; con uno, por omisión el nombre del artículo.',
    unitPrice: 'Precio unitario',
    unitPriceHint: (price: string | undefined) => (price ? `Vacío: el precio de venta del artículo (${price}).` : 'Vacío: el precio de venta del artículo.'),
    discount: 'Descuento % (opcional)',
    tax: 'Impuesto % (opcional)',
    taxHint: (percent: string) => `Vacío: el ${percent} % de la sucursal.`,
    addLine: 'Agregar una línea',
    removeLine: (position: number) => `Quitar la línea ${position}`,
    newContact: 'Cliente nuevo',
    taxId: 'RNC o cédula (opcional)',
    contactEmail: 'Correo (opcional)',
    createContact: 'Crear el cliente',
    contactCreated: (name: string) => `Cliente ${name} creado y elegido.`,
  },
);

/** An invoice's status as a word, marked for the eye as well. */
export function StatusBadge(props: { status: InvoiceStatus }) {
  return <span class={`status ${props.status}`}>{invoicesText().status(props.status)}</span>;
}

interface InvoiceFilter {
  status: string;
  q: string;
  contactId: string;
}

/** The workspace's invoices (at the locations the caller works at): filters, pages, and a new draft. */
export function InvoicesScreen() {
  const text = invoicesText();
  const shared = common();
  const { workspace, permissions } = useWorkspace();
  const canSeeContacts = permissions.has('contacts:view');
  const contactsById = useLookup(async (id) => (await call(api.GET('/api/v1/contacts/{id}', { params: { path: { id: String(id) } } }))).data);
  const [filter, setFilter] = useState<InvoiceFilter>({ status: '', q: '', contactId: '' });
  const list = usePaged(
    async (cursor) => {
      const page = await call(
        api.GET('/api/v1/invoices', {
          params: {
            query: {
              limit: 25,
              ...(cursor && { cursor }),
              ...(filter.status !== '' && { status: filter.status as InvoiceStatus }),
              ...(filter.q !== '' && { q: filter.q }),
              ...(filter.contactId !== '' && { contact_id: Number(filter.contactId) }),
            },
          },
        }),
      );
      const unnamed = page.data.filter((invoice) => invoice.customer_name === null && invoice.contact_id !== null).map((invoice) => invoice.contact_id ?? 0);
      const contacts = canSeeContacts ? await contactsById(unnamed) : new Map<number, Contact>();
      return {
        data: page.data.map((invoice) => ({ invoice, customer: invoice.customer_name ?? (invoice.contact_id === null ? undefined : contacts.get(invoice.contact_id)?.name) })),
        meta: page.meta,
      };
    },
    [workspace.id, filter],
  );

  return (
    <Screen title={text.title}>
      <form
        class="filters"
        role="search"
        aria-label={text.title}
        onSubmit={(event) => {
          const values = formValues(event);
          setFilter({ status: values.status ?? '', q: values.q?.trim() ?? '', contactId: values.contact ?? '' });
        }}
      >
        <SelectField
          label={shared.status}
          name="status"
          options={[{ value: '', label: text.anyStatus }, ...(['draft', 'issued', 'paid', 'void'] as const).map((status) => ({ value: status, label: text.status(status) }))]}
        />
        <Field label={text.search} name="q" type="search" maxLength={40} />
        {canSeeContacts && <ContactSelect label={text.customer} name="contact" emptyLabel={text.anyCustomer} />}
        <div class="actions">
          <button type="submit">{text.apply}</button>
        </div>
      </form>
      <ErrorNotice error={list.error} />
      <Loading when={list.loading} />
      <Table
        caption={text.title}
        headers={[text.number, shared.status, text.customer, text.issueDate, text.total, text.balance]}
        empty={!list.loading && list.rows.length === 0}
      >
        {list.rows.map(({ invoice, customer }) => (
          <tr key={invoice.id}>
            <td>
              <Link href={`/w/${workspace.id}/invoices/${invoice.id}`}>{invoice.number ?? text.draftNumber(invoice.id)}</Link>
              {invoice.ncf && <div class="muted">{invoice.ncf}</div>}
            </td>
            <td>
              <StatusBadge status={invoice.status} />
            </td>
            <td>{customer ?? '—'}</td>
            <td>{invoice.issue_date ?? '—'}</td>
            <td class="amount">{money(invoice.total, invoice.currency)}</td>
            <td class="amount">{money(invoice.balance, invoice.currency)}</td>
          </tr>
        ))}
      </Table>
      <Pager list={list} />
      {permissions.has('invoices:create') && <DraftForm />}
    </Screen>
  );
}

interface DraftLine {
  key: number;
  itemId: string;
  item: Item | undefined;
  description: string;
  quantity: string;
  unitPrice: string;
  discount: string;
  tax: string;
}

const emptyLine = (key: number): DraftLine => ({ key, itemId: '', item: undefined, description: '', quantity: '1', unitPrice: '', discount: '', tax: '' });

/** A new draft: its customer (or a new one), where its stock comes from, its receipt type and its lines. */
function DraftForm() {
  const text = invoicesText();
  const records = recordsText();
  const { workspace, permissions } = useWorkspace();
  const details = useWorkspaceDetails();
  const locations = useLocations();
  const action = useAction();
  const errors = fieldErrors(action.error);
  const [contactId, setContactId] = useState('');
  const [location, setLocation] = useState('');
  const [receipt, setReceipt] = useState('');
  const [notes, setNotes] = useState('');
  const [lines, setLines] = useState<DraftLine[]>([emptyLine(1)]);
  const [nextKey, setNextKey] = useState(2);
  const change = (key: number, patch: Partial<DraftLine>) => setLines((current) => current.map((line) => (line.key === key ? { ...line, ...patch } : line)));

  const submit = (event: Event) => {
    event.preventDefault();
    const body: Schemas['CreateInvoiceBody'] = {
      ...(contactId !== '' && { contact_id: Number(contactId) }),
      ...(location !== '' && { location_id: Number(location) }),
      ...(receipt === 'none' ? { document_subtype: null } : receipt !== '' ? { document_subtype: receipt as DocumentSubtype } : {}),
      ...(notes.trim() !== '' && { notes }),
      lines: lines.map((line) => ({
        ...(line.itemId !== '' && { item_id: Number(line.itemId) }),
        ...(line.description.trim() !== '' && { description: line.description }),
        quantity: line.quantity.trim(),
        ...(line.unitPrice.trim() !== '' && { unit_price: line.unitPrice.trim() }),
        ...(line.discount.trim() !== '' && { discount_percent: line.discount.trim() }),
        ...(line.tax.trim() !== '' && { tax_percent: line.tax.trim() }),
      })),
    };
    void action.run(async () => {
      const created = await call(api.POST('/api/v1/invoices', { body }));
      navigate(`/w/${workspace.id}/invoices/${created.data.id}`);
    });
  };

  return (
    <section aria-labelledby="draft-title">
      <h2 id="draft-title">{text.create}</h2>
      {permissions.has('contacts:create') && <NewContact onCreated={(contact) => setContactId(String(contact.id))} />}
      <form class="invoice-form" onSubmit={submit}>
        {permissions.has('contacts:view') && (
          <ContactSelect label={text.customer} name="contact_id" value={contactId} onChange={(id) => setContactId(id)} error={errors.contact_id} />
        )}
        <SelectField
          label={records.location}
          name="location_id"
          value={location}
          onChange={(event) => setLocation(event.currentTarget.value)}
          options={locationOptions(locations.data, text.locationDefault)}
          error={errors.location_id}
        />
        <SelectField
          label={text.receiptType}
          name="document_subtype"
          value={receipt}
          onChange={(event) => setReceipt(event.currentTarget.value)}
          options={[
            { value: '', label: text.receiptPreference(details.data?.preferred_document_subtype ?? null) },
            { value: 'none', label: text.noReceipt },
            ...RECEIPT_TYPES.map(([type, name]) => ({ value: type, label: `${type} — ${name}` })),
          ]}
          error={errors.document_subtype}
        />
        {lines.map((line, index) => {
          const position = index + 1;
          const at = (field: string) => errors[`lines.${index}.${field}`];
          const id = `line-${line.key}`;
          return (
            <fieldset class="line" key={line.key}>
              <legend>{text.line(position)}</legend>
              <ItemSelect
                label={records.item}
                name={`${id}-item`}
                value={line.itemId}
                emptyLabel={text.freeText}
                onChange={(itemId, item) => change(line.key, { itemId, item })}
                error={at('item_id')}
              />
              <div class="line-wide">
                <Field
                  label={text.description}
                  name={`${id}-description`}
                  value={line.description}
                  placeholder={line.item?.name}
                  maxLength={500}
                  required={line.itemId === ''}
                  hint={text.descriptionHint}
                  onInput={(event) => change(line.key, { description: event.currentTarget.value })}
                  error={at('description')}
                />
              </div>
              <Field
                label={records.quantity}
                name={`${id}-quantity`}
                value={line.quantity}
                required
                inputMode="decimal"
                pattern={AMOUNT_PATTERN}
                onInput={(event) => change(line.key, { quantity: event.currentTarget.value })}
                error={at('quantity')}
              />
              <Field
                label={text.unitPrice}
                name={`${id}-unit-price`}
                value={line.unitPrice}
                required={line.itemId === ''}
                inputMode="decimal"
                pattern={AMOUNT_PATTERN}
                placeholder={line.item?.sell_price}
                hint={line.itemId === '' ? undefined : text.unitPriceHint(line.item?.sell_price)}
                onInput={(event) => change(line.key, { unitPrice: event.currentTarget.value })}
                error={at('unit_price')}
              />
              <Field
                label={text.discount}
                name={`${id}-discount`}
                value={line.discount}
                inputMode="decimal"
                pattern={PERCENT_PATTERN}
                onInput={(event) => change(line.key, { discount: event.currentTarget.value })}
                error={at('discount_percent')}
              />
              <Field
                label={text.tax}
                name={`${id}-tax`}
                value={line.tax}
                inputMode="decimal"
                pattern={PERCENT_PATTERN}
                hint={details.data ? text.taxHint(String(details.data.default_tax_percent)) : undefined}
                onInput={(event) => change(line.key, { tax: event.currentTarget.value })}
                error={at('tax_percent')}
              />
              {lines.length > 1 && (
                <div class="actions">
                  <button type="button" onClick={() => setLines((current) => current.filter((candidate) => candidate.key !== line.key))}>
                    {text.removeLine(position)}
                  </button>
                </div>
              )}
            </fieldset>
          );
        })}
        <div class="actions">
          <button
            type="button"
            disabled={lines.length >= 200}
            onClick={() => {
              setLines((current) => [...current, emptyLine(nextKey)]);
              setNextKey((key) => key + 1);
            }}
          >
            {text.addLine}
          </button>
        </div>
        <Field label={text.notes} name="notes" value={notes} maxLength={2000} onInput={(event) => setNotes(event.currentTarget.value)} error={errors.notes} />
        <ActionStatus action={action} />
        <button type="submit" class="primary" disabled={action.busy}>
          {text.createDraft}
        </button>
      </form>
    </section>
  );
}

/** A customer made on the spot (`POST /api/v1/contacts`), then chosen for the draft. */
function NewContact(props: { onCreated: (contact: Contact) => void }) {
  const text = invoicesText();
  const shared = common();
  const action = useAction();
  const errors = fieldErrors(action.error);
  return (
    <details class="new-contact">
      <summary>{text.newContact}</summary>
      <form
        onSubmit={(event) => {
          const values = formValues(event);
          const form = event.currentTarget;
          const name = values.contact_name?.trim() ?? '';
          void action.run(async () => {
            const created = await call(
              api.POST('/api/v1/contacts', {
                body: {
                  kind: 'customer',
                  name,
                  ...(values.contact_tax_id?.trim() && { tax_id: values.contact_tax_id.trim() }),
                  ...(values.contact_email?.trim() && { email: values.contact_email.trim() }),
                },
              }),
            );
            form.reset();
            props.onCreated(created.data);
          }, text.contactCreated(name));
        }}
      >
        <Field label={shared.name} name="contact_name" required maxLength={200} error={errors.name} />
        <Field label={text.taxId} name="contact_tax_id" maxLength={20} error={errors.tax_id} />
        <Field label={text.contactEmail} name="contact_email" type="email" error={errors.email} />
        <ActionStatus action={action} />
        <button type="submit" disabled={action.busy}>
          {text.createContact}
        </button>
      </form>
    </details>
  );
}
