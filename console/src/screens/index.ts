import { InvoicesRoute } from './invoice.tsx';
import { invoicesText } from './invoices.tsx';
import { ItemsRoute, itemsText } from './items.tsx';
import { MembersScreen, membersText } from './members.tsx';
import type { ScreenEntry } from './registry.ts';
import { StockScreen, stockText } from './stock.tsx';

/** The screens inside a workspace, in navigation order. */
export const WORKSPACE_SCREENS: readonly ScreenEntry[] = [
  { path: 'members', label: () => membersText().title, permission: 'members:view', component: MembersScreen },
  { path: 'items', label: () => itemsText().title, permission: 'products:view', component: ItemsRoute, subPaths: ['items/:item'] },
  { path: 'stock', label: () => stockText().title, permission: 'stock:view', component: StockScreen },
  { path: 'invoices', label: () => invoicesText().title, permission: 'invoices:view', component: InvoicesRoute, subPaths: ['invoices/:invoice'] },
];

/** The tenant's administration, shown to its owners and admins. */
export const TENANT_SCREENS: readonly ScreenEntry[] = [];
