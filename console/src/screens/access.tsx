import { useEffect, useRef, useState } from 'preact/hooks';
import { api, call, type Schemas } from '../api.ts';
import { useSignedIn, useWorkspace } from '../context.ts';
import { common, defineText } from '../i18n.ts';
import { ActionStatus, ErrorNotice, Link, Loading, Pager, Screen, Table } from '../ui/components.tsx';
import { useAction, useLoad, usePaged, type Action } from '../ui/hooks.ts';
import { explainedRefusal, permissionDomId, usePermissionCatalogue, type PermissionCatalogue } from '../ui/permissions.ts';
import './access.css';

type Standing = Schemas['MemberPermissions'];
type Explained = Schemas['ExplainedPermissions'];
type Source = Schemas['PermissionSource'];
type WithheldReason = Explained['withheld'][number]['reason'];
type LocationAccess = Schemas['MemberLocationAccess'];
type Effect = 'role' | 'grant' | 'revoke';

export const accessText = defineText(
  {
    title: 'Member access',
    chooseMember: 'Choose a member',
    pickHint: 'Choose a member to see what they can do, and why, and to change their overrides and locations.',
    accessOf: (name: string) => `Access of ${name}`,
    memberNumber: (id: number) => `member #${id}`,
    role: 'Role',
    builtinRole: (role: string) => `${role} (built-in)`,
    customRole: (role: string, display: string) => `${display} (custom role ${role})`,
    overrideCount: 'Overrides',
    // Why a member's access cannot be changed by the caller.
    needManage: 'Changing a member’s access takes the permission members:manage.',
    notYourself: 'This is you: nobody changes their own permissions or locations.',
    ownerHoldsAll: 'The owner holds every permission there is, at every location: overrides and location limits never apply to them.',
    holdsMore: (permissions: string) => `They hold what you do not (${permissions}): you cannot change their access.`,
    // The why view.
    why: 'Why can they, or not?',
    askAbout: 'Permission',
    because: 'Why',
    yes: (name: string, permission: string) => `Yes: ${name} can use ${permission} here.`,
    no: (name: string, permission: string) => `No: ${name} cannot use ${permission} here.`,
    source: (source: Source): string => {
      switch (source.kind) {
        case 'role':
          return `Their role ${source.role ?? ''} gives it.`;
        case 'override':
          return 'An override grants it to them, beyond their role.';
        case 'tenant_role':
          return `Their tenant role (${source.tenant_role ?? ''}) reads every workspace.`;
        case 'admin_workspace':
          return `They hold it in the admin workspace #${source.workspace_id ?? ''} and act as this one.`;
        case 'api_key':
          return 'It is within the API key’s scopes.';
      }
    },
    withheld: (reason: WithheldReason): string =>
      ({
        revoked_by_override: 'An override revokes it, whatever their role gives.',
        withheld_when_acting_as: 'Nobody holds it while acting as a sub workspace.',
        outside_api_key_scopes: 'It is outside the API key’s scopes.',
      })[reason],
    notGiven: (role: string) => `Their role ${role} does not give it, and no override grants it.`,
    whereAll: 'Where: at every location of this workspace.',
    whereOwner: 'Where: at every location (the owner is never restricted).',
    whereTenant: 'Where: at every location (their tenant role sees every location, whatever is set here).',
    whereNone: 'Where: at no location: they are restricted to none, so they see no location-bound record.',
    whereOnly: (names: string) => `Where: records tied to a location, only at ${names}.`,
    everything: 'Everything they hold here, and why',
    notHeldRow: 'Not held',
    // Overrides.
    overrides: 'Permission overrides',
    overridesHint: 'Grant a permission beyond their role, or revoke one their role gives; a revoke wins. You grant only what you hold.',
    permission: 'Permission',
    fromRole: 'Their role gives it',
    override: 'Override',
    result: 'Then they hold it',
    overrideOf: (permission: string) => `Override of ${permission}`,
    effect: (effect: Effect) => ({ role: 'None (as the role gives)', grant: 'Grant', revoke: 'Revoke' })[effect],
    cannotGrant: 'You do not hold it, so you cannot change it.',
    saveOverrides: 'Save the overrides',
    overridesSaved: 'Overrides saved.',
    yesShort: 'Yes',
    noShort: 'No',
    // Locations.
    locations: 'Location access',
    whichLocations: 'Where they work',
    liftedByTenantRole: 'Their tenant role sees every location: what is set here binds them only once they lose that role.',
    alsoListed: (names: string) => `Also chosen (on other pages): ${names}.`,
    everyLocation: 'Every location of the workspace',
    onlyListed: 'Only the locations chosen below',
    chooseLocations: 'Locations they work at',
    noLocationsView: 'Listing the locations takes the permission locations:view.',
    saveLocations: 'Save the location access',
    locationsSaved: 'Location access saved.',
    locationNumber: (id: number) => `location #${id}`,
  },
  {
    title: 'Acceso de miembros',
    chooseMember: 'Elige un miembro',
    pickHint: 'Elige un miembro para ver qué puede hacer y por qué, y para cambiar sus excepciones y ubicaciones.',
    accessOf: (name: string) => `Acceso de ${name}`,
    memberNumber: (id: number) => `miembro n.º ${id}`,
    role: 'Rol',
    builtinRole: (role: string) => `${role} (integrado)`,
    customRole: (role: string, display: string) => `${display} (rol personalizado ${role})`,
    overrideCount: 'Excepciones',
    needManage: 'Cambiar el acceso de un miembro requiere el permiso members:manage.',
    notYourself: 'Eres tú: nadie cambia sus propios permisos ni ubicaciones.',
    ownerHoldsAll: 'El propietario tiene todos los permisos, en todas las ubicaciones: las excepciones y los límites de ubicación nunca se le aplican.',
    holdsMore: (permissions: string) => `Tiene permisos que tú no tienes (${permissions}): no puedes cambiar su acceso.`,
    why: '¿Por qué puede, o no?',
    askAbout: 'Permiso',
    because: 'Por qué',
    yes: (name: string, permission: string) => `Sí: ${name} puede usar ${permission} aquí.`,
    no: (name: string, permission: string) => `No: ${name} no puede usar ${permission} aquí.`,
    source: (source: Source): string => {
      switch (source.kind) {
        case 'role':
          return `Su rol ${source.role ?? ''} lo otorga.`;
        case 'override':
          return 'Una excepción se lo otorga, además de su rol.';
        case 'tenant_role':
          return `Su rol en la organización (${source.tenant_role ?? ''}) lee todas las sucursales.`;
        case 'admin_workspace':
          return `Lo tiene en la sucursal administradora n.º ${source.workspace_id ?? ''} y actúa como esta.`;
        case 'api_key':
          return 'Está dentro de los alcances de la clave de API.';
      }
    },
    withheld: (reason: WithheldReason): string =>
      ({
        revoked_by_override: 'Una excepción se lo retira, otorgue lo que otorgue su rol.',
        withheld_when_acting_as: 'Nadie lo tiene al actuar como una sucursal subordinada.',
        outside_api_key_scopes: 'Está fuera de los alcances de la clave de API.',
      })[reason],
    notGiven: (role: string) => `Su rol ${role} no lo otorga, y ninguna excepción se lo da.`,
    whereAll: 'Dónde: en todas las ubicaciones de esta sucursal.',
    whereOwner: 'Dónde: en todas las ubicaciones (el propietario nunca está restringido).',
    whereTenant: 'Dónde: en todas las ubicaciones (su rol en la organización ve todas, se fije aquí lo que se fije).',
    whereNone: 'Dónde: en ninguna ubicación: está restringido a ninguna, así que no ve ningún registro ligado a una ubicación.',
    whereOnly: (names: string) => `Dónde: los registros ligados a una ubicación, solo en ${names}.`,
    everything: 'Todo lo que tiene aquí, y por qué',
    notHeldRow: 'No lo tiene',
    overrides: 'Excepciones de permisos',
    overridesHint: 'Otorga un permiso además de su rol, o retira uno que su rol otorga; la retirada prevalece. Solo otorgas lo que tienes.',
    permission: 'Permiso',
    fromRole: 'Su rol lo otorga',
    override: 'Excepción',
    result: 'Entonces lo tiene',
    overrideOf: (permission: string) => `Excepción de ${permission}`,
    effect: (effect: Effect) => ({ role: 'Ninguna (lo que otorgue el rol)', grant: 'Otorgar', revoke: 'Retirar' })[effect],
    cannotGrant: 'No lo tienes, así que no puedes cambiarlo.',
    saveOverrides: 'Guardar las excepciones',
    overridesSaved: 'Excepciones guardadas.',
    yesShort: 'Sí',
    noShort: 'No',
    locations: 'Acceso a ubicaciones',
    whichLocations: 'Dónde trabaja',
    liftedByTenantRole: 'Su rol en la organización ve todas las ubicaciones: lo que se fije aquí solo le aplica cuando pierda ese rol.',
    alsoListed: (names: string) => `También elegidas (en otras páginas): ${names}.`,
    everyLocation: 'Todas las ubicaciones de la sucursal',
    onlyListed: 'Solo las ubicaciones elegidas abajo',
    chooseLocations: 'Ubicaciones donde trabaja',
    noLocationsView: 'Listar las ubicaciones requiere el permiso locations:view.',
    saveLocations: 'Guardar el acceso a ubicaciones',
    locationsSaved: 'Acceso a ubicaciones guardado.',
    locationNumber: (id: number) => `ubicación n.º ${id}`,
  },
);

