import { useState } from 'preact/hooks';
import type { paths } from '../../../client/index.ts';
import { api, call, type Schemas } from '../api.ts';
import { useSignedIn, useWorkspace } from '../context.ts';
import { common, defineText, formatDate } from '../i18n.ts';
import { navigate } from '../router.ts';
import { ActionStatus, ConfirmButton, ErrorNotice, Field, Loading, Screen, SelectField, Table } from '../ui/components.tsx';
import { Copyable } from '../ui/copyable.tsx';
import { CheckboxField } from '../ui/checkbox-field.tsx';
import { fieldErrors, formValues, useAction, useLoad, type Action } from '../ui/hooks.ts';
import { RouteTabs } from '../ui/route-tabs.tsx';
import { WorkspaceGroupTab } from './settings-group.tsx';
import './settings.css';

type Details = Schemas['WorkspaceDetails'];
type Location = Schemas['Location'];
type SettingsChanges = NonNullable<paths['/api/v1/workspaces/{id}/settings']['patch']['requestBody']>['content']['application/json'];
type ProfileChanges = NonNullable<paths['/api/v1/workspaces/{id}']['patch']['requestBody']>['content']['application/json'];
type DocumentSubtype = NonNullable<paths['/api/v1/workspaces/{id}/preferred-document-subtype']['put']['requestBody']>['content']['application/json']['document_subtype'];

const LOCATION_TYPES = ['warehouse', 'van', 'truck', 'site', 'other'] as const;
/** The NCF types new invoices may draw from (the API's list: not a credit or debit note type). */
const DOCUMENT_SUBTYPES: readonly DocumentSubtype[] = ['B01', 'B02', 'B11', 'B12', 'B13', 'B14', 'B15', 'B16', 'B17', 'E31', 'E32', 'E41', 'E43', 'E44', 'E45', 'E46', 'E47'];

