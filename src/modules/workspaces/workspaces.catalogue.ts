import { defineCatalogue } from '../../core/catalogue.ts';

/**
 * What the workspaces area adds to the shared catalogues: its permissions, error codes and messages.
 */
export const workspacesCatalogue = defineCatalogue({
  area: 'workspaces',
  permissions: {
    'workspaces:view': { description: 'See the workspace', grantedTo: ['admin', 'member', 'viewer'] },
    'workspaces:edit': { description: 'Rename the workspace and change its logo', grantedTo: [] },
    'workspaces:delete': { description: 'Delete the workspace and everything in it', grantedTo: [], withheldWhenActingAs: true },
    'workspaces:transfer': { description: 'Transfer ownership to another member', grantedTo: [], withheldWhenActingAs: true },
    'settings:view': { description: 'Read the workspace settings', grantedTo: ['admin', 'member', 'viewer'] },
    'settings:edit': { description: 'Change the workspace settings (document subtype, invoicing defaults)', grantedTo: ['admin'] },
  },
  errors: {
    'WORKSPACE.NAME_TAKEN': 409,
    'WORKSPACE.SLUG_TAKEN': 409,
    'WORKSPACE.ALREADY_OWNS_WORKSPACE': 409,
  },
  messages: {
    en: {
      'WORKSPACE.NAME_TAKEN': 'A workspace with this name already exists.',
      'WORKSPACE.SLUG_TAKEN': 'A workspace with this slug already exists.',
      'WORKSPACE.ALREADY_OWNS_WORKSPACE': 'You already own as many workspaces as this tenant allows.',
      'workspace.created': 'Workspace created successfully.',
      'workspace.updated': 'Workspace updated successfully.',
      'workspace.deleted': 'Workspace deleted.',
      'workspace.context_updated': 'Workspace context updated.',
      'workspace.context_cleared': 'Workspace context cleared.',
      'workspace.default_set': 'Default workspace updated.',
      'workspace.document_subtype_updated': 'Preferred document subtype updated.',
      'workspace.settings_updated': 'Workspace settings updated.',
    },
    es: {
      'WORKSPACE.NAME_TAKEN': 'Ya existe una sucursal con este nombre.',
      'WORKSPACE.SLUG_TAKEN': 'Ya existe una sucursal con este identificador.',
      'WORKSPACE.ALREADY_OWNS_WORKSPACE': 'Ya eres propietario de tantas sucursales como permite este inquilino.',
      'workspace.created': '¡Sucursal creada correctamente!',
      'workspace.updated': '¡Sucursal actualizada correctamente!',
      'workspace.deleted': 'Sucursal eliminada.',
      'workspace.context_updated': 'Contexto de sucursal actualizado.',
      'workspace.context_cleared': 'Contexto de sucursal borrado.',
      'workspace.default_set': 'Sucursal predeterminada actualizada.',
      'workspace.document_subtype_updated': 'Subtipo de documento preferido actualizado.',
      'workspace.settings_updated': 'Configuración de la sucursal actualizada.',
    },
  },
});

declare module '../../core/catalogue.ts' {
  interface Areas {
    workspaces: typeof workspacesCatalogue;
  }
}