/** Pick a member, then see and change their access: overrides, locations, and why they can or cannot do each thing. */
export function AccessScreen(props: { params: Record<string, string> }) {
  const text = accessText();
  const shared = common();
  const { workspace } = useWorkspace();
  const chosen = /^[1-9]\d*$/.test(props.params.user ?? '') ? Number(props.params.user) : undefined;
  const list = usePaged(async (cursor) => call(api.GET('/api/v1/members', { params: { query: { limit: 20, ...(cursor && { cursor }) } } })), [workspace.id]);
  const name = list.rows.find((member) => member.id === chosen)?.name;
  return (
    <Screen title={text.title}>
      <h2>{text.chooseMember}</h2>
      <ErrorNotice error={list.error} />
      <Loading when={list.loading} />
      <Table caption={text.chooseMember} headers={[shared.name, shared.email, shared.role]} empty={!list.loading && list.rows.length === 0}>
        {list.rows.map((member) => (
          <tr key={member.id}>
            <td>
              <Link href={`/w/${workspace.id}/access/${member.id}`} current={member.id === chosen}>
                {member.name}
              </Link>
            </td>
            <td>{member.email}</td>
            <td>{member.role}</td>
          </tr>
        ))}
      </Table>
      <Pager list={list} />
      {chosen === undefined ? <p>{text.pickHint}</p> : <MemberAccess key={chosen} userId={chosen} name={name ?? text.memberNumber(chosen)} />}
    </Screen>
  );
}