export const settingsText = defineText(
  {
    navigation: 'Settings',
    title: 'Account',
    sections: 'Account sections',
    workspaceTab: 'Workspace',
    groupTab: 'Workspace Group',
    identity: 'This workspace',
    workspaceId: 'Workspace ID',
    theWorkspaceId: 'the workspace ID',
    profile: 'Name, slug and logo',
    profileOwnersOnly: 'Only the workspace owner can change its name, slug and logo.',
    slug: 'Slug',
    slugHint: '3–48 characters: a–z, 0–9 and single hyphens, with at least one letter',
    logo: 'Logo (optional)',
    logoHint: 'An https: address, or a data:image (PNG, JPEG, GIF or WebP) address',
    saveProfile: 'Save name, slug and logo',
    profileSaved: 'The workspace was updated.',
    settings: 'Workspace settings',
    readOnly: 'You can see these settings but not change them (that needs the settings:edit permission).',
    invoicing: 'Invoicing',
    currency: 'Default currency',
    currencyHint: 'ISO 4217 code: three capital letters, such as USD, EUR or DOP',
    prefix: 'Invoice number prefix',
    prefixHint: '1–12 characters, no spaces',
    tax: 'Default tax (%)',
    taxHint: '0 to 100, up to 4 decimal places',
    taxIncluded: 'Prices include tax',
    dueDays: 'Days until an invoice is due',
    dueDaysHint: '0 to 365; 0 means no default due date',
    markup: 'Default markup (%)',
    markupHint: '0 to 1000, up to 4 decimal places; empty for none',
    documentSubtype: 'Preferred document subtype (NCF)',
    notSet: '— not set —',
    businessName: 'Business name on invoices',
    brandColor: 'Brand colour on invoices',
    brandColorHint: 'Written #RRGGBB, such as #0B5CAD; empty for none',
    billingEmail: 'Contact e-mail on invoices',
    address: 'Business address on invoices',
    addressHint: 'Optional; one line, up to 500 characters',
    optional: 'Optional',
    stock: 'Locations and stock',
    defaultLocation: 'Default location',
    sourceLocation: 'Default location invoices take stock from',
    transferFrom: 'Default location transfers take stock from',
    none: '— none —',
    locationNumber: (id: number) => `Location ${id}`,
    locationType: 'Type of new locations',
    locationTypeName: (type: string) => ({ warehouse: 'Warehouse', van: 'Van', truck: 'Truck', site: 'Site', other: 'Other' })[type] ?? type,
    negativeStock: 'Allow negative stock',
    saveSettings: 'Save settings',
    settingsSaved: 'The settings were saved.',
    nothingChanged: 'Nothing was changed.',
    plan: 'Plan and usage',
    planName: (plan: string) => `Plan: ${plan}`,
    billingDay: (day: number) => `Billing cycle starts on day ${day} of the month.`,
    trialEnds: (at: string) => `Trial ends ${at}.`,
    resource: 'Resource',
    used: 'Used',
    limit: 'Limit',
    users: 'Members',
    locations: 'Locations',
    items: 'Items',
    suppliers: 'Suppliers',
    tags: 'Tags',
    documents: 'Documents this billing cycle',
    leaveOrDelete: 'Leave or delete',
    leave: 'Leave workspace',
    leaveHint: 'You stop being a member. An owner must first hand the workspace to another member.',
    deleteWorkspace: 'Delete workspace',
    deleteHint: 'Deletes the workspace with everything in it. This cannot be undone.',
  },
  {
    navigation: 'Configuración',
    title: 'Cuenta',
    sections: 'Secciones de la cuenta',
    workspaceTab: 'Sucursal',
    groupTab: 'Grupo de sucursales',
    identity: 'Esta sucursal',
    workspaceId: 'ID de la sucursal',
    theWorkspaceId: 'el ID de la sucursal',
    profile: 'Nombre, identificador y logotipo',
    profileOwnersOnly: 'Solo el propietario de la sucursal puede cambiar su nombre, identificador y logotipo.',
    slug: 'Identificador',
    slugHint: '3 a 48 caracteres: a–z, 0–9 y guiones sueltos, con al menos una letra',
    logo: 'Logotipo (opcional)',
    logoHint: 'Una dirección https: o una dirección data:image (PNG, JPEG, GIF o WebP)',
    saveProfile: 'Guardar nombre, identificador y logotipo',
    profileSaved: 'La sucursal se actualizó.',
    settings: 'Configuración de la sucursal',
    readOnly: 'Puedes ver esta configuración pero no cambiarla (hace falta el permiso settings:edit).',
    invoicing: 'Facturación',
    currency: 'Moneda predeterminada',
    currencyHint: 'Código ISO 4217: tres letras mayúsculas, como USD, EUR o DOP',
    prefix: 'Prefijo de los números de factura',
    prefixHint: '1 a 12 caracteres, sin espacios',
    tax: 'Impuesto predeterminado (%)',
    taxHint: 'De 0 a 100, hasta 4 decimales',
    taxIncluded: 'Los precios incluyen impuestos',
    dueDays: 'Días hasta el vencimiento de una factura',
    dueDaysHint: 'De 0 a 365; 0 significa sin vencimiento predeterminado',
    markup: 'Margen predeterminado (%)',
    markupHint: 'De 0 a 1000, hasta 4 decimales; vacío para ninguno',
    documentSubtype: 'Tipo de comprobante preferido (NCF)',
    notSet: '— sin definir —',
    businessName: 'Razón social en las facturas',
    brandColor: 'Color de marca en las facturas',
    brandColorHint: 'Escrito #RRGGBB, como #0B5CAD; vacío para ninguno',
    billingEmail: 'Correo de contacto en las facturas',
    address: 'Dirección del negocio en las facturas',
    addressHint: 'Opcional; una línea, hasta 500 caracteres',
    optional: 'Opcional',
    stock: 'Ubicaciones y existencias',
    defaultLocation: 'Ubicación predeterminada',
    sourceLocation: 'Ubicación de la que las facturas toman existencias',
    transferFrom: 'Ubicación de la que las transferencias toman existencias',
    none: '— ninguna —',
    locationNumber: (id: number) => `Ubicación ${id}`,
    locationType: 'Tipo de las ubicaciones nuevas',
    locationTypeName: (type: string) => ({ warehouse: 'Almacén', van: 'Furgoneta', truck: 'Camión', site: 'Obra', other: 'Otro' })[type] ?? type,
    negativeStock: 'Permitir existencias negativas',
    saveSettings: 'Guardar configuración',
    settingsSaved: 'La configuración se guardó.',
    nothingChanged: 'No se cambió nada.',
    plan: 'Plan y uso',
    planName: (plan: string) => `Plan: ${plan}`,
    billingDay: (day: number) => `El ciclo de facturación empieza el día ${day} de cada mes.`,
    trialEnds: (at: string) => `La prueba termina el ${at}.`,
    resource: 'Recurso',
    used: 'Usado',
    limit: 'Límite',
    users: 'Miembros',
    locations: 'Ubicaciones',
    items: 'Artículos',
    suppliers: 'Proveedores',
    tags: 'Etiquetas',
    documents: 'Documentos en este ciclo de facturación',
    leaveOrDelete: 'Salir o eliminar',
    leave: 'Salir de la sucursal',
    leaveHint: 'Dejas de ser miembro. Un propietario primero debe entregar la sucursal a otro miembro.',
    deleteWorkspace: 'Eliminar sucursal',
    deleteHint: 'Elimina la sucursal con todo lo que contiene. No se puede deshacer.',
  },
);

