import type { Locale } from '../../core/i18n/index.ts';
import { composeMessage } from '../mail/mail.messages.ts';

interface InvitationMail {
  workspaceName: string;
  inviterName: string;
  role: string;
  link: string;
  expiresAt: string;
}

const copy: Record<Locale, (mail: InvitationMail) => { subject: string; lines: string[]; action: string }> = {
  en: (mail) => ({
    subject: `You're invited to join ${mail.workspaceName}`,
    lines: [
      `${mail.inviterName} invited you to join ${mail.workspaceName} as ${mail.role}.`,
      `The invitation expires on ${mail.expiresAt.slice(0, 10)}.`,
    ],
    action: 'Accept the invitation',
  }),
  es: (mail) => ({
    subject: `Te han invitado a unirte a ${mail.workspaceName}`,
    lines: [
      `${mail.inviterName} te ha invitado a unirte a ${mail.workspaceName} con el rol ${mail.role}.`,
      `La invitación vence el ${mail.expiresAt.slice(0, 10)}.`,
    ],
    action: 'Aceptar la invitación',
  }),
};

/** The invitation e-mail in plain text and HTML, in the inviter's language. */
export function invitationMessage(locale: Locale, mail: InvitationMail): { subject: string; text: string; html: string } {
  const { subject, lines, action } = copy[locale](mail);
  return composeMessage({ subject, lines, action: { label: action, link: mail.link } });
}
