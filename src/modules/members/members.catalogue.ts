import { defineCatalogue } from '../../core/catalogue.ts';

/**
 * What the members area adds to the shared catalogues: its permissions, error codes and messages.
 */
export const membersCatalogue = defineCatalogue({
  area: 'members',
  permissions: {
    'members:view': { description: 'List members', grantedTo: ['admin', 'member', 'viewer'] },
    'members:manage': { description: "Change members' roles and permission overrides", grantedTo: ['admin'] },
    'members:remove': { description: 'Remove members', grantedTo: ['admin'] },
  },
  errors: {
    'MEMBER.NOT_FOUND': 404,
    'WORKSPACE.OWNER_CANNOT_LEAVE': 409,
    'WORKSPACE.NOT_A_MEMBER': 409,
    'MEMBER.IS_OWNER': 409,
    'MEMBER.ALREADY_OWNER': 409,
  },
  messages: {
    en: {
      'MEMBER.NOT_FOUND': 'No such member.',
      'WORKSPACE.OWNER_CANNOT_LEAVE': 'The owner cannot leave; transfer ownership first.',
      'WORKSPACE.NOT_A_MEMBER': 'You are not a member of this workspace.',
      'MEMBER.IS_OWNER': "The owner's membership changes only by transferring ownership.",
      'MEMBER.ALREADY_OWNER': 'This member already owns the workspace.',
      'workspace.left': 'You left the workspace.',
      'workspace.ownership_transferred': 'Ownership transferred.',
      'member.role_updated': 'Member role updated successfully.',
      'member.removed': 'Member removed from workspace.',
      'member.permissions_updated': "Member's permissions updated.",
      'member.locations_updated': "Member's location access updated.",
    },
    es: {
      'MEMBER.NOT_FOUND': 'El miembro no existe.',
      'WORKSPACE.OWNER_CANNOT_LEAVE': 'El propietario no puede salir; transfiere la propiedad primero.',
      'WORKSPACE.NOT_A_MEMBER': 'No eres miembro de esta sucursal.',
      'MEMBER.IS_OWNER': 'La membresía del propietario solo cambia transfiriendo la propiedad.',
      'MEMBER.ALREADY_OWNER': 'Este miembro ya es el propietario de la sucursal.',
      'workspace.left': 'Has salido de la sucursal.',
      'workspace.ownership_transferred': 'Propiedad transferida.',
      'member.role_updated': 'Rol del miembro actualizado correctamente.',
      'member.removed': 'Miembro eliminado de la sucursal.',
      'member.permissions_updated': 'Permisos del miembro actualizados.',
      'member.locations_updated': 'Acceso a ubicaciones del miembro actualizado.',
    },
  },
});

declare module '../../core/catalogue.ts' {
  interface Areas {
    members: typeof membersCatalogue;
  }
}
