import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, api, call, type Schemas } from '../api.ts';
import { useWorkspace } from '../context.ts';
import { defineText } from '../i18n.ts';
import { SelectField } from '../ui/components.tsx';
import { useLoad, type Loaded } from '../ui/hooks.ts';
import './records.css';

/**
 * What the records screens (items, stock, invoices) share: their common words, the workspace's
 * settings, names for the ids the API lists, and the item and location pickers.
 *
 * Money and quantities stay the API's decimal strings from end to end: they are shown as given
 * and sent as typed (the inputs check the API's pattern), never turned into numbers.
 */

export type Item = Schemas['Item'];
export type Location = Schemas['Location'];
export type Contact = Schemas['Contact'];
export type WorkspaceDetails = Schemas['WorkspaceDetails'];

export const recordsText = defineText(
  {
    item: 'Item',
    location: 'Location',
    quantity: 'Quantity',
    reason: 'Reason',
    sku: 'SKU',
    findItem: 'Find an item (SKU, barcode or name)',
    findContact: 'Find a customer (name or tax id)',
    noContact: '— No customer —',
    chooseItem: '— Choose an item —',
    chooseLocation: '— Choose a location —',
    allItems: 'All items',
    allLocations: 'All locations',
    updated: 'Updated',
    unknown: (id: number) => `#${id}`,
    available: (quantity: string) => `Available there now: ${quantity}.`,
  },
  {
    item: 'Artículo',
    location: 'Ubicación',
    quantity: 'Cantidad',
    reason: 'Motivo',
    sku: 'SKU',
    findItem: 'Buscar un artículo (SKU, código de barras o nombre)',
    findContact: 'Buscar un cliente (nombre o RNC/cédula)',
    noContact: '— Sin cliente —',
    chooseItem: '— Elija un artículo —',
    chooseLocation: '— Elija una ubicación —',
    allItems: 'Todos los artículos',
    allLocations: 'Todas las ubicaciones',
    updated: 'Actualizado',
    unknown: (id: number) => `#${id}`,
    available: (quantity: string) => `Disponible allí ahora: ${quantity}.`,
  },
);

/** The API's `money` pattern (no sign; up to 11 digits and 4 places), for inputs to check before sending. */
export const AMOUNT_PATTERN = '[0-9]{1,11}([.][0-9]{1,4})?';
/** A percentage as the invoices take it: 0 to 100, up to 4 places ("18"). */
export const PERCENT_PATTERN = '[0-9]{1,3}([.][0-9]{1,4})?';
/** A change that may take away ("-2.5"). */
export const SIGNED_AMOUNT_PATTERN = '-?[0-9]{1,11}([.][0-9]{1,4})?';

/** An amount as the API gave it, with its currency's code: never through a number, so never rounded. */
export const money = (amount: string, currency: string | undefined): string => (currency ? `${amount} ${currency}` : amount);

export const itemLabel = (item: Pick<Item, 'sku' | 'name'>): string => `${item.sku} — ${item.name}`;

/** The workspace with its settings and plan usage (`GET /api/v1/workspaces/{id}`), read afresh by the screen. */
export function useWorkspaceDetails(): Loaded<WorkspaceDetails> {
  const { workspace } = useWorkspace();
  return useLoad(async () => (await call(api.GET('/api/v1/workspaces/{id}', { params: { path: { id: String(workspace.id) } } }))).data, [workspace.id]);
}

/** The live locations (the first hundred: a plan rarely allows more), when the caller may see them. */
export function useLocations(): Loaded<Location[]> {
  const { workspace, permissions } = useWorkspace();
  const canView = permissions.has('locations:view');
  return useLoad(async () => (canView ? (await call(api.GET('/api/v1/locations', { params: { query: { limit: 100 } } }))).data : []), [workspace.id, canView]);
}

/**
 * Names for the ids a list names (an item, a location, a contact), fetched once each: a
 * record the caller may not read, or that is gone, stays undefined and shows as `#id`.
 */
export function useLookup<T>(fetchOne: (id: number) => Promise<T>): (ids: readonly number[]) => Promise<Map<number, T>> {
  const cache = useRef(new Map<number, Promise<T | undefined>>());
  return useCallback(async (ids: readonly number[]) => {
    const unique = [...new Set(ids)];
    for (const id of unique) {
      if (!cache.current.has(id)) cache.current.set(id, fetchOne(id).catch(() => undefined));
    }
    const found = await Promise.all(unique.map(async (id) => [id, await cache.current.get(id)] as const));
    return new Map(found.filter((entry): entry is readonly [number, Awaited<T>] => entry[1] !== undefined));
  }, []);
}

/** Items by id, when the caller may read them. */
export function useItemLookup(): (ids: readonly number[]) => Promise<Map<number, Item>> {
  const { permissions } = useWorkspace();
  const canView = permissions.has('products:view');
  const lookup = useLookup(async (id) => (await call(api.GET('/api/v1/items/{id}', { params: { path: { id: String(id) } } }))).data);
  return useCallback(async (ids) => (canView ? lookup(ids) : new Map<number, Item>()), [canView, lookup]);
}

