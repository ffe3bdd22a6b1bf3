import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { api, call, type Schemas } from '../api.ts';
import { useWorkspace } from '../context.ts';
import { defineText, formatDate } from '../i18n.ts';
import { navigate, useLocation } from '../router.ts';
import { ActionStatus, ErrorNotice, Field, Link, Loading, Pager, Screen, SelectField, Table } from '../ui/components.tsx';
import { fieldErrors, formValues, useAction, useLoad, usePaged } from '../ui/hooks.ts';
import {
  AMOUNT_PATTERN,
  ItemSelect,
  SIGNED_AMOUNT_PATTERN,
  StockShortfall,
  itemLabel,
  locationOptions,
  recordsText,
  useItemLookup,
  useLocations,
  useLookup,
  useWorkspaceDetails,
  type Item,
  type Location,
  type WorkspaceDetails,
} from './records-shared.tsx';

type MovementKind = Schemas['StockMovement']['kind'];

export const stockText = defineText(
  {
    title: 'Stock',
    levels: 'Stock levels',
    filter: 'Show',
    clear: 'Clear',
    movementsOf: (item: string) => `Movements of ${item}`,
    movements: 'Movements',
    date: 'Date',
    kindHeader: 'Kind',
    invoice: 'Invoice',
    kind: (kind: MovementKind) => ({ receipt: 'Receipt', adjustment: 'Adjustment', transfer_out: 'Transfer out', transfer_in: 'Transfer in', sale: 'Sale', return: 'Return' })[kind],
    receive: 'Receive stock',
    received: 'Stock received.',
    adjust: 'Adjust stock',
    change: 'Change (+ adds, − takes away)',
    changeHint: 'For example 3 or -2.5.',
    adjusted: 'Stock adjusted.',
    transfer: 'Transfer stock',
    from: 'From location',
    fromHint: (name: string) => `The workspace's usual source is ${name}.`,
    to: 'To location',
    transferred: 'Stock transferred.',
    reasonOptional: 'Reason (optional)',
    quantityHint: 'More than zero, up to 4 places (2.5).',
  },
  {
    title: 'Existencias',
    levels: 'Niveles de existencias',
    filter: 'Mostrar',
    clear: 'Limpiar',
    movementsOf: (item: string) => `Movimientos de ${item}`,
    movements: 'Movimientos',
    date: 'Fecha',
    kindHeader: 'Tipo',
    invoice: 'Factura',
    kind: (kind: MovementKind) => ({ receipt: 'Entrada', adjustment: 'Ajuste', transfer_out: 'Transferencia (salida)', transfer_in: 'Transferencia (entrada)', sale: 'Venta', return: 'Devolución' })[kind],
    receive: 'Recibir existencias',
    received: 'Existencias recibidas.',
    adjust: 'Ajustar existencias',
    change: 'Cambio (+ suma, − resta)',
    changeHint: 'Por ejemplo 3 o -2.5.',
    adjusted: 'Existencias ajustadas.',
    transfer: 'Transferir existencias',
    from: 'Ubicación de origen',
    fromHint: (name: string) => `El origen habitual de la sucursal es ${name}.`,
    to: 'Ubicación de destino',
    transferred: 'Existencias transferidas.',
    reasonOptional: 'Motivo (opcional)',
    quantityHint: 'Mayor que cero, hasta 4 decimales (2.5).',
  },
);

/** A form's section, named by its heading (a landmark a screen reader can jump to). */
function FormSection(props: { id: string; title: string; children: ComponentChildren }) {
  return (
    <section aria-labelledby={`${props.id}-title`}>
      <h2 id={`${props.id}-title`}>{props.title}</h2>
      {props.children}
    </section>
  );
}

