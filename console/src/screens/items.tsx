import { useState } from 'preact/hooks';
import { api, call, type Schemas } from '../api.ts';
import { useWorkspace } from '../context.ts';
import { common, defineText, formatDate } from '../i18n.ts';
import { navigate } from '../router.ts';
import { ActionStatus, ConfirmButton, ErrorNotice, Field, Link, Loading, Pager, Screen, SelectField, Table } from '../ui/components.tsx';
import { fieldErrors, formValues, useAction, useLoad, usePaged } from '../ui/hooks.ts';
import { AMOUNT_PATTERN, money, recordsText, useWorkspaceDetails, type Item } from './records-shared.tsx';

export const itemsText = defineText(
  {
    title: 'Items',
    search: 'Search (SKU, barcode or name)',
    show: 'Show',
    live: 'Live items',
    archived: 'Archived items',
    tag: 'Tag',
    supplier: 'Supplier',
    anyTag: 'Any tag',
    anySupplier: 'Any supplier',
    apply: 'Search',
    create: 'Create an item',
    unit: 'Unit',
    unitHint: 'Default: unit',
    barcode: 'Barcode (optional)',
    barcodeHeader: 'Barcode',
    unitCost: 'Unit cost',
    sellPrice: 'Sell price',
    sellPriceOptional: 'Sell price (optional)',
    sellPriceHint: (markup: string | null) =>
      markup === null ? 'Leave it empty to sell at the unit cost (the workspace sets no markup).' : `Leave it empty for the unit cost plus the workspace's markup (${markup}%).`,
    amountHint: 'A decimal number such as 12.50 (up to 4 places).',
    usage: (used: number, limit: number) => `${used} of ${limit} items in this workspace's plan.`,
    created: (sku: string) => `Item ${sku} created.`,
    edit: 'Edit',
    archive: 'Archive',
    restore: 'Restore',
    archivedOn: (date: string) => `Archived on ${date}.`,
    archivedNotice: (sku: string) => `Item ${sku} archived.`,
    restoredNotice: (sku: string) => `Item ${sku} restored.`,
    details: 'Change the item',
    saved: 'Item saved.',
    nothingChanged: 'Nothing changed.',
    delete: 'Delete',
    deleted: (sku: string) => `Item ${sku} deleted.`,
    stockLink: 'Its stock and movements',
    back: 'All items',
  },
  {
    title: 'Artículos',
    search: 'Buscar (SKU, código de barras o nombre)',
    show: 'Mostrar',
    live: 'Artículos activos',
    archived: 'Artículos archivados',
    tag: 'Etiqueta',
    supplier: 'Proveedor',
    anyTag: 'Cualquier etiqueta',
    anySupplier: 'Cualquier proveedor',
    apply: 'Buscar',
    create: 'Crear un artículo',
    unit: 'Unidad',
    unitHint: 'Por omisión: unit',
    barcode: 'Código de barras (opcional)',
    barcodeHeader: 'Código de barras',
    unitCost: 'Costo unitario',
    sellPrice: 'Precio de venta',
    sellPriceOptional: 'Precio de venta (opcional)',
    sellPriceHint: (markup: string | null) =>
      markup === null ? 'Déjelo vacío para vender al costo unitario (la sucursal no fija margen).' : `Déjelo vacío para el costo unitario más el margen de la sucursal (${markup} %).`,
    amountHint: 'Un número decimal como 12.50 (hasta 4 decimales).',
    usage: (used: number, limit: number) => `${used} de ${limit} artículos en el plan de esta sucursal.`,
    created: (sku: string) => `Artículo ${sku} creado.`,
    edit: 'Editar',
    archive: 'Archivar',
    restore: 'Restaurar',
    archivedOn: (date: string) => `Archivado el ${date}.`,
    archivedNotice: (sku: string) => `Artículo ${sku} archivado.`,
    restoredNotice: (sku: string) => `Artículo ${sku} restaurado.`,
    details: 'Cambiar el artículo',
    saved: 'Artículo guardado.',
    nothingChanged: 'No cambió nada.',
    delete: 'Eliminar',
    deleted: (sku: string) => `Artículo ${sku} eliminado.`,
    stockLink: 'Sus existencias y movimientos',
    back: 'Todos los artículos',
  },
);

