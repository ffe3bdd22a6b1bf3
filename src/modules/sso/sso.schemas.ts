import { Type, type Static } from '@sinclair/typebox';
import { EmailAddress, Nullable, TENANT_SLUG_PATTERN, Timestamp } from '../../core/http/schemas.ts';
import { PlainText } from '../../core/http/formats.ts';

/** A DNS name of at least two labels, each 1–63 letters, digits or inner hyphens; compared in lower case. */
const EMAIL_DOMAIN_PATTERN = '^(?=.{4,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+[A-Za-z]{2,63}$';
const EmailDomain = Type.String({ pattern: EMAIL_DOMAIN_PATTERN, description: 'An e-mail domain, e.g. `acme.com`' });
const RoleName = Type.String({ pattern: '^[a-z][a-z0-9_]*$', minLength: 1, maxLength: 50 });

export const ClaimDomainBody = Type.Object({ domain: EmailDomain }, { additionalProperties: false });

export const ConnectionBody = Type.Object(
  {
    issuer_url: Type.String({ minLength: 8, maxLength: 500, description: "The OpenID provider's issuer: `https://…` (discovery reads `/.well-known/openid-configuration` under it)" }),
    client_id: PlainText({ minLength: 1, maxLength: 255 }),
    client_secret: Type.Optional(
      Type.String({ minLength: 1, maxLength: 1000, description: 'Stored encrypted and never returned; leave it out to keep the one already stored' }),
    ),
    default_role: Type.Optional(Type.Union([RoleName], { description: 'The role a user of the domain gets on their first single sign-on (default `member`; never `owner`)' })),
  },
  { additionalProperties: false },
);
export type ConnectionBody = Static<typeof ConnectionBody>;

export const EnforcementBody = Type.Object(
  { enforced: Type.Boolean({ description: "true: the domain's users sign in only through single sign-on; their password sessions end at once" }) },
  { additionalProperties: false },
);

export const SsoSettings = Type.Object(
  {
    email_domain: Nullable(Type.String({ description: 'The claimed domain' })),
    domain_verified_at: Nullable(Timestamp),
    verification_record: Nullable(Type.String({ description: 'Where the TXT record goes: `_tessera-verification.<domain>`' })),
    issuer_url: Nullable(Type.String()),
    client_id: Nullable(Type.String()),
    client_secret_set: Type.Boolean({ description: 'Whether a client secret is stored (it is never shown)' }),
    default_role: Type.String(),
    enforced_at: Nullable(Timestamp),
    sign_in_url: Nullable(Type.String({ description: 'Where a user of the domain starts single sign-on, once a provider is connected' })),
  },
  { title: 'SsoSettings' },
);
export type SsoSettings = Static<typeof SsoSettings>;

export const DomainClaim = Type.Object(
  {
    email_domain: Type.String(),
    verification_record: Type.Object({
      type: Type.Literal('TXT'),
      name: Type.String({ description: '`_tessera-verification.<domain>`' }),
      value: Type.String({ description: 'Shown only now: publish it, then verify' }),
    }),
  },
  { title: 'SsoDomainClaim' },
);

export const StartQuery = Type.Object(
  {
    email: Type.Optional(EmailAddress),
    domain: Type.Optional(EmailDomain),
    tenant: Type.Optional(Type.String({ pattern: TENANT_SLUG_PATTERN, description: 'The tenant, for a link (else `X-Tenant` or the Host subdomain, as elsewhere)' })),
    return_to: Type.Optional(
      Type.String({
        maxLength: 500,
        pattern: '^/console(/[^\\s\\\\]*)?$',
        description:
          'A console path to send the browser back to, signed in: the callback then sets the refresh-token cookie and redirects (303) ' +
          'instead of answering the tokens. The sign-in is bound to the browser that started it by a cookie this answer sets.',
      }),
    ),
  },
  { additionalProperties: false },
);

export const CallbackQuery = Type.Object(
  {
    state: Type.Optional(Type.String({ maxLength: 200 })),
    code: Type.Optional(Type.String({ maxLength: 2000 })),
    iss: Type.Optional(Type.String({ maxLength: 500 })),
    error: Type.Optional(Type.String({ maxLength: 200 })),
    error_description: Type.Optional(Type.String({ maxLength: 1000 })),
  },
  { additionalProperties: true },
);
