import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, call, type Schemas } from '../api.ts';
import { useSignedIn, useWorkspace } from '../context.ts';
import { common, defineText } from '../i18n.ts';
import { ActionStatus, ConfirmButton, ErrorNotice, Field, Loading, Pager, Screen, Table } from '../ui/components.tsx';
import { fieldErrors, formValues, useAction, useLoad, usePaged, type Action } from '../ui/hooks.ts';
import { explainedRefusal, permissionDomId, toggled, usePermissionCatalogue, type PermissionGroup } from '../ui/permissions.ts';
import './roles.css';

type Role = Schemas['Role'];
type WithheldReason = Schemas['ExplainedPermissions']['withheld'][number]['reason'];

export const rolesText = defineText(
  {
    title: 'Roles',
    kind: 'Kind',
    builtin: 'Built-in (read-only)',
    custom: 'Custom',
    permissions: 'Permissions',
    permissionCount: (count: number) => (count === 1 ? '1 permission' : `${count} permissions`),
    edit: 'Edit',
    delete: 'Delete',
    reassign: (role: string) => `Move the members of ${role} to`,
    noReassign: 'Nobody (refused while members hold it)',
    lacksToChange: (permissions: string) => `It grants what you do not hold (${permissions}), so you cannot change or delete it.`,
    readOnly: 'You can see the roles; creating, changing and deleting them takes the permission roles:manage.',
    create: 'Create a role',
    editing: (role: string) => `Edit the role “${role}”`,
    identifier: 'Name (identifier)',
    identifierHint: 'Lower-case letters, digits and _, starting with a letter; members are given the role by this name.',
    displayName: 'Display name',
    choose: 'Permissions it grants',
    chooseHint: 'Nobody grants what they do not hold: what you cannot grant is shown but cannot be chosen.',
    notHeld: 'You cannot grant it: you do not hold it in this workspace.',
    withheld: (reason: WithheldReason) =>
      ({
        revoked_by_override: 'You cannot grant it: an override revoked it from you.',
        withheld_when_acting_as: 'You cannot grant it: nobody holds it while acting as a sub workspace.',
        outside_api_key_scopes: 'You cannot grant it: it is outside your key’s scopes.',
      })[reason],
    save: 'Save the role',
    created: (name: string) => `Role “${name}” created.`,
    updated: (name: string) => `Role “${name}” saved.`,
    deleted: (name: string) => `Role “${name}” deleted.`,
    inUseHint: 'Choose a role to move its members to, then delete it again.',
  },
  {
    title: 'Roles',
    kind: 'Tipo',
    builtin: 'Integrado (solo lectura)',
    custom: 'Personalizado',
    permissions: 'Permisos',
    permissionCount: (count: number) => (count === 1 ? '1 permiso' : `${count} permisos`),
    edit: 'Editar',
    delete: 'Eliminar',
    reassign: (role: string) => `Mover los miembros de ${role} a`,
    noReassign: 'Nadie (se rechaza mientras haya miembros con él)',
    lacksToChange: (permissions: string) => `Otorga permisos que no tienes (${permissions}), así que no puedes cambiarlo ni eliminarlo.`,
    readOnly: 'Puedes ver los roles; crearlos, cambiarlos y eliminarlos requiere el permiso roles:manage.',
    create: 'Crear un rol',
    editing: (role: string) => `Editar el rol «${role}»`,
    identifier: 'Nombre (identificador)',
    identifierHint: 'Minúsculas, dígitos y _, empezando por una letra; los miembros reciben el rol por este nombre.',
    displayName: 'Nombre visible',
    choose: 'Permisos que otorga',
    chooseHint: 'Nadie otorga lo que no tiene: lo que no puedes otorgar se muestra pero no se puede elegir.',
    notHeld: 'No puedes otorgarlo: no lo tienes en esta sucursal.',
    withheld: (reason: WithheldReason) =>
      ({
        revoked_by_override: 'No puedes otorgarlo: una excepción te lo retiró.',
        withheld_when_acting_as: 'No puedes otorgarlo: nadie lo tiene al actuar como una sucursal subordinada.',
        outside_api_key_scopes: 'No puedes otorgarlo: está fuera de los alcances de tu clave.',
      })[reason],
    save: 'Guardar el rol',
    created: (name: string) => `Rol «${name}» creado.`,
    updated: (name: string) => `Rol «${name}» guardado.`,
    deleted: (name: string) => `Rol «${name}» eliminado.`,
    inUseHint: 'Elige un rol al que mover sus miembros y vuelve a eliminarlo.',
  },
);

