import { randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import { digestToken } from '../../core/auth/secrets.ts';

/**
 * RFC 6238 codes through `otpauth`: SHA-1, six digits, 30-second steps, as every
 * authenticator app reads them. A code is accepted one step either side of the server's
 * clock (a phone a little fast or slow), never two.
 */
const PERIOD_SECONDS = 30;
const DIGITS = 6;
const ACCEPTED_SKEW_STEPS = 1;
export const RECOVERY_CODE_COUNT = 10;

function totpOf(secretBase32: string, label = '', issuer = 'Tessera'): TOTP {
  return new TOTP({ issuer, label, algorithm: 'SHA1', digits: DIGITS, period: PERIOD_SECONDS, secret: Secret.fromBase32(secretBase32) });
}

/** A new secret of 160 bits (RFC 4226's recommended length), base32 as apps take it. */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

/** The `otpauth://` URI an app scans as a QR code: the tenant names the issuer, the e-mail the account. */
export function otpauthUri(secretBase32: string, account: { issuer: string; email: string }): string {
  return totpOf(secretBase32, account.email, account.issuer).toString();
}

/** The time step a code is good for at `now`, or undefined when it matches none within the skew. */
export function matchingStep(secretBase32: string, code: string, now: Date): number | undefined {
  if (!/^\d{6}$/.test(code)) return undefined;
  const totp = totpOf(secretBase32);
  const delta = totp.validate({ token: code, timestamp: now.getTime(), window: ACCEPTED_SKEW_STEPS });
  return delta === null ? undefined : totp.counter({ timestamp: now.getTime() }) + delta;
}

/** What a person types for a recovery code, in the one form it is stored under. */
function normalizeRecoveryCode(code: string): string {
  return code.toLowerCase().replace(/[^a-z0-9]/g, '');
}

export function digestRecoveryCode(code: string): string {
  return digestToken(`recovery:${normalizeRecoveryCode(code)}`);
}

/** Ten codes of 60 random bits each, written `xxxxx-xxxxx-xx` in lower-case base32. */
export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const text = new Secret({ buffer: new Uint8Array(randomBytes(8)).buffer }).base32.toLowerCase().slice(0, 12);
    return `${text.slice(0, 5)}-${text.slice(5, 10)}-${text.slice(10)}`;
  });
}

/** A TOTP code (six digits) or else a recovery code: what a person may type as their second factor. */
export function isTotpCode(code: string): boolean {
  return /^\d{6}$/.test(code.trim());
}
