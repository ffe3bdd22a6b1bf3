import { AccessScreen, accessText } from './access.tsx';
import { ApiKeysScreen, apiKeysText } from './api-keys.tsx';
import { auditText, TenantAuditScreen, WorkspaceAuditScreen } from './audit-log.tsx';
import { InvitationsScreen, invitationsText } from './invitations.tsx';
import { InvoicesRoute } from './invoice.tsx';
import { invoicesText } from './invoices.tsx';
import { ItemsRoute, itemsText } from './items.tsx';
import { MembersScreen, membersText } from './members.tsx';
import type { ScreenEntry } from './registry.ts';
import { RolesScreen, rolesText } from './roles.tsx';
import { SettingsScreen, settingsText } from './settings.tsx';
import { StockScreen, stockText } from './stock.tsx';
import { TenantRolesScreen, tenantRolesText } from './tenant-roles.tsx';
import { TenantSettingsScreen, tenantSettingsText } from './tenant-settings.tsx';
import { TenantUsersScreen, tenantUsersText } from './tenant-users.tsx';

/** The screens inside a workspace, in navigation order. */
export const WORKSPACE_SCREENS: readonly ScreenEntry[] = [
  { path: 'members', label: () => membersText().title, permission: 'members:view', component: MembersScreen },
  { path: 'roles', label: () => rolesText().title, permission: 'roles:view', component: RolesScreen },
  { path: 'access', label: () => accessText().title, permission: 'members:view', component: AccessScreen, subPaths: ['access/:user'] },
  { path: 'invitations', label: () => invitationsText().title, permission: 'invitations:view', component: InvitationsScreen },
  { path: 'api-keys', label: () => apiKeysText().title, permission: 'api_keys:view', component: ApiKeysScreen },
  { path: 'audit', label: () => auditText().title, permission: 'audit:view', component: WorkspaceAuditScreen },
  { path: 'items', label: () => itemsText().title, permission: 'products:view', component: ItemsRoute, subPaths: ['items/:item'] },
  { path: 'stock', label: () => stockText().title, permission: 'stock:view', component: StockScreen },
  { path: 'invoices', label: () => invoicesText().title, permission: 'invoices:view', component: InvoicesRoute, subPaths: ['invoices/:invoice'] },
  { path: 'settings', label: () => settingsText().navigation, permission: 'settings:view', component: SettingsScreen, subPaths: ['settings/:tab'] },
];

/** The tenant's administration, shown to its owners and admins. */
export const TENANT_SCREENS: readonly ScreenEntry[] = [
  { path: 'users', label: () => tenantUsersText().title, permission: 'tenant_users:view', component: TenantUsersScreen },
  { path: 'roles', label: () => tenantRolesText().title, permission: 'tenant:view', component: TenantRolesScreen },
  { path: 'settings', label: () => tenantSettingsText().title, permission: 'tenant:view', component: TenantSettingsScreen },
  { path: 'audit', label: () => auditText().tenantTitle, permission: 'tenant:view', component: TenantAuditScreen },
];