/** Stock levels by location or item, an item's ledger, and the receipt, adjustment and transfer forms. */
export function StockScreen() {
  const text = stockText();
  const records = recordsText();
  const { workspace, permissions } = useWorkspace();
  const { query } = useLocation();
  const locationFilter = query.get('location') ?? '';
  const itemFilter = query.get('item') ?? '';
  const details = useWorkspaceDetails();
  const locations = useLocations();
  const itemsById = useItemLookup();
  const locationsById = useLookup(async (id) => (await call(api.GET('/api/v1/locations/{id}', { params: { path: { id: String(id) } } }))).data);
  const canSeeLocations = permissions.has('locations:view');
  const placeNames = async (ids: number[]) => (canSeeLocations ? locationsById(ids) : new Map<number, Location>());

  const where = { ...(locationFilter !== '' && { location_id: Number(locationFilter) }), ...(itemFilter !== '' && { item_id: Number(itemFilter) }) };
  const levels = usePaged(
    async (cursor) => {
      const page = await call(api.GET('/api/v1/stock', { params: { query: { limit: 25, ...(cursor && { cursor }), ...where } } }));
      const [items, places] = await Promise.all([itemsById(page.data.map((level) => level.item_id)), placeNames(page.data.map((level) => level.location_id))]);
      return { data: page.data.map((level) => ({ level, item: items.get(level.item_id), place: places.get(level.location_id)?.name })), meta: page.meta };
    },
    [workspace.id, locationFilter, itemFilter],
  );
  const filteredItem = useLoad(async () => (itemFilter === '' ? undefined : (await itemsById([Number(itemFilter)])).get(Number(itemFilter))), [itemFilter]);
  const movements = usePaged(
    async (cursor) => {
      if (itemFilter === '') return { data: [], meta: { next_cursor: null } };
      const page = await call(api.GET('/api/v1/stock/movements', { params: { query: { limit: 25, ...(cursor && { cursor }), ...where } } }));
      const places = await placeNames(page.data.map((movement) => movement.location_id));
      return { data: page.data.map((movement) => ({ movement, place: places.get(movement.location_id)?.name })), meta: page.meta };
    },
    [workspace.id, locationFilter, itemFilter],
  );
  const refresh = () => {
    levels.reload();
    movements.reload();
  };

  const showFilter = (location: string, item: string) => {
    const search = new URLSearchParams({ ...(location !== '' && { location }), ...(item !== '' && { item }) }).toString();
    navigate(`/w/${workspace.id}/stock${search === '' ? '' : `?${search}`}`);
  };
  const itemName = (id: number, item: Item | undefined) =>
    item ? (
      permissions.has('products:view') ? <Link href={`/w/${workspace.id}/items/${id}`}>{itemLabel(item)}</Link> : itemLabel(item)
    ) : (
      records.unknown(id)
    );
  const placeName = (id: number, name: string | undefined) => name ?? records.unknown(id);

  return (
    <Screen title={text.title}>
      <StockFilter key={`${locationFilter}|${itemFilter}`} location={locationFilter} item={itemFilter} locations={locations.data} onShow={showFilter} />
      <ErrorNotice error={levels.error ?? locations.error} />
      <Loading when={levels.loading} />
      <Table caption={text.levels} headers={[records.item, records.location, records.quantity, records.updated]} empty={!levels.loading && levels.rows.length === 0}>
        {levels.rows.map(({ level, item, place }) => (
          <tr key={level.id}>
            <td>{itemName(level.item_id, item)}</td>
            <td>{placeName(level.location_id, place)}</td>
            <td class="amount">
              {level.quantity} {item && <span class="muted">{item.unit}</span>}
            </td>
            <td>{formatDate(level.updated_at)}</td>
          </tr>
        ))}
      </Table>
      <Pager list={levels} />

      {itemFilter !== '' && (
        <FormSection id="movements" title={text.movementsOf(filteredItem.data ? itemLabel(filteredItem.data) : records.unknown(Number(itemFilter)))}>
          <ErrorNotice error={movements.error} />
          <Table
            caption={text.movements}
            headers={[text.date, records.location, text.kindHeader, records.quantity, records.reason, text.invoice]}
            empty={!movements.loading && movements.rows.length === 0}
          >
            {movements.rows.map(({ movement, place }) => (
              <tr key={movement.id}>
                <td>{formatDate(movement.created_at)}</td>
                <td>{placeName(movement.location_id, place)}</td>
                <td>{text.kind(movement.kind)}</td>
                <td class="amount">{movement.quantity}</td>
                <td>{movement.reason ?? '—'}</td>
                <td>
                  {movement.invoice_id === null ? (
                    '—'
                  ) : permissions.has('invoices:view') ? (
                    <Link href={`/w/${workspace.id}/invoices/${movement.invoice_id}`}>{records.unknown(movement.invoice_id)}</Link>
                  ) : (
                    records.unknown(movement.invoice_id)
                  )}
                </td>
              </tr>
            ))}
          </Table>
          <Pager list={movements} />
        </FormSection>
      )}

      <MovementForms locations={locations.data} details={details.data} done={refresh} />
    </Screen>
  );
}

