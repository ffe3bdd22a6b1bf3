import { defineCatalogue } from '../../core/catalogue.ts';

/**
 * Workspace groups (seed 004): an admin workspace acting for its sub workspaces. The admin
 * side's owners and admins invite and remove; only a sub workspace's owner joins or leaves
 * (`groups:join`, besides, is checked against the owner's role: an owner's API key needs it
 * as a scope, and no custom role makes anyone else the owner). Neither group permission is
 * held while acting as a sub workspace: the group is the sub owner's decision, made as itself.
 */
export const groupsCatalogue = defineCatalogue({
  area: 'groups',
  permissions: {
    'groups:view': { description: "See the workspace's group: its sub workspaces or its admin workspace, and group invitations", grantedTo: ['admin'] },
    'groups:manage': { description: 'Invite and remove sub workspaces', grantedTo: ['admin'], withheldWhenActingAs: true },
    'groups:join': {
      description: "Accept or decline a group's invitation, and leave the group (the owner only; an owner's API key needs it as a scope)",
      grantedTo: [],
      withheldWhenActingAs: true,
    },
  },
  errors: {
    'GROUP.SELF_INVITATION': 409,
    'GROUP.ALREADY_LINKED': 409,
    'GROUP.ALREADY_IN_GROUP': 409,
    'GROUP.ADMIN_AND_SUB': 409,
    'GROUP.INVITATION_EXISTS': 409,
    'GROUP.INVITATION_NOT_FOUND': 404,
    'GROUP.INVITATION_EXPIRED': 410,
    'GROUP.INVITATION_NO_LONGER_VALID': 410,
    'GROUP.MEMBER_NOT_FOUND': 404,
  },
  messages: {
    en: {
      'GROUP.SELF_INVITATION': 'A workspace cannot invite itself.',
      'GROUP.ALREADY_LINKED': 'This workspace is already a sub workspace of this group.',
      'GROUP.ALREADY_IN_GROUP': 'This workspace already belongs to a workspace group; it must leave it first.',
      'GROUP.ADMIN_AND_SUB': 'A workspace cannot be an admin workspace and a sub workspace at the same time.',
      'GROUP.INVITATION_EXISTS': 'This workspace already has a pending invitation from this group.',
      'GROUP.INVITATION_NOT_FOUND': 'No such workspace group invitation.',
      'GROUP.INVITATION_EXPIRED': 'This workspace group invitation has expired; ask for a new one.',
      'GROUP.INVITATION_NO_LONGER_VALID': 'This workspace group invitation was already answered or cancelled.',
      'GROUP.MEMBER_NOT_FOUND': 'No such workspace group member.',
      'group.invited': 'Invitation sent to the workspace owner.',
      'group.invitation_accepted': 'Your workspace joined the workspace group.',
      'group.invitation_declined': 'Workspace group invitation declined.',
      'group.invitation_cancelled': 'Workspace group invitation cancelled.',
      'group.sub_removed': 'Sub workspace removed from the group.',
      'group.left': 'Your workspace left the workspace group.',
    },
    es: {
      'GROUP.SELF_INVITATION': 'Una sucursal no puede invitarse a sí misma.',
      'GROUP.ALREADY_LINKED': 'Esta sucursal ya es subordinada de este grupo.',
      'GROUP.ALREADY_IN_GROUP': 'Esta sucursal ya pertenece a un grupo de sucursales; primero debe salir de él.',
      'GROUP.ADMIN_AND_SUB': 'Una sucursal no puede ser administradora y subordinada a la vez.',
      'GROUP.INVITATION_EXISTS': 'Esta sucursal ya tiene una invitación pendiente de este grupo.',
      'GROUP.INVITATION_NOT_FOUND': 'No existe esa invitación de grupo.',
      'GROUP.INVITATION_EXPIRED': 'Esta invitación de grupo ha vencido; pide una nueva.',
      'GROUP.INVITATION_NO_LONGER_VALID': 'Esta invitación de grupo ya fue respondida o cancelada.',
      'GROUP.MEMBER_NOT_FOUND': 'No existe ese miembro del grupo de sucursales.',
      'group.invited': 'Invitación enviada al propietario de la sucursal.',
      'group.invitation_accepted': 'Tu sucursal se unió al grupo de sucursales.',
      'group.invitation_declined': 'Invitación de grupo rechazada.',
      'group.invitation_cancelled': 'Invitación de grupo cancelada.',
      'group.sub_removed': 'Sucursal subordinada retirada del grupo.',
      'group.left': 'Tu sucursal salió del grupo de sucursales.',
    },
  },
});

declare module '../../core/catalogue.ts' {
  interface Areas {
    groups: typeof groupsCatalogue;
  }
}