/** The tabs of the Account page, each a path under the workspace's `settings`. */
const TABS = { workspace: '', 'workspace-group': 'workspace-group' } as const;
type TabId = keyof typeof TABS;

/** Settings › Account: the workspace's settings, and (seed 004) its Workspace Group. */
export function SettingsScreen(props: { params: Record<string, string> }) {
  const text = settingsText();
  const { workspace, permissions } = useWorkspace();
  const asked = props.params.tab ?? '';
  const tabs = [
    { id: 'workspace', label: text.workspaceTab, path: `/w/${workspace.id}/settings` },
    ...(permissions.has('groups:view') ? [{ id: 'workspace-group', label: text.groupTab, path: `/w/${workspace.id}/settings/workspace-group` }] : []),
  ];
  // A tab the address names and the user may see (the group's needs groups:view).
  const selected = (Object.keys(TABS) as TabId[]).find((tab) => TABS[tab] === asked && tabs.some((shown) => shown.id === tab));
  return (
    <Screen title={text.title}>
      {selected === undefined ? (
        <p role="alert">{common().notFound}</p>
      ) : (
        <RouteTabs id="account" label={text.sections} tabs={tabs} selected={selected}>
          {selected === 'workspace' ? <WorkspaceSettingsTab /> : <WorkspaceGroupTab />}
        </RouteTabs>
      )}
    </Screen>
  );
}

/** Every location of the workspace, for the default-location choices (bounded: a plan allows a few hundred at most). */
async function allLocations(): Promise<Location[]> {
  const rows: Location[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 10; page += 1) {
    const answer = await call(api.GET('/api/v1/locations', { params: { query: { limit: 100, ...(cursor && { cursor }) } } }));
    rows.push(...answer.data);
    cursor = answer.meta.next_cursor ?? undefined;
    if (cursor === undefined) break;
  }
  return rows;
}

function WorkspaceSettingsTab() {
  const text = settingsText();
  const { workspace, permissions, reload } = useWorkspace();
  const loaded = useLoad(async () => (await call(api.GET('/api/v1/workspaces/{id}', { params: { path: { id: String(workspace.id) } } }))).data, [workspace.id]);
  const canSeeLocations = permissions.has('locations:view');
  const locations = useLoad(async () => (canSeeLocations ? allLocations() : []), [workspace.id, canSeeLocations]);
  const [saved, setSaved] = useState<{ details: Details; count: number } | undefined>();
  const details = saved?.details ?? loaded.data;
  const onSaved = (next: Details) => {
    setSaved({ details: next, count: (saved?.count ?? 0) + 1 });
    reload();
  };
  // Held here, not in the forms: a saved form starts again from what was saved, and its notice stays.
  const profileAction = useAction();
  const settingsAction = useAction();
  const version = saved?.count ?? 0;

  if (!details) {
    return (
      <>
        <ErrorNotice error={loaded.error} />
        <Loading when={loaded.loading} />
      </>
    );
  }
  return (
    <>
      <section aria-labelledby="settings-identity">
        <h2 id="settings-identity">{text.identity}</h2>
        <p>
          <strong>{details.name}</strong> · {text.workspaceId}: <Copyable value={String(details.id)} what={text.theWorkspaceId} />
        </p>
      </section>
      <ProfileForm key={`profile-${version}`} details={details} action={profileAction} onSaved={onSaved} />
      <ErrorNotice error={locations.error} />
      <SettingsForm key={`settings-${version}`} details={details} locations={locations.data ?? []} action={settingsAction} onSaved={onSaved} />
      <PlanSummary details={details} />
      <LeaveOrDelete details={details} />
    </>
  );
}

