import type { Locale } from '../../core/i18n/index.ts';
import { composeMessage } from '../mail/mail.messages.ts';

interface GroupInvitationMail {
  adminWorkspaceName: string;
  subWorkspaceName: string;
  invitationId: number;
  expiresAt: string;
  /** The invitation's API address: the owner answers with POST …/accept or …/decline, until the console shows it. */
  apiBase: string;
  tenant: string;
}

const copy: Record<Locale, (mail: GroupInvitationMail) => { subject: string; lines: string[] }> = {
  en: (mail) => ({
    subject: `${mail.adminWorkspaceName} invites ${mail.subWorkspaceName} to its workspace group`,
    lines: [
      `${mail.adminWorkspaceName} invited your workspace ${mail.subWorkspaceName} to become one of its sub workspaces.`,
      `If you accept, the owners, admins and API keys of ${mail.adminWorkspaceName} can act in ${mail.subWorkspaceName} with the permissions they hold in ${mail.adminWorkspaceName}, until either side ends the link.`,
      'Nothing is shared until you accept. Only you, as the owner, can accept or decline.',
      `Invitation ${mail.invitationId} expires on ${mail.expiresAt.slice(0, 10)}. To answer it, sign in and send POST ${mail.apiBase}/accept (or /decline) with X-Workspace-ID set to your workspace and X-Tenant: ${mail.tenant}.`,
    ],
  }),
  es: (mail) => ({
    subject: `${mail.adminWorkspaceName} invita a ${mail.subWorkspaceName} a su grupo de sucursales`,
    lines: [
      `${mail.adminWorkspaceName} invitó a tu sucursal ${mail.subWorkspaceName} a ser una de sus sucursales subordinadas.`,
      `Si aceptas, los propietarios, administradores y claves de API de ${mail.adminWorkspaceName} podrán actuar en ${mail.subWorkspaceName} con los permisos que tienen en ${mail.adminWorkspaceName}, hasta que alguna de las dos partes termine el vínculo.`,
      'No se comparte nada hasta que aceptes. Solo tú, como propietario, puedes aceptar o rechazar.',
      `La invitación ${mail.invitationId} vence el ${mail.expiresAt.slice(0, 10)}. Para responderla, inicia sesión y envía POST ${mail.apiBase}/accept (o /decline) con X-Workspace-ID igual a tu sucursal y X-Tenant: ${mail.tenant}.`,
    ],
  }),
};

/** The e-mail to a sub workspace's owner, in plain text and HTML. */
export function groupInvitationMessage(locale: Locale, mail: GroupInvitationMail): { subject: string; text: string; html: string } {
  return composeMessage(copy[locale](mail));
}