function MemberAccess(props: { userId: number; name: string }) {
  const text = accessText();
  const { me } = useSignedIn();
  const { workspace, permissions } = useWorkspace();
  const { userId } = props;
  const path = { path: { user_id: String(userId) } };
  const standing = useLoad(async () => (await call(api.GET('/api/v1/members/{user_id}/permissions', { params: path }))).data, [userId]);
  const explained = useLoad(async () => (await call(api.GET('/api/v1/members/{user_id}/effective-permissions', { params: path }))).data, [userId]);
  const access = useLoad(async () => (await call(api.GET('/api/v1/members/{user_id}/locations', { params: path }))).data, [userId]);
  const canListLocations = permissions.has('locations:view');
  // The names of the locations a restriction lists (the first hundred; any other by its number).
  const names = useLoad(
    async () =>
      canListLocations ? new Map((await call(api.GET('/api/v1/locations', { params: { query: { limit: 100 } } }))).data.map((location) => [location.id, location.name])) : new Map<number, string>(),
    [workspace.id],
  );
  const catalogue = usePermissionCatalogue();
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  // Kept here: a saved form is drawn anew from what the API answers, and its notice stays.
  const overridesAction = useAction();
  const locationsAction = useAction();
  const reload = () => {
    standing.reload();
    explained.reload();
    access.reload();
  };

  const loadError = standing.error ?? explained.error ?? access.error ?? catalogue.error;
  const loaded =
    standing.data && explained.data && access.data && catalogue.data
      ? { standing: standing.data, explained: explained.data, access: access.data, catalogue: catalogue.data }
      : undefined;
  let blocked: string | undefined;
  if (loaded) {
    const lacks = loaded.standing.permissions.filter((permission) => !permissions.has(permission));
    if (loaded.standing.profile.legacy_unrestricted) blocked = text.ownerHoldsAll;
    else if (userId === me.id) blocked = text.notYourself;
    else if (!permissions.has('members:manage')) blocked = text.needManage;
    else if (lacks.length > 0) blocked = text.holdsMore(lacks.join(', '));
  }
  const locationName = (id: number) => names.data?.get(id) ?? text.locationNumber(id);

  return (
    <section class="member-access" aria-labelledby="member-access-title">
      <h2 id="member-access-title" tabIndex={-1} ref={heading}>
        {text.accessOf(props.name)}
      </h2>
      <ErrorNotice error={loadError} />
      <Loading when={!loaded && !loadError} />
      {loaded && (
        <>
          <Profile standing={loaded.standing} />
          {blocked && <p class="notice">{blocked}</p>}
          <WhyView name={props.name} {...loaded} locationName={locationName} />
          {!loaded.standing.profile.legacy_unrestricted && (
            <>
              <LocationsForm
                key={`${loaded.access.restricted} ${loaded.access.location_ids.join()}`}
                action={locationsAction}
                userId={userId}
                access={loaded.access}
                canList={canListLocations}
                locationName={locationName}
                disabled={blocked !== undefined}
                onSaved={reload}
              />
              <OverridesForm
                key={`${loaded.standing.grant.join()} ${loaded.standing.revoke.join()} ${loaded.standing.template_version}`}
                action={overridesAction}
                userId={userId}
                standing={loaded.standing}
                explained={loaded.explained}
                catalogue={loaded.catalogue}
                disabled={blocked !== undefined}
                onSaved={reload}
              />
            </>
          )}
        </>
      )}
    </section>
  );
}