/** What a movement refused for want of stock found there: the API names the level (`details.available`). */
export function StockShortfall(props: { error: unknown }) {
  const { error } = props;
  if (!(error instanceof ApiError) || error.code !== 'STOCK.INSUFFICIENT' || typeof error.details.available !== 'string') return null;
  return <p class="hint">{recordsText().available(error.details.available)}</p>;
}

/** The options of a location select: the first one empty (`none`), then the locations by name. */
export function locationOptions(locations: readonly Location[] | undefined, none: string) {
  return [{ value: '', label: none }, ...(locations ?? []).map((location) => ({ value: String(location.id), label: location.name }))];
}

/** The name of a location of the list, else `#id`. */
export function locationName(locations: readonly Location[] | undefined, id: number | null): string {
  if (id === null) return '—';
  return locations?.find((location) => location.id === id)?.name ?? recordsText().unknown(id);
}

interface PickerProps<T> {
  name: string;
  label: string;
  value?: string;
  onChange?: (id: string, record: T | undefined) => void;
  required?: boolean;
  emptyLabel?: string;
  error?: string | undefined;
  disabled?: boolean;
}

/**
 * A record chosen from a list too long for one select: a search box narrows the select below
 * it, which the form submits as `name`. The chosen record stays among the options whatever
 * the search shows (read by id when it is not on the first page).
 */
function SearchSelect<T extends { id: number }>(
  props: PickerProps<T> & { searchLabel: string; find: (search: string) => Promise<T[]>; fetchOne: (id: string) => Promise<T>; describe: (record: T) => string; emptyDefault: string },
) {
  const [search, setSearch] = useState('');
  const [applied, setApplied] = useState('');
  const [selected, setSelected] = useState(props.value ?? '');
  const [chosen, setChosen] = useState<T | undefined>();
  useEffect(() => setSelected(props.value ?? ''), [props.value]);
  useEffect(() => {
    const timer = setTimeout(() => setApplied(search.trim()), 250);
    return () => clearTimeout(timer);
  }, [search]);
  const found = useLoad(() => props.find(applied), [applied]);
  useEffect(() => {
    const id = Number(selected);
    if (selected === '' || chosen?.id === id || found.data?.some((record) => record.id === id)) return;
    let current = true;
    props.fetchOne(selected).then(
      (record) => current && setChosen(record),
      () => undefined,
    );
    return () => {
      current = false;
    };
  }, [selected, found.data]);
  const results = found.data ?? [];
  const listed = chosen && String(chosen.id) === selected && !results.some((record) => record.id === chosen.id) ? [chosen, ...results] : results;
  const searchId = `field-${props.name}-search`;
  return (
    <div class="search-select">
      <div class="field">
        <label for={searchId}>{props.searchLabel}</label>
        <input id={searchId} type="search" value={search} disabled={props.disabled} onInput={(event) => setSearch(event.currentTarget.value)} />
      </div>
      <SelectField
        label={props.label}
        name={props.name}
        value={selected}
        required={props.required}
        disabled={props.disabled}
        error={props.error ?? (found.error instanceof ApiError ? found.error.message : undefined)}
        options={[{ value: '', label: props.emptyLabel ?? props.emptyDefault }, ...listed.map((record) => ({ value: String(record.id), label: props.describe(record) }))]}
        onChange={(event) => {
          const id = event.currentTarget.value;
          const record = listed.find((candidate) => String(candidate.id) === id);
          setSelected(id);
          if (record) setChosen(record);
          props.onChange?.(id, record);
        }}
      />
    </div>
  );
}

/** An item of the catalogue (live ones), found by an exact barcode or the start of a SKU or a name. */
export function ItemSelect(props: PickerProps<Item>) {
  const text = recordsText();
  return (
    <SearchSelect
      {...props}
      searchLabel={text.findItem}
      emptyDefault={text.chooseItem}
      describe={itemLabel}
      find={async (q) => (await call(api.GET('/api/v1/items', { params: { query: { limit: 50, ...(q !== '' && { q }) } } }))).data}
      fetchOne={async (id) => (await call(api.GET('/api/v1/items/{id}', { params: { path: { id } } }))).data}
    />
  );
}

/** A customer (customers and contacts that are both), found by a tax id or the start of a name. */
export function ContactSelect(props: PickerProps<Contact>) {
  const text = recordsText();
  return (
    <SearchSelect
      {...props}
      searchLabel={text.findContact}
      emptyDefault={text.noContact}
      describe={(contact) => (contact.tax_id ? `${contact.name} (${contact.tax_id})` : contact.name)}
      find={async (q) => (await call(api.GET('/api/v1/contacts', { params: { query: { limit: 50, kind: 'customer', ...(q !== '' && { q }) } } }))).data}
      fetchOne={async (id) => (await call(api.GET('/api/v1/contacts/{id}', { params: { path: { id } } }))).data}
    />
  );
}