/** The workspace's roles: the built-in ones to read, custom ones to create, change and delete. */
export function RolesScreen() {
  const text = rolesText();
  const shared = common();
  const { me } = useSignedIn();
  const { workspace, permissions } = useWorkspace();
  const list = usePaged(async (cursor) => call(api.GET('/api/v1/roles', { params: { query: { limit: 20, ...(cursor && { cursor }) } } })), [workspace.id]);
  // The roles a deleted role's members may move to.
  const allRoles = useLoad(async () => (await call(api.GET('/api/v1/roles', { params: { query: { limit: 100 } } }))).data, [workspace.id]);
  const catalogue = usePermissionCatalogue();
  // Why the caller lacks what their role would give (an override, acting as a sub workspace): the explanation of a disabled choice.
  const mine = useLoad(
    async () =>
      permissions.has('members:view')
        ? (await call(api.GET('/api/v1/members/{user_id}/effective-permissions', { params: { path: { user_id: String(me.id) } } }))).data.withheld
        : [],
    [workspace.id, me.id],
  );
  const rowAction = useAction();
  const formAction = useAction();
  const [editing, setEditing] = useState<Role | undefined>(undefined);
  // A new form (empty, or the next role's) after each save.
  const [formVersion, setFormVersion] = useState(0);
  const reloadRoles = () => {
    list.reload();
    allRoles.reload();
  };
  const canManage = permissions.has('roles:manage');
  const describe = catalogue.data?.describe;
  const lacking = (role: Role) => role.permissions.filter((permission) => !permissions.has(permission));
  const whyNot = (permission: string): string | undefined => {
    if (permissions.has(permission)) return undefined;
    const withheld = (mine.data ?? []).find((entry) => entry.permission === permission);
    return withheld ? text.withheld(withheld.reason) : text.notHeld;
  };

  return (
    <Screen title={text.title}>
      <ErrorNotice error={list.error ?? catalogue.error} />
      <ActionStatus action={rowAction} />
      <Loading when={list.loading} />
      <Table caption={text.title} headers={[shared.name, text.kind, text.permissions, shared.actions]} empty={!list.loading && list.rows.length === 0}>
        {list.rows.map((role) => (
          <RoleRow
            key={role.id}
            role={role}
            canManage={canManage}
            lacking={lacking(role)}
            busy={rowAction.busy}
            others={(allRoles.data ?? []).filter((other) => other.id !== role.id && other.name !== 'owner')}
            onEdit={() => {
              rowAction.clear();
              formAction.clear();
              setEditing(role);
            }}
            onDelete={(reassignTo) =>
              void rowAction.run(async () => {
                await explainedRefusal(
                  call(api.DELETE('/api/v1/roles/{id}', { params: { path: { id: String(role.id) }, query: reassignTo ? { reassign_to: reassignTo } : {} } })),
                  describe,
                  { 'ROLE.IN_USE': text.inUseHint },
                );
                if (editing?.id === role.id) setEditing(undefined);
                reloadRoles();
              }, text.deleted(role.display_name))
            }
          />
        ))}
      </Table>
      <Pager list={list} />
      {canManage ? (
        // Drawn once the caller's own withheld permissions are known, so a disabled choice gives the right reason.
        catalogue.data &&
        (mine.data ?? mine.error) !== undefined && (
          <RoleForm
            key={`${editing?.id ?? 'new'} ${formVersion}`}
            action={formAction}
            editing={editing}
            groups={catalogue.data.groups}
            whyNot={whyNot}
            describe={describe}
            onDone={() => {
              setEditing(undefined);
              setFormVersion((version) => version + 1);
              reloadRoles();
            }}
          />
        )
      ) : (
        <p class="notice">{text.readOnly}</p>
      )}
    </Screen>
  );
}

function RoleRow(props: {
  role: Role;
  canManage: boolean;
  lacking: string[];
  busy: boolean;
  others: Role[];
  onEdit: () => void;
  onDelete: (reassignTo: string) => void;
}) {
  const text = rolesText();
  const { role } = props;
  const [reassignTo, setReassignTo] = useState('');
  const blocked = props.lacking.length > 0;
  return (
    <tr>
      <td>
        {role.display_name}
        <br />
        <code>{role.name}</code>
      </td>
      <td>{role.is_builtin ? text.builtin : text.custom}</td>
      <td>
        <details class="role-permissions">
          <summary>{text.permissionCount(role.permissions.length)}</summary>
          <ul>
            {role.permissions.map((permission) => (
              <li key={permission}>
                <code>{permission}</code>
              </li>
            ))}
          </ul>
        </details>
      </td>
      <td>
        {!role.is_builtin && props.canManage && (
          <div class="actions">
            <button type="button" disabled={props.busy || blocked} onClick={props.onEdit}>
              {text.edit}
              <span class="visually-hidden"> {role.display_name}</span>
            </button>
            <select aria-label={text.reassign(role.display_name)} value={reassignTo} disabled={props.busy || blocked} onChange={(event) => setReassignTo(event.currentTarget.value)}>
              <option value="">{text.noReassign}</option>
              {props.others.map((other) => (
                <option key={other.id} value={other.name}>
                  {other.display_name}
                </option>
              ))}
            </select>
            <ConfirmButton label={`${text.delete} ${role.display_name}`} disabled={props.busy || blocked} onConfirm={() => props.onDelete(reassignTo)} />
            {blocked && <small class="permission-unavailable">{text.lacksToChange(props.lacking.join(', '))}</small>}
          </div>
        )}
      </td>
    </tr>
  );
}

