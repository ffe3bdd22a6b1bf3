import { AccessScreen, accessText } from './access.tsx';
import { MembersScreen, membersText } from './members.tsx';
import type { ScreenEntry } from './registry.ts';
import { RolesScreen, rolesText } from './roles.tsx';
import { SettingsScreen, settingsText } from './settings.tsx';

/** The screens inside a workspace, in navigation order. */
export const WORKSPACE_SCREENS: readonly ScreenEntry[] = [
  { path: 'members', label: () => membersText().title, permission: 'members:view', component: MembersScreen },
  { path: 'roles', label: () => rolesText().title, permission: 'roles:view', component: RolesScreen },
  { path: 'access', label: () => accessText().title, permission: 'members:view', component: AccessScreen, subPaths: ['access/:user'] },
  { path: 'settings', label: () => settingsText().navigation, permission: 'settings:view', component: SettingsScreen, subPaths: ['settings/:tab'] },
];

/** The tenant's administration, shown to its owners and admins. */
export const TENANT_SCREENS: readonly ScreenEntry[] = [];