/** The workspace's name, slug and logo: the owner's to change (`workspaces:edit`). */
function ProfileForm(props: { details: Details; action: Action; onSaved: (next: Details) => void }) {
  const text = settingsText();
  const shared = common();
  const { permissions } = useWorkspace();
  const { details, action } = props;
  const errors = fieldErrors(action.error);
  const canEdit = permissions.has('workspaces:edit');
  return (
    <section aria-labelledby="settings-profile">
      <h2 id="settings-profile">{text.profile}</h2>
      {!canEdit && <p class="hint">{text.profileOwnersOnly}</p>}
      <form
        onSubmit={(event) => {
          const values = formValues(event);
          const logo = (values.logo ?? '').trim();
          const wanted: ProfileChanges = { name: values.name ?? '', slug: values.slug ?? '', logo: logo === '' ? null : logo };
          const changes = changedOnly(wanted, details);
          void runSave(action, changes, text.profileSaved, async () => {
            const answer = await call(api.PATCH('/api/v1/workspaces/{id}', { params: { path: { id: String(details.id) } }, body: changes }));
            props.onSaved(answer.data);
          });
        }}
      >
        <fieldset disabled={!canEdit} class="plain">
          <Field label={shared.name} name="name" required maxLength={100} pattern=".*\S.*" defaultValue={details.name} error={errors.name} />
          <Field
            label={text.slug}
            name="slug"
            required
            minLength={3}
            maxLength={48}
            pattern="(?=[a-z0-9\-]*[a-z])[a-z0-9]+(?:-[a-z0-9]+)*"
            hint={text.slugHint}
            defaultValue={details.slug}
            error={errors.slug}
          />
          <Field
            label={text.logo}
            name="logo"
            maxLength={65536}
            pattern="https:\/\/[^\s\/?#]+\S{0,2040}|data:image\/(png|jpeg|gif|webp);base64,[A-Za-z0-9+\/]+={0,2}"
            hint={text.logoHint}
            defaultValue={details.logo ?? ''}
            error={errors.logo}
          />
        </fieldset>
        <ActionStatus action={action} />
        {canEdit && (
          <button type="submit" class="primary" disabled={action.busy}>
            {text.saveProfile}
          </button>
        )}
      </form>
    </section>
  );
}

