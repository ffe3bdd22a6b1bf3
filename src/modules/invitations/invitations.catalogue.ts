import { defineCatalogue } from '../../core/catalogue.ts';

/**
 * What the invitations area adds to the shared catalogues: its permissions, error codes and messages.
 */
export const invitationsCatalogue = defineCatalogue({
  area: 'invitations',
  permissions: {
    'invitations:view': { description: 'List invitations', grantedTo: ['admin', 'viewer'] },
    'invitations:create': { description: 'Invite people and resend invitations', grantedTo: ['admin'] },
    'invitations:revoke': { description: 'Revoke invitations', grantedTo: ['admin'] },
  },
  errors: {
    'INVITATION.WRONG_ACCOUNT': 403,
    'INVITATION.NOT_FOUND': 404,
    'WORKSPACE.INVITATION_EXISTS': 409,
    'MEMBER.ALREADY_MEMBER': 409,
    'INVITATION.EXPIRED': 410,
    'INVITATION.NO_LONGER_VALID': 410,
  },
  messages: {
    en: {
      'INVITATION.WRONG_ACCOUNT': 'This invitation was sent to another e-mail address; sign in with that one.',
      'INVITATION.NOT_FOUND': 'No such invitation, or it was already answered.',
      'WORKSPACE.INVITATION_EXISTS': 'This address already has a pending invitation to the workspace.',
      'MEMBER.ALREADY_MEMBER': 'This person is already a member of the workspace.',
      'INVITATION.EXPIRED': 'This invitation has expired; ask for a new one.',
      'INVITATION.NO_LONGER_VALID': 'This invitation is no longer valid; ask for a new one.',
      'invitation.sent': 'Invitation sent successfully.',
      'invitation.resent': 'Invitation sent again.',
      'invitation.revoked': 'Invitation revoked.',
      'invitation.accepted': 'Invitation accepted. Welcome!',
      'invitation.declined': 'Invitation declined.',
    },
    es: {
      'INVITATION.WRONG_ACCOUNT': 'Esta invitación se envió a otra dirección de correo; inicia sesión con esa.',
      'INVITATION.NOT_FOUND': 'La invitación no existe o ya fue respondida.',
      'WORKSPACE.INVITATION_EXISTS': 'Esta dirección ya tiene una invitación pendiente a la sucursal.',
      'MEMBER.ALREADY_MEMBER': 'Esta persona ya es miembro de la sucursal.',
      'INVITATION.EXPIRED': 'Esta invitación ha vencido; pide una nueva.',
      'INVITATION.NO_LONGER_VALID': 'Esta invitación ya no es válida; pide una nueva.',
      'invitation.sent': '¡Invitación enviada correctamente!',
      'invitation.resent': 'Invitación enviada de nuevo.',
      'invitation.revoked': 'Invitación revocada.',
      'invitation.accepted': 'Invitación aceptada. ¡Bienvenido!',
      'invitation.declined': 'Invitación rechazada.',
    },
  },
});

declare module '../../core/catalogue.ts' {
  interface Areas {
    invitations: typeof invitationsCatalogue;
  }
}
