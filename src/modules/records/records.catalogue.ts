import { defineCatalogue, type GrantableRole, type PermissionSpec } from '../../core/catalogue.ts';

const ACTIONS = ['view', 'create', 'edit', 'delete'] as const;
const RESOURCES = {
  invoices: 'invoices',
  quotations: 'quotations',
  products: 'products (items)',
  contacts: 'contacts',
  suppliers: 'suppliers',
  locations: 'locations',
  tags: 'tags',
  stock: 'stock levels and transfers',
} as const;
type RecordPermission = `${keyof typeof RESOURCES}:${(typeof ACTIONS)[number]}`;

/** Besides viewing everything, the built-in member writes the documents of daily sales. */
const MEMBER_WRITES: readonly RecordPermission[] = ['invoices:create', 'quotations:create', 'contacts:create'];

function grantedTo(permission: RecordPermission, action: (typeof ACTIONS)[number]): GrantableRole[] {
  if (action === 'view') return ['admin', 'member', 'viewer'];
  return MEMBER_WRITES.includes(permission) ? ['admin', 'member'] : ['admin'];
}

function recordPermissions(): Record<RecordPermission, PermissionSpec> {
  const permissions = {} as Record<RecordPermission, PermissionSpec>;
  for (const [resource, label] of Object.entries(RESOURCES)) {
    for (const action of ACTIONS) {
      const permission = `${resource}:${action}` as RecordPermission;
      const description = `${action[0]?.toUpperCase()}${action.slice(1)} ${label}`;
      permissions[permission] = { description, grantedTo: grantedTo(permission, action) };
    }
  }
  return permissions;
}

/**
 * Workspace-scoped business records (invoices, quotations, items, contacts, suppliers,
 * locations, tags, stock). Their permissions exist, and roles may grant them, before the
 * records' own routes do.
 */
export const recordsCatalogue = defineCatalogue({
  area: 'records',
  permissions: recordPermissions(),
  messages: { en: {}, es: {} },
});

declare module '../../core/catalogue.ts' {
  interface Areas {
    records: typeof recordsCatalogue;
  }
}
