import { api, call } from '../api.ts';
import { useSignedIn } from '../context.ts';
import { defineText } from '../i18n.ts';
import { useLoad } from '../ui/hooks.ts';

/** The tenant roles by name, in both languages. */
export const tenantRoleText = defineText(
  { owner: 'Owner', admin: 'Admin', member: 'Member' },
  { owner: 'Propietario', admin: 'Administrador', member: 'Miembro' },
);

/** A role's name in the console's language; one the console does not know, as the API spells it. */
export function roleLabel(name: string): string {
  const labels: Record<string, string> = tenantRoleText();
  return labels[name] ?? name;
}

/**
 * The tenant roles as the API defines them (`GET /tenant/roles`), and the tenant permissions
 * the signed-in user holds by theirs: what the tenant screens offer (the API still decides).
 */
export function useTenantRoles() {
  const { me } = useSignedIn();
  const roles = useLoad(async () => (await call(api.GET('/api/v1/tenant/roles'))).data, []);
  const held = new Set(roles.data?.find((role) => role.name === me.tenant_role)?.permissions ?? []);
  return { roles, held };
}
