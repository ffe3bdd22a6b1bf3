import { digestToken, randomToken } from '../../core/auth/secrets.ts';
import { isLocale, type Locale } from '../../core/i18n/index.ts';
import type { Tx } from '../../schema/database.ts';
import { cancelUnsent, enqueueMessage } from '../mail/mail.service.ts';
import * as accounts from './account.repository.ts';
import { accountMessage } from './account.messages.ts';
import type { AccountTokenPurpose } from './identity.table.ts';

/** Where the account e-mails' links lead: the page Tessera serves (account.page.ts). */
export const ACCOUNT_PAGE_PATH = '/account';

/** How long each mailed token works. */
export const TOKEN_LIFETIME_SECONDS = {
  verify_email: 24 * 3600,
  reset_password: 30 * 60,
  change_email: 60 * 60,
} as const satisfies Partial<Record<AccountTokenPurpose, number>>;
type MailedPurpose = keyof typeof TOKEN_LIFETIME_SECONDS;

/** The fragment key the page reads for each purpose: the token never reaches a server log. */
const LINK_ACTION: Record<MailedPurpose, string> = { verify_email: 'verify', reset_password: 'reset', change_email: 'email' };

export interface MailedAccount {
  tenant: { id: number; slug: string; name: string; defaultLocale: string };
  user: { id: number; locale: string | null };
}

export function mailLocaleOf(account: MailedAccount): Locale {
  const chosen = account.user.locale ?? account.tenant.defaultLocale;
  return isLocale(chosen) ? chosen : 'en';
}

/**
 * A transaction step: a new single-use token of the purpose for the user (their older unused
 * ones of it are retired), mailed to `recipient` through the outbox with a link to the page.
 */
export async function mailAccountToken(
  tx: Tx,
  account: MailedAccount,
  request: { purpose: MailedPurpose; recipient: string; publicUrl: string; now: Date },
): Promise<void> {
  const { purpose, recipient, now } = request;
  const token = randomToken(`${LINK_ACTION[purpose]}_`);
  const lifetime = TOKEN_LIFETIME_SECONDS[purpose];
  const expiresAt = new Date(now.getTime() + lifetime * 1000).toISOString();
  const nowIso = now.toISOString();
  await accounts.retireAccountTokens(tx, account.user.id, [purpose], nowIso);
  await accounts.insertAccountToken(tx, {
    tenantId: account.tenant.id,
    userId: account.user.id,
    purpose,
    tokenHash: digestToken(token),
    email: recipient,
    now: nowIso,
    expiresAt,
  });
  const link = `${request.publicUrl}${ACCOUNT_PAGE_PATH}?tenant=${encodeURIComponent(account.tenant.slug)}#${LINK_ACTION[purpose]}=${encodeURIComponent(token)}`;
  const tenantName = account.tenant.name;
  const content =
    purpose === 'verify_email'
      ? accountMessage(mailLocaleOf(account), { kind: 'verify_email', tenantName, link, hours: lifetime / 3600 })
      : purpose === 'reset_password'
        ? accountMessage(mailLocaleOf(account), { kind: 'reset_password', tenantName, link, minutes: lifetime / 60 })
        : accountMessage(mailLocaleOf(account), { kind: 'confirm_new_email', tenantName, link, minutes: lifetime / 60, newEmail: recipient });
  // The older link was just retired: its mail, if still unsent, must not go out.
  const reference = `user:${account.user.id}:${purpose}`;
  await cancelUnsent(tx, reference);
  await enqueueMessage(
    tx,
    { tenantId: account.tenant.id, kind: `account.${purpose}`, reference, recipient, expiresAt, ...content },
    nowIso,
  );
}

/** A person asking again for a verification link, or signing in without one followed, gets at most one a minute. */
const VERIFICATION_MAIL_SPACING_MS = 60_000;

/** A transaction step: a new verification link, unless the account was sent one within the last minute. */
export async function mailVerificationSpaced(tx: Tx, account: MailedAccount, request: { recipient: string; publicUrl: string; now: Date }): Promise<void> {
  const newest = await accounts.newestAccountTokenAt(tx, account.user.id, 'verify_email');
  if (newest !== undefined && request.now.getTime() - Date.parse(newest) < VERIFICATION_MAIL_SPACING_MS) return;
  await mailAccountToken(tx, account, { purpose: 'verify_email', ...request });
}

/** A transaction step: tells the user something changed on their account (no link, no token). */
export async function mailAccountNotice(
  tx: Tx,
  account: MailedAccount,
  notice: { kind: 'email_changed'; newEmail: string; recipient: string } | { kind: 'password_changed'; recipient: string },
  now: string,
): Promise<void> {
  const tenantName = account.tenant.name;
  const content =
    notice.kind === 'email_changed'
      ? accountMessage(mailLocaleOf(account), { kind: 'email_changed', tenantName, newEmail: notice.newEmail })
      : accountMessage(mailLocaleOf(account), { kind: 'password_changed', tenantName });
  await enqueueMessage(
    tx,
    { tenantId: account.tenant.id, kind: `account.${notice.kind}`, reference: `user:${account.user.id}:${notice.kind}`, recipient: notice.recipient, ...content },
    now,
  );
}