function Profile(props: { standing: Standing }) {
  const text = accessText();
  const { standing } = props;
  const { profile } = standing;
  return (
    <dl class="access-profile">
      <div>
        <dt>{text.role}</dt>
        <dd>{profile.custom_template_name !== null ? text.customRole(standing.role, profile.custom_template_name) : text.builtinRole(standing.role)}</dd>
      </div>
      <div>
        <dt>{text.overrideCount}</dt>
        <dd>{profile.override_count}</dd>
      </div>
    </dl>
  );
}

/** Whether the member's role gives a permission: a source of kind role, or a revoke that took it away (a grant and a revoke never meet). */
function roleGives(explained: Explained, permission: string): boolean {
  const held = explained.permissions.find((entry) => entry.permission === permission);
  if (held) return held.sources.some((source) => source.kind === 'role');
  return explained.withheld.some((entry) => entry.permission === permission && entry.reason === 'revoked_by_override');
}

/** The API's answer to "can they, and why, and where": one permission asked about, then all they hold. */
function WhyView(props: {
  name: string;
  standing: Standing;
  explained: Explained;
  access: LocationAccess;
  catalogue: PermissionCatalogue;
  locationName: (id: number) => string;
}) {
  const text = accessText();
  const { explained, access } = props;
  const [asked, setAsked] = useState(props.catalogue.entries[0]?.id ?? '');
  const held = explained.permissions.find((entry) => entry.permission === asked);
  const withheld = explained.withheld.find((entry) => entry.permission === asked);
  const where =
    access.lifted_by === 'owner'
      ? text.whereOwner
      : access.lifted_by === 'view_all_locations'
        ? text.whereTenant
        : !access.restricted
          ? text.whereAll
          : access.location_ids.length === 0
            ? text.whereNone
            : text.whereOnly(access.location_ids.map(props.locationName).join(', '));
  const reasons = held ? held.sources.map(text.source) : [withheld ? text.withheld(withheld.reason) : text.notGiven(explained.role ?? props.standing.role)];

  return (
    <section aria-labelledby="why-title">
      <h3 id="why-title">{text.why}</h3>
      <div class="field">
        <label for="why-permission">{text.askAbout}</label>
        <select id="why-permission" value={asked} onChange={(event) => setAsked(event.currentTarget.value)}>
          {props.catalogue.groups.map((group) => (
            <optgroup key={group.resource} label={group.resource}>
              {group.permissions.map((entry) => (
                <option key={entry.id} value={entry.id}>
                  {entry.id}
                </option>
              ))}
            </optgroup>
          ))}
        </select>
      </div>
      <div class={held ? 'why-answer yes' : 'why-answer no'} aria-live="polite" data-testid="why-answer">
        <p>
          <strong>{held ? text.yes(props.name, asked) : text.no(props.name, asked)}</strong>
        </p>
        {reasons.map((reason) => (
          <p key={reason}>{reason}</p>
        ))}
        {held && <p>{where}</p>}
      </div>
      <Table caption={text.everything} headers={[text.permission, text.because]} empty={explained.permissions.length + explained.withheld.length === 0}>
        {explained.permissions.map((entry) => (
          <tr key={entry.permission}>
            <td>
              <code>{entry.permission}</code>
            </td>
            <td>{entry.sources.map(text.source).join(' ')}</td>
          </tr>
        ))}
        {explained.withheld.map((entry) => (
          <tr key={entry.permission} class="withheld">
            <td>
              <code>{entry.permission}</code>
            </td>
            <td>
              {text.notHeldRow}: {text.withheld(entry.reason)}
            </td>
          </tr>
        ))}
      </Table>
    </section>
  );
}

