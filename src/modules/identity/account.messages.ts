import type { Locale } from '../../core/i18n/index.ts';
import { composeMessage, type MailContent } from '../mail/mail.messages.ts';

/** The account e-mails: each names the tenant, says what to do, and carries at most one link. */
type AccountMail =
  | { kind: 'verify_email'; tenantName: string; link: string; hours: number }
  | { kind: 'reset_password'; tenantName: string; link: string; minutes: number }
  | { kind: 'confirm_new_email'; tenantName: string; link: string; minutes: number; newEmail: string }
  | { kind: 'email_changed'; tenantName: string; newEmail: string }
  | { kind: 'password_changed'; tenantName: string };

const copy: Record<Locale, (mail: AccountMail) => MailContent> = {
  en: (mail) => {
    switch (mail.kind) {
      case 'verify_email':
        return {
          subject: `Confirm your e-mail address for ${mail.tenantName}`,
          lines: ['Confirm that this address is yours to finish setting up your account.', `The link works once, for ${mail.hours} hours.`],
          action: { label: 'Confirm my address', link: mail.link },
        };
      case 'reset_password':
        return {
          subject: `Reset your ${mail.tenantName} password`,
          lines: [
            'Someone asked to reset the password of the account with this address. If it was not you, ignore this e-mail.',
            `The link works once, for ${mail.minutes} minutes. Setting a new password signs you out everywhere.`,
          ],
          action: { label: 'Choose a new password', link: mail.link },
        };
      case 'confirm_new_email':
        return {
          subject: `Confirm your new e-mail address for ${mail.tenantName}`,
          lines: [`Confirm that ${mail.newEmail} is the new address of your account.`, `The link works once, for ${mail.minutes} minutes.`],
          action: { label: 'Confirm the new address', link: mail.link },
        };
      case 'email_changed':
        return {
          subject: `Your ${mail.tenantName} e-mail address was changed`,
          lines: [`Your account now signs in as ${mail.newEmail}.`, 'If you did not do this, reset your password from the sign-in page at once and tell your administrator.'],
        };
      case 'password_changed':
        return {
          subject: `Your ${mail.tenantName} password was changed`,
          lines: ['The password of your account was changed, and your other sessions were ended.', 'If you did not do this, reset your password from the sign-in page at once.'],
        };
    }
  },
  es: (mail) => {
    switch (mail.kind) {
      case 'verify_email':
        return {
          subject: `Confirma tu correo en ${mail.tenantName}`,
          lines: ['Confirma que esta dirección es tuya para terminar de configurar tu cuenta.', `El enlace sirve una sola vez, durante ${mail.hours} horas.`],
          action: { label: 'Confirmar mi dirección', link: mail.link },
        };
      case 'reset_password':
        return {
          subject: `Restablece tu contraseña de ${mail.tenantName}`,
          lines: [
            'Alguien pidió restablecer la contraseña de la cuenta con esta dirección. Si no fuiste tú, ignora este correo.',
            `El enlace sirve una sola vez, durante ${mail.minutes} minutos. Al elegir una contraseña nueva se cierran todas tus sesiones.`,
          ],
          action: { label: 'Elegir una contraseña nueva', link: mail.link },
        };
      case 'confirm_new_email':
        return {
          subject: `Confirma tu nuevo correo en ${mail.tenantName}`,
          lines: [`Confirma que ${mail.newEmail} es la nueva dirección de tu cuenta.`, `El enlace sirve una sola vez, durante ${mail.minutes} minutos.`],
          action: { label: 'Confirmar la nueva dirección', link: mail.link },
        };
      case 'email_changed':
        return {
          subject: `Se cambió tu correo en ${mail.tenantName}`,
          lines: [`Tu cuenta ahora inicia sesión como ${mail.newEmail}.`, 'Si no fuiste tú, restablece tu contraseña desde la página de inicio de sesión cuanto antes y avisa a tu administrador.'],
        };
      case 'password_changed':
        return {
          subject: `Se cambió tu contraseña de ${mail.tenantName}`,
          lines: ['Se cambió la contraseña de tu cuenta y se cerraron tus otras sesiones.', 'Si no fuiste tú, restablece tu contraseña desde la página de inicio de sesión cuanto antes.'],
        };
    }
  },
};

export function accountMessage(locale: Locale, mail: AccountMail): { subject: string; text: string; html: string } {
  return composeMessage(copy[locale](mail));
}