interface ItemFilter {
  q: string;
  archived: boolean;
  tagId: string;
  supplierId: string;
}

/** The catalogue: search and filters, keyset pages, a new item, archive and restore. */
export function ItemsScreen() {
  const text = itemsText();
  const shared = common();
  const records = recordsText();
  const { workspace, permissions } = useWorkspace();
  const details = useWorkspaceDetails();
  const currency = details.data?.default_currency;
  const [filter, setFilter] = useState<ItemFilter>({ q: '', archived: false, tagId: '', supplierId: '' });
  const list = usePaged(
    async (cursor) =>
      call(
        api.GET('/api/v1/items', {
          params: {
            query: {
              limit: 25,
              ...(cursor && { cursor }),
              ...(filter.q !== '' && { q: filter.q }),
              ...(filter.archived && { archived: true }),
              ...(filter.tagId !== '' && { tag_id: Number(filter.tagId) }),
              ...(filter.supplierId !== '' && { supplier_id: Number(filter.supplierId) }),
            },
          },
        }),
      ),
    [workspace.id, filter],
  );
  const canSeeTags = permissions.has('tags:view');
  const canSeeSuppliers = permissions.has('suppliers:view');
  const tags = useLoad(async () => (canSeeTags ? (await call(api.GET('/api/v1/tags', { params: { query: { limit: 100 } } }))).data : []), [workspace.id, canSeeTags]);
  const suppliers = useLoad(
    async () => (canSeeSuppliers ? (await call(api.GET('/api/v1/suppliers', { params: { query: { limit: 100 } } }))).data : []),
    [workspace.id, canSeeSuppliers],
  );
  const action = useAction();
  const creation = useAction();
  const errors = fieldErrors(creation.error);
  const canEdit = permissions.has('products:edit');

  const setArchived = (item: Item, archived: boolean) =>
    void action.run(async () => {
      await call(api.PATCH('/api/v1/items/{id}', { params: { path: { id: String(item.id) } }, body: { archived } }));
      list.reload();
    }, archived ? text.archivedNotice(item.sku) : text.restoredNotice(item.sku));

  return (
    <Screen title={text.title}>
      <form
        class="filters"
        role="search"
        aria-label={text.title}
        onSubmit={(event) => {
          const values = formValues(event);
          setFilter({ q: values.q?.trim() ?? '', archived: values.show === 'archived', tagId: values.tag ?? '', supplierId: values.supplier ?? '' });
        }}
      >
        <Field label={text.search} name="q" type="search" maxLength={100} />
        <SelectField
          label={text.show}
          name="show"
          options={[
            { value: 'live', label: text.live },
            { value: 'archived', label: text.archived },
          ]}
        />
        {(tags.data?.length ?? 0) > 0 && (
          <SelectField label={text.tag} name="tag" options={[{ value: '', label: text.anyTag }, ...(tags.data ?? []).map((tag) => ({ value: String(tag.id), label: tag.name }))]} />
        )}
        {(suppliers.data?.length ?? 0) > 0 && (
          <SelectField
            label={text.supplier}
            name="supplier"
            options={[{ value: '', label: text.anySupplier }, ...(suppliers.data ?? []).map((supplier) => ({ value: String(supplier.id), label: supplier.name }))]}
          />
        )}
        <div class="actions">
          <button type="submit">{text.apply}</button>
        </div>
      </form>
      <ErrorNotice error={list.error ?? tags.error ?? suppliers.error} />
      <ActionStatus action={action} />
      <Loading when={list.loading} />
      <Table
        caption={filter.archived ? text.archived : text.live}
        headers={[records.sku, shared.name, text.unit, text.barcodeHeader, text.unitCost, text.sellPrice, shared.actions]}
        empty={!list.loading && list.rows.length === 0}
      >
        {list.rows.map((item) => (
          <tr key={item.id}>
            <td>
              <Link href={`/w/${workspace.id}/items/${item.id}`}>{item.sku}</Link>
            </td>
            <td>{item.name}</td>
            <td>{item.unit}</td>
            <td>{item.barcode ?? '—'}</td>
            <td class="amount">{money(item.unit_cost, currency)}</td>
            <td class="amount">{money(item.sell_price, currency)}</td>
            <td>
              {canEdit && (
                <div class="actions">
                  {item.archived ? (
                    <button type="button" disabled={action.busy} onClick={() => setArchived(item, false)}>
                      {text.restore}
                    </button>
                  ) : (
                    <ConfirmButton label={text.archive} disabled={action.busy} onConfirm={() => setArchived(item, true)} />
                  )}
                </div>
              )}
            </td>
          </tr>
        ))}
      </Table>
      <Pager list={list} />

      {permissions.has('products:create') && (
        <>
          <h2>{text.create}</h2>
          {details.data && <p class="usage">{text.usage(details.data.items_usage, details.data.items_limit)}</p>}
          <form
            onSubmit={(event) => {
              const values = formValues(event);
              const form = event.currentTarget;
              const sku = values.sku?.trim() ?? '';
              void creation.run(async () => {
                await call(
                  api.POST('/api/v1/items', {
                    body: {
                      sku,
                      name: values.name ?? '',
                      ...(values.unit?.trim() && { unit: values.unit }),
                      ...(values.barcode?.trim() && { barcode: values.barcode.trim() }),
                      ...(values.unit_cost && { unit_cost: values.unit_cost }),
                      ...(values.sell_price && { sell_price: values.sell_price }),
                    },
                  }),
                );
                form.reset();
                list.reload();
                details.reload();
              }, text.created(sku));
            }}
          >
            <Field label={records.sku} name="sku" required maxLength={64} error={errors.sku} />
            <Field label={shared.name} name="name" required maxLength={100} error={errors.name} />
            <Field label={text.unit} name="unit" maxLength={20} placeholder="unit" hint={text.unitHint} error={errors.unit} />
            <Field label={text.barcode} name="barcode" maxLength={64} error={errors.barcode} />
            <Field label={text.unitCost} name="unit_cost" inputMode="decimal" pattern={AMOUNT_PATTERN} placeholder="0.00" hint={text.amountHint} error={errors.unit_cost} />
            <Field
              label={text.sellPriceOptional}
              name="sell_price"
              inputMode="decimal"
              pattern={AMOUNT_PATTERN}
              hint={text.sellPriceHint(details.data?.default_markup_percent == null ? null : String(details.data.default_markup_percent))}
              error={errors.sell_price}
            />
            <ActionStatus action={creation} />
            <button type="submit" class="primary" disabled={creation.busy}>
              {text.create}
            </button>
          </form>
        </>
      )}
    </Screen>
  );
}

