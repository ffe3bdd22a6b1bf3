/**
 * The built-in roles, as reviewed: a table kept here, apart from the areas' declarations,
 * so that an area granting a built-in role one permission more (or less) fails until this
 * table is changed too, on purpose.
 */
import { describe, expect, it } from 'vitest';
import { AREA_CATALOGUES } from '../../src/areas.ts';
import { composeCatalogues } from '../../src/core/catalogue.ts';

const catalogue = composeCatalogues(AREA_CATALOGUES);
const all = [...catalogue.permissions.keys()];

const OWNER_ONLY = ['workspaces:edit', 'workspaces:delete', 'workspaces:transfer', 'groups:join', 'sso:manage'];
const MEMBER = [
  'workspaces:view', 'settings:view', 'members:view', 'roles:view',
  'invoices:view', 'invoices:create', 'invoices:issue', 'quotations:view', 'quotations:create', 'products:view',
  'contacts:view', 'contacts:create', 'suppliers:view', 'locations:view', 'tags:view', 'stock:view',
];
const VIEWER = [
  'workspaces:view', 'settings:view', 'members:view', 'invitations:view', 'roles:view',
  'invoices:view', 'quotations:view', 'products:view', 'contacts:view', 'suppliers:view', 'locations:view', 'tags:view', 'stock:view',
];

describe('built-in roles', () => {
  it('declare 56 workspace permissions in all', () => {
    expect(all).toHaveLength(56);
  });

  it('give the owner everything and the admin everything but owning the workspace', () => {
    expect([...catalogue.builtinRolePermissions('owner')].sort()).toEqual([...all].sort());
    expect([...catalogue.builtinRolePermissions('admin')].sort()).toEqual(all.filter((p) => !OWNER_ONLY.includes(p)).sort());
  });

  it('give the member and the viewer exactly the reviewed sets', () => {
    expect([...catalogue.builtinRolePermissions('member')].sort()).toEqual([...MEMBER].sort());
    expect([...catalogue.builtinRolePermissions('viewer')].sort()).toEqual([...VIEWER].sort());
  });

  it('withhold, while acting as a sub workspace, exactly what would end the sub workspace, hand it over or change its group', () => {
    expect([...catalogue.withheldWhenActingAs].sort()).toEqual(['groups:join', 'groups:manage', 'workspaces:delete', 'workspaces:transfer']);
  });

  it('let tenant owners and admins read, and only read, where they are not members', () => {
    expect([...catalogue.readOnlyPermissions].sort()).toEqual([...VIEWER, 'audit:view', 'api_keys:view', 'groups:view', 'sso:view'].sort());
  });
});