/** Creates a role, or changes the one being edited: its names and the permissions it grants, chosen by resource. */
function RoleForm(props: {
  action: Action;
  editing: Role | undefined;
  groups: PermissionGroup[];
  whyNot: (permission: string) => string | undefined;
  describe: ((permission: string) => string | undefined) | undefined;
  onDone: () => void;
}) {
  const text = rolesText();
  const shared = common();
  const { editing } = props;
  const [chosen, setChosen] = useState<ReadonlySet<string>>(new Set(editing?.permissions ?? []));
  const { action } = props;
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (editing) heading.current?.focus();
  }, [editing]);
  const errors = fieldErrors(action.error);
  if (action.error instanceof ApiError && action.error.code === 'WORKSPACE.ROLE_NAME_EXISTS') errors.name = action.error.message;
  const toggle = (permission: string, on: boolean) => setChosen((before) => toggled(before, permission, on));

  return (
    <form
      class="role-form"
      aria-labelledby="role-form-title"
      onSubmit={(event) => {
        const { name = '', display_name = '' } = formValues(event);
        // The catalogue's order, so the role reads as the catalogue does.
        const granted = props.groups.flatMap((group) => group.permissions.map((entry) => entry.id)).filter((permission) => chosen.has(permission));
        const body = { name, display_name, permissions: granted };
        void action.run(
          async () => {
            await explainedRefusal(
              editing
                ? call(api.PUT('/api/v1/roles/{id}', { params: { path: { id: String(editing.id) } }, body }))
                : call(api.POST('/api/v1/roles', { body })),
              props.describe,
            );
            props.onDone();
          },
          editing ? text.updated(display_name) : text.created(display_name),
        );
      }}
    >
      <h2 id="role-form-title" tabIndex={-1} ref={heading}>
        {editing ? text.editing(editing.display_name) : text.create}
      </h2>
      <Field
        label={text.identifier}
        name="name"
        required
        maxLength={50}
        pattern="[a-z][a-z0-9_]*"
        hint={text.identifierHint}
        defaultValue={editing?.name}
        error={errors.name}
      />
      <Field label={text.displayName} name="display_name" required maxLength={100} defaultValue={editing?.display_name} error={errors.display_name} />
      <PermissionChoice groups={props.groups} chosen={chosen} whyNot={props.whyNot} onToggle={toggle} error={errors.permissions} />
      <ActionStatus action={action} />
      <div class="actions">
        <button type="submit" class="primary" disabled={action.busy}>
          {editing ? text.save : text.create}
        </button>
        {editing && (
          <button
            type="button"
            onClick={() => {
              action.clear();
              props.onDone();
            }}
          >
            {shared.cancel}
          </button>
        )}
      </div>
    </form>
  );
}

/** Checkboxes grouped by resource, each with its description; what cannot be granted is disabled, and says why. */
function PermissionChoice(props: {
  groups: PermissionGroup[];
  chosen: ReadonlySet<string>;
  whyNot: (permission: string) => string | undefined;
  onToggle: (permission: string, on: boolean) => void;
  error: string | undefined;
}) {
  const text = rolesText();
  return (
    <fieldset class="permission-choice" aria-describedby="permission-choice-hint">
      <legend>{text.choose}</legend>
      <p id="permission-choice-hint" class="hint">
        {text.chooseHint}
      </p>
      {props.error && <p class="field-error">{props.error}</p>}
      {props.groups.map((group) => (
        <fieldset key={group.resource} class="permission-group">
          <legend>{group.resource}</legend>
          <div class="checks">
            {group.permissions.map((entry) => {
              const why = props.whyNot(entry.id);
              const described = permissionDomId('role-perm-desc', entry.id);
              const whyId = permissionDomId('role-perm-why', entry.id);
              return (
                <div key={entry.id} class={why ? 'permission-check unavailable' : 'permission-check'}>
                  <label>
                    <input
                      type="checkbox"
                      checked={props.chosen.has(entry.id)}
                      disabled={why !== undefined}
                      aria-describedby={why ? `${described} ${whyId}` : described}
                      onChange={(event) => props.onToggle(entry.id, event.currentTarget.checked)}
                    />
                    <code>{entry.id}</code>
                  </label>
                  <small id={described} class="hint permission-note">
                    {entry.description}
                  </small>
                  {why && (
                    <small id={whyId} class="permission-unavailable">
                      {why}
                    </small>
                  )}
                </div>
              );
            })}
          </div>
        </fieldset>
      ))}
    </fieldset>
  );
}