/** One item: its fields to change, archive or restore it, delete it while nothing refers to it. */
export function ItemScreen(props: { params: Record<string, string> }) {
  const text = itemsText();
  const shared = common();
  const records = recordsText();
  const { workspace, permissions } = useWorkspace();
  const id = props.params.item ?? '';
  const loaded = useLoad(async () => (await call(api.GET('/api/v1/items/{id}', { params: { path: { id } } }))).data, [workspace.id, id]);
  const action = useAction();
  const errors = fieldErrors(action.error);
  const item = loaded.data;
  const canEdit = permissions.has('products:edit');

  const change = (body: Schemas['UpdateItemBody'], notice: string) =>
    action.run(async () => {
      await call(api.PATCH('/api/v1/items/{id}', { params: { path: { id } }, body }));
      loaded.reload();
    }, notice);

  return (
    <Screen title={item ? `${item.sku} — ${item.name}` : text.title}>
      <p>
        <Link href={`/w/${workspace.id}/items`}>{text.back}</Link>
        {permissions.has('stock:view') && item && (
          <>
            {' · '}
            <Link href={`/w/${workspace.id}/stock?item=${item.id}`}>{text.stockLink}</Link>
          </>
        )}
      </p>
      <ErrorNotice error={loaded.error} />
      <Loading when={loaded.loading && !item} />
      <ActionStatus action={action} />
      {item && (
        <>
          {item.archived && <p class="notice">{text.archivedOn(formatDate(item.archived_at))}</p>}
          <h2>{text.details}</h2>
          <form
            class="record-edit"
            key={item.updated_at}
            onSubmit={(event) => {
              const values = formValues(event);
              if (!canEdit) return;
              const barcode = values.barcode?.trim() ? values.barcode.trim() : null;
              const changes = {
                ...(values.sku !== item.sku && { sku: values.sku ?? '' }),
                ...(values.name !== item.name && { name: values.name ?? '' }),
                ...(values.unit !== item.unit && { unit: values.unit ?? '' }),
                ...(barcode !== item.barcode && { barcode }),
                ...(values.unit_cost !== item.unit_cost && { unit_cost: values.unit_cost ?? '' }),
                ...(values.sell_price !== item.sell_price && { sell_price: values.sell_price ?? '' }),
              };
              if (Object.keys(changes).length === 0) {
                void action.run(async () => undefined, text.nothingChanged);
                return;
              }
              void change(changes, text.saved);
            }}
          >
            <fieldset disabled={!canEdit || action.busy}>
              <legend class="visually-hidden">{text.details}</legend>
              <Field label={records.sku} name="sku" required maxLength={64} defaultValue={item.sku} error={errors.sku} />
              <Field label={shared.name} name="name" required maxLength={100} defaultValue={item.name} error={errors.name} />
              <Field label={text.unit} name="unit" required maxLength={20} defaultValue={item.unit} error={errors.unit} />
              <Field label={text.barcode} name="barcode" maxLength={64} defaultValue={item.barcode ?? ''} error={errors.barcode} />
              <Field label={text.unitCost} name="unit_cost" required inputMode="decimal" pattern={AMOUNT_PATTERN} defaultValue={item.unit_cost} error={errors.unit_cost} />
              <Field label={text.sellPrice} name="sell_price" required inputMode="decimal" pattern={AMOUNT_PATTERN} defaultValue={item.sell_price} error={errors.sell_price} />
            </fieldset>
            {canEdit && (
              <button type="submit" class="primary" disabled={action.busy}>
                {shared.save}
              </button>
            )}
          </form>
          <div class="actions">
            {canEdit &&
              (item.archived ? (
                <button type="button" disabled={action.busy} onClick={() => void change({ archived: false }, text.restoredNotice(item.sku))}>
                  {text.restore}
                </button>
              ) : (
                <ConfirmButton label={text.archive} disabled={action.busy} onConfirm={() => void change({ archived: true }, text.archivedNotice(item.sku))} />
              ))}
            {permissions.has('products:delete') && (
              <ConfirmButton
                label={text.delete}
                disabled={action.busy}
                onConfirm={() =>
                  void action.run(async () => {
                    await call(api.DELETE('/api/v1/items/{id}', { params: { path: { id } } }));
                    navigate(`/w/${workspace.id}/items`);
                  }, text.deleted(item.sku))
                }
              />
            )}
          </div>
        </>
      )}
    </Screen>
  );
}

/** `items` and `items/:item`. */
export function ItemsRoute(props: { params: Record<string, string> }) {
  return props.params.item === undefined ? <ItemsScreen /> : <ItemScreen params={props.params} />;
}
