import './tenant.css';
import { api, call } from '../api.ts';
import { useSignedIn } from '../context.ts';
import { common, defineText, formatDate } from '../i18n.ts';
import { ActionStatus, ConfirmButton, ErrorNotice, Loading, Pager, Screen, Table } from '../ui/components.tsx';
import { useAction, usePaged } from '../ui/hooks.ts';
import { roleLabel, useTenantRoles } from './tenant.ts';

export const tenantUsersText = defineText(
  {
    title: 'Tenant users',
    intro: "Everyone with an account in this tenant. Owners change tenant roles and disable accounts; owners and admins end users' sessions.",
    onlyOwners: 'Only tenant owners change roles and disable accounts.',
    list: 'Users of this tenant',
    tenantRole: 'Tenant role',
    joined: 'Joined',
    roleOf: (name: string) => `Tenant role of ${name}`,
    you: '(you)',
    active: 'Active',
    disabled: 'Disabled',
    verified: 'Address proved',
    unverified: 'Address not proved',
    mfaOn: 'Second factor on',
    mfaOff: 'No second factor',
    disable: 'Disable',
    enable: 'Enable',
    endSessions: 'End sessions',
    resetMfa: 'Reset second factor',
    roleChanged: (name: string, role: string) => `${name} is now ${role}.`,
    disabledNotice: (name: string) => `${name} is disabled: their sessions ended and they cannot sign in.`,
    enabledNotice: (name: string) => `${name} can sign in again.`,
    sessionsEnded: (name: string) => `${name}'s sessions ended.`,
    mfaReset: (name: string) => `${name}'s second factor is off; they sign in with their password alone.`,
  },
  {
    title: 'Usuarios del inquilino',
    intro: 'Todas las personas con cuenta en este inquilino. Los propietarios cambian los roles del inquilino y desactivan cuentas; propietarios y administradores cierran las sesiones de los usuarios.',
    onlyOwners: 'Solo los propietarios del inquilino cambian roles y desactivan cuentas.',
    list: 'Usuarios de este inquilino',
    tenantRole: 'Rol en el inquilino',
    joined: 'Alta',
    roleOf: (name: string) => `Rol en el inquilino de ${name}`,
    you: '(tú)',
    active: 'Activo',
    disabled: 'Desactivado',
    verified: 'Correo comprobado',
    unverified: 'Correo sin comprobar',
    mfaOn: 'Segundo factor activado',
    mfaOff: 'Sin segundo factor',
    disable: 'Desactivar',
    enable: 'Activar',
    endSessions: 'Cerrar sesiones',
    resetMfa: 'Restablecer segundo factor',
    roleChanged: (name: string, role: string) => `${name} ahora es ${role}.`,
    disabledNotice: (name: string) => `${name} está desactivado: sus sesiones terminaron y no puede iniciar sesión.`,
    enabledNotice: (name: string) => `${name} puede volver a iniciar sesión.`,
    sessionsEnded: (name: string) => `Las sesiones de ${name} terminaron.`,
    mfaReset: (name: string) => `El segundo factor de ${name} está desactivado; inicia sesión solo con su contraseña.`,
  },
);

/** The tenant's users: their tenant roles (owners change them), disabling, sessions and second factors. */
export function TenantUsersScreen() {
  const text = tenantUsersText();
  const shared = common();
  const { me, reloadMe } = useSignedIn();
  const { roles, held } = useTenantRoles();
  const list = usePaged(async (cursor) => call(api.GET('/api/v1/tenant/users', { params: { query: { limit: 25, ...(cursor && { cursor }) } } })), []);
  const action = useAction();
  const canManage = held.has('tenant_users:manage');
  const canEndSessions = held.has('tenant_users:sessions');
  const error = list.error ?? roles.error;

  const update = (user: { id: number; name: string }, body: { tenant_role?: 'owner' | 'admin' | 'member'; disabled?: boolean }, notice: string) =>
    void action.run(async () => {
      await call(api.PUT('/api/v1/tenant/users/{id}', { params: { path: { id: String(user.id) } }, body }));
      list.reload();
      // A change of one's own role changes what the console shows.
      if (user.id === me.id) await reloadMe();
    }, notice);

  return (
    <Screen title={text.title}>
      <p class="hint">{text.intro}</p>
      {roles.data && !canManage && <p class="hint">{text.onlyOwners}</p>}
      <ErrorNotice error={error} />
      <ActionStatus action={action} />
      <Loading when={list.loading} />
      {!error && (
        <Table
          caption={text.list}
          headers={[shared.name, shared.email, text.tenantRole, shared.status, text.joined, shared.actions]}
          empty={!list.loading && list.rows.length === 0}
        >
          {list.rows.map((user) => {
            const isMe = user.id === me.id;
            return (
              <tr key={user.id}>
                <td>
                  {user.name} {isMe && text.you}
                </td>
                <td class="tenant-email">{user.email}</td>
                <td>
                  {canManage ? (
                    <select
                      aria-label={text.roleOf(user.name)}
                      value={user.tenant_role}
                      disabled={action.busy}
                      onChange={(event) => {
                        const role = event.currentTarget.value as 'owner' | 'admin' | 'member';
                        update(user, { tenant_role: role }, text.roleChanged(user.name, roleLabel(role)));
                      }}
                    >
                      {(roles.data ?? []).map((role) => (
                        <option key={role.name} value={role.name}>
                          {roleLabel(role.name)}
                        </option>
                      ))}
                    </select>
                  ) : (
                    roleLabel(user.tenant_role)
                  )}
                </td>
                <td>
                  <ul class="tenant-status">
                    <li class={user.disabled ? 'off' : undefined}>{user.disabled ? text.disabled : text.active}</li>
                    <li>{user.email_verified ? text.verified : text.unverified}</li>
                    <li>{user.mfa_enabled ? text.mfaOn : text.mfaOff}</li>
                  </ul>
                </td>
                <td>{formatDate(user.created_at)}</td>
                <td>
                  <div class="actions">
                    {canManage && !isMe && !user.disabled && (
                      <ConfirmButton label={text.disable} disabled={action.busy} onConfirm={() => update(user, { disabled: true }, text.disabledNotice(user.name))} />
                    )}
                    {canManage && user.disabled && (
                      <button type="button" disabled={action.busy} onClick={() => update(user, { disabled: false }, text.enabledNotice(user.name))}>
                        {text.enable}
                      </button>
                    )}
                    {canEndSessions && !isMe && !user.disabled && (
                      <ConfirmButton
                        label={text.endSessions}
                        disabled={action.busy}
                        onConfirm={() =>
                          void action.run(
                            () => call(api.DELETE('/api/v1/tenant/users/{id}/sessions', { params: { path: { id: String(user.id) } } })),
                            text.sessionsEnded(user.name),
                          )
                        }
                      />
                    )}
                    {canManage && !isMe && user.mfa_enabled && (
                      <ConfirmButton
                        label={text.resetMfa}
                        disabled={action.busy}
                        onConfirm={() =>
                          void action.run(async () => {
                            await call(api.DELETE('/api/v1/tenant/users/{id}/mfa', { params: { path: { id: String(user.id) } } }));
                            list.reload();
                          }, text.mfaReset(user.name))
                        }
                      />
                    )}
                  </div>
                </td>
              </tr>
            );
          })}
        </Table>
      )}
      <Pager list={list} />
    </Screen>
  );
}
