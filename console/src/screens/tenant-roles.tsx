import './tenant.css';
import { api, call } from '../api.ts';
import { useSignedIn } from '../context.ts';
import { defineText } from '../i18n.ts';
import { ErrorNotice, Link, Loading, Screen } from '../ui/components.tsx';
import { useLoad } from '../ui/hooks.ts';
import { roleLabel, useTenantRoles } from './tenant.ts';

export const tenantRolesText = defineText(
  {
    title: 'Tenant roles',
    intro: 'Every user holds one tenant role. The first user to register is an owner; the tenant always keeps one.',
    caption: 'What each tenant role grants',
    permission: 'Permission',
    granted: 'Granted',
    notGranted: 'Not granted',
    yours: (role: string) => `Your tenant role: ${role}.`,
    change: 'Owners change a user’s tenant role on the',
    usersLink: 'tenant users screen',
  },
  {
    title: 'Roles del inquilino',
    intro: 'Cada usuario tiene un rol en el inquilino. El primer usuario que se registra es propietario; el inquilino siempre conserva uno.',
    caption: 'Qué concede cada rol del inquilino',
    permission: 'Permiso',
    granted: 'Concedido',
    notGranted: 'No concedido',
    yours: (role: string) => `Tu rol en el inquilino: ${role}.`,
    change: 'Los propietarios cambian el rol de un usuario en la',
    usersLink: 'pantalla de usuarios del inquilino',
  },
);

/** The tenant roles as the API defines them, against the tenant permissions (described by the catalogue). */
export function TenantRolesScreen() {
  const text = tenantRolesText();
  const { me } = useSignedIn();
  const { roles } = useTenantRoles();
  const catalogue = useLoad(async () => (await call(api.GET('/api/v1/permissions'))).data.filter((permission) => permission.scope === 'tenant'), []);
  const error = roles.error ?? catalogue.error;
  const columns = roles.data ?? [];
  return (
    <Screen title={text.title}>
      <p class="hint">{text.intro}</p>
      <ErrorNotice error={error} />
      <Loading when={roles.loading || catalogue.loading} />
      {roles.data && catalogue.data && (
        <>
          <p>{text.yours(roleLabel(me.tenant_role))}</p>
          <div class="table-wrap" tabIndex={0} role="region" aria-label={text.caption}>
            <table class="tenant-grants">
              <caption class="visually-hidden">{text.caption}</caption>
              <thead>
                <tr>
                  <th scope="col">{text.permission}</th>
                  {columns.map((role) => (
                    <th key={role.name} scope="col">
                      {roleLabel(role.name)}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {catalogue.data.map((permission) => (
                  <tr key={permission.id}>
                    <th scope="row">
                      <code>{permission.id}</code>
                      {/* The catalogue describes permissions in English. */}
                      <span class="tenant-grant-description" lang="en">
                        {permission.description}
                      </span>
                    </th>
                    {columns.map((role) => {
                      const granted = role.permissions.includes(permission.id);
                      return (
                        <td key={role.name} class={granted ? 'granted' : 'not-granted'}>
                          <span aria-hidden="true">{granted ? '✓' : '—'}</span>
                          <span class="visually-hidden">{granted ? text.granted : text.notGranted}</span>
                        </td>
                      );
                    })}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <p>
            {text.change} <Link href="/tenant/users">{text.usersLink}</Link>.
          </p>
        </>
      )}
    </Screen>
  );
}