/** Seed 002's settings, as `PATCH /api/v1/workspaces/{id}/settings` takes them, with the API's ranges on each input. */
function SettingsForm(props: { details: Details; locations: readonly Location[]; action: Action; onSaved: (next: Details) => void }) {
  const text = settingsText();
  const { permissions } = useWorkspace();
  const { details, action } = props;
  const errors = fieldErrors(action.error);
  const canEdit = permissions.has('settings:edit');
  const live = props.locations.filter((location) => !location.archived);
  const locationOptions = (current: number | null, allowNone: boolean) => [
    ...(allowNone ? [{ value: '', label: text.none }] : []),
    ...live.map((location) => ({ value: String(location.id), label: location.name })),
    // The current choice, where the list does not hold it (no locations:view, or archived since).
    ...(current !== null && !live.some((location) => location.id === current) ? [{ value: String(current), label: text.locationNumber(current) }] : []),
  ];
  const number = (value: string | undefined) => (value === undefined || value.trim() === '' ? NaN : Number(value));
  const textOrNull = (value: string | undefined) => (value === undefined || value.trim() === '' ? null : value);
  const idOrNull = (value: string | undefined) => (value ? Number(value) : null);
  /** A field's name, the value the workspace holds (none as empty) and the API's error for it. */
  const bound = (name: keyof Details & keyof SettingsChanges) => {
    const value = details[name];
    return { name, defaultValue: value === null ? '' : String(value), error: errors[name] };
  };

  return (
    <section aria-labelledby="settings-settings">
      <h2 id="settings-settings">{text.settings}</h2>
      {!canEdit && <p class="hint">{text.readOnly}</p>}
      <form
        class="settings-form"
        onSubmit={(event) => {
          const values = formValues(event);
          const markup = values.default_markup_percent ?? '';
          const wanted: SettingsChanges = {
            default_currency: (values.default_currency ?? '').trim(),
            invoice_number_prefix: values.invoice_number_prefix ?? '',
            default_tax_percent: number(values.default_tax_percent),
            default_tax_included: values.default_tax_included === 'on',
            default_invoice_due_days: number(values.default_invoice_due_days),
            default_markup_percent: markup.trim() === '' ? null : number(markup),
            default_location_type: values.default_location_type as (typeof LOCATION_TYPES)[number],
            invoicing_business_name: textOrNull(values.invoicing_business_name),
            invoicing_brand_color: textOrNull(values.invoicing_brand_color)?.trim() ?? null,
            invoicing_email: textOrNull(values.invoicing_email)?.trim() ?? null,
            invoicing_address: textOrNull(values.invoicing_address),
            default_location_id: Number(values.default_location_id),
            default_invoice_source_location_id: idOrNull(values.default_invoice_source_location_id),
            default_transfer_from_location_id: idOrNull(values.default_transfer_from_location_id),
            allow_negative_stock: values.allow_negative_stock === 'on',
          };
          const changes = changedOnly(wanted, details);
          const subtype = values.document_subtype ? (values.document_subtype as DocumentSubtype) : undefined;
          const subtypeChanged = subtype !== undefined && subtype !== details.preferred_document_subtype;
          void runSave(action, { ...changes, ...(subtypeChanged && { document_subtype: subtype }) }, text.settingsSaved, async () => {
            const id = String(details.id);
            let next: Details | undefined;
            if (Object.keys(changes).length > 0) next = (await call(api.PATCH('/api/v1/workspaces/{id}/settings', { params: { path: { id } }, body: changes }))).data;
            if (subtypeChanged) {
              await call(api.PUT('/api/v1/workspaces/{id}/preferred-document-subtype', { params: { path: { id } }, body: { document_subtype: subtype } }));
              next = (await call(api.GET('/api/v1/workspaces/{id}', { params: { path: { id } } }))).data;
            }
            if (next) props.onSaved(next);
          });
        }}
      >
        <fieldset disabled={!canEdit}>
          <legend>{text.invoicing}</legend>
          <Field
            label={text.currency}
            {...bound('default_currency')}
            required
            minLength={3}
            maxLength={3}
            pattern="[A-Z]{3}"
            autoComplete="off"
            hint={text.currencyHint}
          />
          <Field
            label={text.prefix}
            {...bound('invoice_number_prefix')}
            required
            minLength={1}
            maxLength={12}
            pattern="\S+"
            hint={text.prefixHint}
          />
          <Field
            label={text.tax}
            {...bound('default_tax_percent')}
            type="number"
            required
            min={0}
            max={100}
            step="0.0001"
            hint={text.taxHint}
          />
          <CheckboxField label={text.taxIncluded} name="default_tax_included" defaultChecked={details.default_tax_included} error={errors.default_tax_included} />
          <Field
            label={text.dueDays}
            {...bound('default_invoice_due_days')}
            type="number"
            required
            min={0}
            max={365}
            step="1"
            hint={text.dueDaysHint}
          />
          <Field
            label={text.markup}
            {...bound('default_markup_percent')}
            type="number"
            min={0}
            max={1000}
            step="0.0001"
            hint={text.markupHint}
          />
          <SelectField
            label={text.documentSubtype}
            name="document_subtype"
            defaultValue={details.preferred_document_subtype ?? ''}
            options={[
              ...(details.preferred_document_subtype === null ? [{ value: '', label: text.notSet, disabled: true }] : []),
              ...DOCUMENT_SUBTYPES.map((subtype) => ({ value: subtype, label: subtype })),
            ]}
            error={errors.document_subtype}
          />
          <Field
            label={text.businessName}
            {...bound('invoicing_business_name')}
            maxLength={200}
            hint={text.optional}
          />
          <Field
            label={text.brandColor}
            {...bound('invoicing_brand_color')}
            maxLength={7}
            pattern="#[0-9a-fA-F]{6}"
            hint={text.brandColorHint}
          />
          <Field
            label={text.billingEmail}
            {...bound('invoicing_email')}
            type="email"
            hint={text.optional}
          />
          <Field
            label={text.address}
            {...bound('invoicing_address')}
            maxLength={500}
            hint={text.addressHint}
          />
        </fieldset>
        <fieldset disabled={!canEdit}>
          <legend>{text.stock}</legend>
          <SelectField
            label={text.defaultLocation}
            {...bound('default_location_id')}
            required
            options={locationOptions(details.default_location_id, details.default_location_id === null)}
          />
          <SelectField
            label={text.sourceLocation}
            {...bound('default_invoice_source_location_id')}
            options={locationOptions(details.default_invoice_source_location_id, true)}
          />
          <SelectField
            label={text.transferFrom}
            {...bound('default_transfer_from_location_id')}
            options={locationOptions(details.default_transfer_from_location_id, true)}
          />
          <SelectField
            label={text.locationType}
            {...bound('default_location_type')}
            options={LOCATION_TYPES.map((type) => ({ value: type, label: text.locationTypeName(type) }))}
          />
          <CheckboxField label={text.negativeStock} name="allow_negative_stock" defaultChecked={details.allow_negative_stock} error={errors.allow_negative_stock} />
        </fieldset>
        <ActionStatus action={action} />
        {canEdit && (
          <button type="submit" class="primary" disabled={action.busy}>
            {text.saveSettings}
          </button>
        )}
      </form>
    </section>
  );
}