/** Grants and revokes beyond the member's role, permission by permission, with what they would then hold. */
function OverridesForm(props: {
  action: Action;
  userId: number;
  standing: Standing;
  explained: Explained;
  catalogue: PermissionCatalogue;
  disabled: boolean;
  onSaved: () => void;
}) {
  const text = accessText();
  const { permissions } = useWorkspace();
  const { standing } = props;
  const [effects, setEffects] = useState<ReadonlyMap<string, Effect>>(
    new Map([...standing.grant.map((permission) => [permission, 'grant'] as const), ...standing.revoke.map((permission) => [permission, 'revoke'] as const)]),
  );
  const { action } = props;
  const effectOf = (permission: string): Effect => effects.get(permission) ?? 'role';
  const listed = (effect: Effect) => props.catalogue.entries.map((entry) => entry.id).filter((permission) => effectOf(permission) === effect);

  return (
    <form
      class="access-form"
      aria-labelledby="overrides-title"
      onSubmit={(event) => {
        event.preventDefault();
        void action.run(async () => {
          await explainedRefusal(
            call(api.PUT('/api/v1/members/{user_id}/permissions', { params: { path: { user_id: String(props.userId) } }, body: { grant: listed('grant'), revoke: listed('revoke') } })),
            props.catalogue.describe,
          );
          props.onSaved();
        }, text.overridesSaved);
      }}
    >
      <h3 id="overrides-title">{text.overrides}</h3>
      <p class="hint">{text.overridesHint}</p>
      <Table caption={text.overrides} headers={[text.permission, text.fromRole, text.override, text.result]} empty={false}>
        {props.catalogue.groups.map((group) => [
          <tr key={group.resource} class="resource-row">
            <th scope="rowgroup" colSpan={4}>
              {group.resource}
            </th>
          </tr>,
          ...group.permissions.map((entry) => {
            const fromRole = roleGives(props.explained, entry.id);
            const effect = effectOf(entry.id);
            const result = effect === 'grant' || (effect === 'role' && fromRole);
            const unavailable = !permissions.has(entry.id);
            const described = permissionDomId('override-desc', entry.id);
            const whyId = permissionDomId('override-why', entry.id);
            return (
              <tr key={entry.id}>
                <td>
                  <code>{entry.id}</code>
                  <br />
                  <small id={described} class="hint permission-note">
                    {entry.description}
                  </small>
                  {unavailable && (
                    <>
                      <br />
                      <small id={whyId} class="permission-unavailable">
                        {text.cannotGrant}
                      </small>
                    </>
                  )}
                </td>
                <td>{fromRole ? text.yesShort : text.noShort}</td>
                <td>
                  <select
                    aria-label={text.overrideOf(entry.id)}
                    aria-describedby={unavailable ? `${described} ${whyId}` : described}
                    value={effect}
                    disabled={props.disabled || unavailable || action.busy}
                    onChange={(event) => {
                      const next = event.currentTarget.value as Effect;
                      setEffects((before) => new Map([...before, [entry.id, next]]));
                    }}
                  >
                    {(['role', 'grant', 'revoke'] as const).map((option) => (
                      <option key={option} value={option}>
                        {text.effect(option)}
                      </option>
                    ))}
                  </select>
                </td>
                <td>{result ? text.yesShort : text.noShort}</td>
              </tr>
            );
          }),
        ])}
      </Table>
      <ActionStatus action={action} />
      <button type="submit" class="primary" disabled={props.disabled || action.busy}>
        {text.saveOverrides}
      </button>
    </form>
  );
}