/** Which levels to show: a location, an item, or both; the choice lives in the address. */
function StockFilter(props: { location: string; item: string; locations: Location[] | undefined; onShow: (location: string, item: string) => void }) {
  const text = stockText();
  const records = recordsText();
  const [location, setLocation] = useState(props.location);
  return (
    <form
      class="filters"
      role="search"
      aria-label={text.levels}
      onSubmit={(event) => {
        const values = formValues(event);
        props.onShow(values.filter_location ?? '', values.filter_item ?? '');
      }}
    >
      <SelectField
        label={records.location}
        name="filter_location"
        value={location}
        onChange={(event) => setLocation(event.currentTarget.value)}
        options={locationOptions(props.locations, records.allLocations)}
      />
      <ItemSelect label={records.item} name="filter_item" value={props.item} emptyLabel={records.allItems} />
      <div class="actions">
        <button type="submit">{text.filter}</button>
        {(props.location !== '' || props.item !== '') && (
          <button type="button" onClick={() => props.onShow('', '')}>
            {text.clear}
          </button>
        )}
      </div>
    </form>
  );
}

/** A location select that starts on a workspace default and then follows the user. */
function useChoice(initial: number | null | undefined): [string, (value: string) => void] {
  const [chosen, setChosen] = useState<string | undefined>();
  return [chosen ?? (initial === null || initial === undefined ? '' : String(initial)), setChosen];
}

/**
 * One kind of movement's form: its fields (given the API's per-field problems), the request it
 * sends, and once booked, its quantity and reason cleared and the lists read again.
 */
function MovementForm(props: {
  id: string;
  title: string;
  notice: string;
  send: (values: Record<string, string>) => Promise<unknown>;
  done: () => void;
  children: (errors: Record<string, string>) => ComponentChildren;
}) {
  const action = useAction();
  return (
    <FormSection id={props.id} title={props.title}>
      <form
        onSubmit={(event) => {
          const values = formValues(event);
          const form = event.currentTarget;
          void action.run(() => props.send(values), props.notice).then((succeeded) => {
            if (!succeeded) return;
            for (const field of form.querySelectorAll<HTMLInputElement>('input[data-clear]')) field.value = '';
            props.done();
          });
        }}
      >
        {props.children(fieldErrors(action.error))}
        <ActionStatus action={action} />
        <StockShortfall error={action.error} />
        <button type="submit" class="primary" disabled={action.busy}>
          {props.title}
        </button>
      </form>
    </FormSection>
  );
}

/** The item and the location a receipt or an adjustment books, the location starting on the workspace default. */
function ItemAtLocation(props: { prefix: string; locations: Location[] | undefined; defaultLocation: number | null; errors: Record<string, string> }) {
  const records = recordsText();
  const [location, setLocation] = useChoice(props.defaultLocation);
  return (
    <>
      <ItemSelect label={records.item} name={`${props.prefix}_item`} required error={props.errors.item_id} />
      <SelectField
        label={records.location}
        name={`${props.prefix}_location`}
        required
        value={location}
        onChange={(event) => setLocation(event.currentTarget.value)}
        options={locationOptions(props.locations, records.chooseLocation)}
        error={props.errors.location_id}
      />
    </>
  );
}

/** A reason the API keeps with the movement (required for an adjustment). */
const reasonOf = (value: string | undefined) => (value?.trim() ? { reason: value } : {});