/** The fields of `wanted` that differ from what the workspace holds now. */
function changedOnly<T extends object>(wanted: T, details: Details): Partial<T> {
  return Object.fromEntries(Object.entries(wanted).filter(([field, value]) => (details as Record<string, unknown>)[field] !== value)) as Partial<T>;
}

/** Saves when something changed; says so when nothing did. */
function runSave(action: Action, changes: object, success: string, save: () => Promise<void>): Promise<boolean> {
  if (Object.keys(changes).length === 0) return action.run(async () => undefined, settingsText().nothingChanged);
  return action.run(save, success);
}

/** Seed 002's plan and usage: read-only here (an operator assigns plans). */
function PlanSummary(props: { details: Details }) {
  const text = settingsText();
  const { details } = props;
  const rows: Array<[string, number, number]> = [
    [text.users, details.users_usage, details.users_limit],
    [text.locations, details.locations_usage, details.locations_limit],
    [text.items, details.items_usage, details.items_limit],
    [text.suppliers, details.suppliers_usage, details.suppliers_limit],
    [text.tags, details.tags_usage, details.tags_limit],
    [text.documents, details.usage, details.usage_limit],
  ];
  return (
    <section aria-labelledby="settings-plan">
      <h2 id="settings-plan">{text.plan}</h2>
      <p>
        <strong>{text.planName(details.plan)}</strong>. {text.billingDay(details.billing_cycle_start)}
        {details.trial_ends_at !== null && ` ${text.trialEnds(formatDate(details.trial_ends_at))}`}
      </p>
      <Table caption={text.plan} headers={[text.resource, text.used, text.limit]} empty={false}>
        {rows.map(([label, used, limit]) => (
          <tr key={label}>
            <th scope="row">{label}</th>
            <td>{used}</td>
            <td>{limit}</td>
          </tr>
        ))}
      </Table>
    </section>
  );
}

/** Leaving (any member but the owner, whom the API answers 409) and deleting (the owner). */
function LeaveOrDelete(props: { details: Details }) {
  const text = settingsText();
  const { permissions } = useWorkspace();
  const { reloadMe } = useSignedIn();
  const action = useAction();
  const id = String(props.details.id);
  const away = async () => {
    await reloadMe();
    navigate('/workspaces');
  };
  return (
    <section aria-labelledby="settings-leave" class="danger-zone">
      <h2 id="settings-leave">{text.leaveOrDelete}</h2>
      <ActionStatus action={action} />
      <p class="hint">{text.leaveHint}</p>
      <ConfirmButton
        label={text.leave}
        disabled={action.busy}
        onConfirm={() =>
          void action.run(async () => {
            await call(api.POST('/api/v1/workspaces/{id}/leave', { params: { path: { id } } }));
            await away();
          })
        }
      />
      {permissions.has('workspaces:delete') && (
        <>
          <p class="hint">{text.deleteHint}</p>
          <ConfirmButton
            label={text.deleteWorkspace}
            disabled={action.busy}
            onConfirm={() =>
              void action.run(async () => {
                await call(api.DELETE('/api/v1/workspaces/{id}', { params: { path: { id } } }));
                await away();
              })
            }
          />
        </>
      )}
    </section>
  );
}
