import { defineCatalogue } from '../../core/catalogue.ts';

/**
 * What the roles area adds to the shared catalogues: its permissions, error codes and messages.
 */
export const rolesCatalogue = defineCatalogue({
  area: 'roles',
  permissions: {
    'roles:view': { description: 'List roles', grantedTo: ['admin', 'member', 'viewer'] },
    'roles:manage': { description: 'Create, change and delete custom roles', grantedTo: ['admin'] },
  },
  errors: {
    'ROLE.NOT_FOUND': 404,
    'WORKSPACE.ROLE_NAME_EXISTS': 409,
    'ROLE.BUILTIN': 409,
    'ROLE.IN_USE': 409,
    'ROLE.OWNER_BY_TRANSFER': 409,
  },
  messages: {
    en: {
      'ROLE.NOT_FOUND': 'No such role.',
      'WORKSPACE.ROLE_NAME_EXISTS': 'A role with this name already exists in the workspace.',
      'ROLE.BUILTIN': 'Built-in roles cannot be changed or deleted.',
      'ROLE.IN_USE': 'Members hold this role; give reassign_to to move them to another role.',
      'ROLE.OWNER_BY_TRANSFER': 'Ownership moves only by transferring it.',
      'role.created': 'Role created successfully.',
      'role.updated': 'Role updated successfully.',
      'role.deleted': 'Role deleted.',
    },
    es: {
      'ROLE.NOT_FOUND': 'El rol no existe.',
      'WORKSPACE.ROLE_NAME_EXISTS': 'Ya existe un rol con este nombre en la sucursal.',
      'ROLE.BUILTIN': 'Los roles integrados no se pueden cambiar ni eliminar.',
      'ROLE.IN_USE': 'Hay miembros con este rol; indica reassign_to para moverlos a otro rol.',
      'ROLE.OWNER_BY_TRANSFER': 'La propiedad solo cambia mediante una transferencia.',
      'role.created': 'Rol creado correctamente.',
      'role.updated': 'Rol actualizado correctamente.',
      'role.deleted': 'Rol eliminado.',
    },
  },
});

declare module '../../core/catalogue.ts' {
  interface Areas {
    roles: typeof rolesCatalogue;
  }
}