/** Every location, or only listed ones (none listed: no location at all). */
function LocationsForm(props: {
  action: Action;
  userId: number;
  access: LocationAccess;
  canList: boolean;
  locationName: (id: number) => string;
  disabled: boolean;
  onSaved: () => void;
}) {
  const text = accessText();
  const { workspace } = useWorkspace();
  const [restricted, setRestricted] = useState(props.access.restricted);
  const [chosen, setChosen] = useState<ReadonlySet<number>>(new Set(props.access.location_ids));
  const list = usePaged(
    async (cursor) =>
      props.canList ? call(api.GET('/api/v1/locations', { params: { query: { limit: 20, ...(cursor && { cursor }) } } })) : { data: [], meta: { next_cursor: null } },
    [workspace.id],
  );
  const { action } = props;
  const locked = props.disabled || action.busy;
  // Listed locations this page does not show stay listed, and are named below the list.
  const offPage = [...chosen].filter((id) => !list.rows.some((location) => location.id === id));

  return (
    <form
      class="access-form"
      aria-labelledby="locations-title"
      onSubmit={(event) => {
        event.preventDefault();
        const body = restricted ? { restricted: true, location_ids: [...chosen].sort((a, b) => a - b) } : { restricted: false };
        void action.run(async () => {
          await explainedRefusal(call(api.PUT('/api/v1/members/{user_id}/locations', { params: { path: { user_id: String(props.userId) } }, body })));
          props.onSaved();
        }, text.locationsSaved);
      }}
    >
      <h3 id="locations-title">{text.locations}</h3>
      {props.access.lifted_by === 'view_all_locations' && <p class="hint">{text.liftedByTenantRole}</p>}
      <fieldset>
        <legend>{text.whichLocations}</legend>
        <label class="choice">
          <input type="radio" name="restricted" checked={!restricted} disabled={locked} onChange={() => setRestricted(false)} />
          {text.everyLocation}
        </label>
        <label class="choice">
          <input type="radio" name="restricted" checked={restricted} disabled={locked} onChange={() => setRestricted(true)} />
          {text.onlyListed}
        </label>
      </fieldset>
      <fieldset disabled={locked || !restricted}>
        <legend>{text.chooseLocations}</legend>
        {!props.canList && <p class="hint">{text.noLocationsView}</p>}
        <ErrorNotice error={list.error} />
        <div class="checks">
          {list.rows.map((location) => (
            <label key={location.id}>
              <input
                type="checkbox"
                checked={chosen.has(location.id)}
                onChange={(event) => {
                  const on = event.currentTarget.checked;
                  setChosen((before) => new Set(on ? [...before, location.id] : [...before].filter((id) => id !== location.id)));
                }}
              />
              {location.name}
            </label>
          ))}
        </div>
        {offPage.length > 0 && <p class="hint">{text.alsoListed(offPage.map(props.locationName).join(', '))}</p>}
      </fieldset>
      <Pager list={list} />
      <ActionStatus action={action} />
      <button type="submit" class="primary" disabled={props.disabled || action.busy}>
        {text.saveLocations}
      </button>
    </form>
  );
}
