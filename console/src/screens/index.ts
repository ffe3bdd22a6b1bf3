import { AccessScreen, accessText } from './access.tsx';
import { ApiKeysScreen, apiKeysText } from './api-keys.tsx';
import { InvitationsScreen, invitationsText } from './invitations.tsx';
import { InvoicesRoute } from './invoice.tsx';
import { invoicesText } from './invoices.tsx';
import { ItemsRoute, itemsText } from './items.tsx';
import { MembersScreen, membersText } from './members.tsx';
import type { ScreenEntry } from './registry.ts';
import { RolesScreen, rolesText } from './roles.tsx';
import { SettingsScreen, settingsText } from './settings.tsx';
import { StockScreen, stockText } from './stock.tsx';

/** The screens inside a workspace, in navigation order. */
export const WORKSPACE_SCREENS: readonly ScreenEntry[] = [
  { path: 'members', label: () => membersText().title, permission: 'members:view', component: MembersScreen },
  { path: 'roles', label: () => rolesText().title, permission: 'roles:view', component: RolesScreen },
  { path: 'access', label: () => accessText().title, permission: 'members:view', component: AccessScreen, subPaths: ['access/:user'] },
  { path: 'invitations', label: () => invitationsText().title, permission: 'invitations:view', component: InvitationsScreen },
  { path: 'api-keys', label: () => apiKeysText().title, permission: 'api_keys:view', component: ApiKeysScreen },
  { path: 'items', label: () => itemsText().title, permission: 'products:view', component: ItemsRoute, subPaths: ['items/:item'] },
  { path: 'stock', label: () => stockText().title, permission: 'stock:view', component: StockScreen },
  { path: 'invoices', label: () => invoicesText().title, permission: 'invoices:view', component: InvoicesRoute, subPaths: ['invoices/:invoice'] },
  { path: 'settings', label: () => settingsText().navigation, permission: 'settings:view', component: SettingsScreen, subPaths: ['settings/:tab'] },
];

/** The tenant's administration, shown to its owners and admins. */
export const TENANT_SCREENS: readonly ScreenEntry[] = [];
