import { defineCatalogue } from '../../core/catalogue.ts';

/** Invite codes are managed with `invitations:create`; this adds their errors and messages. */
export const inviteCodesCatalogue = defineCatalogue({
  area: 'invite-codes',
  permissions: {},
  errors: {
    'INVITE_CODE.NOT_FOUND': 404,
  },
  messages: {
    en: {
      'INVITE_CODE.NOT_FOUND': 'This invite code is not valid (it may have been rotated or disabled).',
      'invite_code.rotated': 'A new invite code is live; the old one no longer works.',
      'invite_code.disabled': 'Joining by invite code is off for this workspace.',
      'invite_code.joined': 'You joined the workspace.',
      'invite_code.already_member': 'You are already a member of this workspace.',
    },
    es: {
      'INVITE_CODE.NOT_FOUND': 'Este código de invitación no es válido (puede haber sido cambiado o desactivado).',
      'invite_code.rotated': 'Hay un nuevo código de invitación; el anterior ya no funciona.',
      'invite_code.disabled': 'Unirse con código de invitación está desactivado en esta sucursal.',
      'invite_code.joined': 'Te uniste a la sucursal.',
      'invite_code.already_member': 'Ya eres miembro de esta sucursal.',
    },
  },
});

declare module '../../core/catalogue.ts' {
  interface Areas {
    'invite-codes': typeof inviteCodesCatalogue;
  }
}