/** Receipts, adjustments and transfers, each shown to whoever may make it. */
function MovementForms(props: { locations: Location[] | undefined; details: WorkspaceDetails | undefined; done: () => void }) {
  const text = stockText();
  const records = recordsText();
  const { permissions } = useWorkspace();
  const { locations, details, done } = props;
  const defaultLocation = details?.default_location_id ?? null;
  return (
    <div class="record-forms">
      {permissions.has('stock:create') && (
        <MovementForm
          id="receive"
          title={text.receive}
          notice={text.received}
          done={done}
          send={(values) =>
            call(
              api.POST('/api/v1/stock/receipts', {
                body: { item_id: Number(values.receive_item), location_id: Number(values.receive_location), quantity: values.receive_quantity ?? '', ...reasonOf(values.receive_reason) },
              }),
            )
          }
        >
          {(errors) => (
            <>
              <ItemAtLocation prefix="receive" locations={locations} defaultLocation={defaultLocation} errors={errors} />
              <Field label={records.quantity} name="receive_quantity" data-clear required inputMode="decimal" pattern={AMOUNT_PATTERN} hint={text.quantityHint} error={errors.quantity} />
              <Field label={text.reasonOptional} name="receive_reason" data-clear maxLength={500} error={errors.reason} />
            </>
          )}
        </MovementForm>
      )}
      {permissions.has('stock:edit') && (
        <MovementForm
          id="adjust"
          title={text.adjust}
          notice={text.adjusted}
          done={done}
          send={(values) =>
            call(
              api.POST('/api/v1/stock/adjustments', {
                body: { item_id: Number(values.adjust_item), location_id: Number(values.adjust_location), quantity_change: values.adjust_change ?? '', reason: values.adjust_reason ?? '' },
              }),
            )
          }
        >
          {(errors) => (
            <>
              <ItemAtLocation prefix="adjust" locations={locations} defaultLocation={defaultLocation} errors={errors} />
              <Field label={text.change} name="adjust_change" data-clear required inputMode="decimal" pattern={SIGNED_AMOUNT_PATTERN} hint={text.changeHint} error={errors.quantity_change} />
              <Field label={records.reason} name="adjust_reason" data-clear required maxLength={500} error={errors.reason} />
            </>
          )}
        </MovementForm>
      )}
      {permissions.has('stock:create') && details && (
        <MovementForm
          id="transfer"
          title={text.transfer}
          notice={text.transferred}
          done={done}
          send={(values) =>
            call(
              api.POST('/api/v1/stock/transfers', {
                body: {
                  item_id: Number(values.transfer_item),
                  ...(values.transfer_from && { from_location_id: Number(values.transfer_from) }),
                  to_location_id: Number(values.transfer_to),
                  quantity: values.transfer_quantity ?? '',
                  ...reasonOf(values.transfer_reason),
                },
              }),
            )
          }
        >
          {(errors) => <TransferFields locations={locations} defaultFrom={details.default_transfer_from_location_id} errors={errors} />}
        </MovementForm>
      )}
    </div>
  );
}

/** From (starting on the workspace's default_transfer_from_location_id), to, item, quantity and reason. */
function TransferFields(props: { locations: Location[] | undefined; defaultFrom: number | null; errors: Record<string, string> }) {
  const text = stockText();
  const records = recordsText();
  const { errors } = props;
  const [from, setFrom] = useChoice(props.defaultFrom);
  const usual = props.defaultFrom === null ? undefined : props.locations?.find((location) => location.id === props.defaultFrom);
  return (
    <>
      <div class="field">
        <SelectField
          label={text.from}
          name="transfer_from"
          required
          value={from}
          onChange={(event) => setFrom(event.currentTarget.value)}
          options={locationOptions(props.locations, records.chooseLocation)}
          error={errors.from_location_id}
        />
        {usual && <small class="hint">{text.fromHint(usual.name)}</small>}
      </div>
      <SelectField label={text.to} name="transfer_to" required options={locationOptions(props.locations, records.chooseLocation)} error={errors.to_location_id} />
      <ItemSelect label={records.item} name="transfer_item" required error={errors.item_id} />
      <Field label={records.quantity} name="transfer_quantity" data-clear required inputMode="decimal" pattern={AMOUNT_PATTERN} hint={text.quantityHint} error={errors.quantity} />
      <Field label={text.reasonOptional} name="transfer_reason" data-clear maxLength={500} error={errors.reason} />
    </>
  );
}
