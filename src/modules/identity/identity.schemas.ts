import { Type, type Static } from '@sinclair/typebox';
import { PlainText } from '../../core/http/formats.ts';
import { EmailAddress, Nullable, Timestamp } from '../../core/http/schemas.ts';
import { TENANT_ROLES } from './identity.table.ts';
import { PATTERNS } from '../../core/http/patterns.ts';
import { SUPPORTED_LOCALES } from '../../core/i18n/index.ts';
import { EMAIL_VERIFICATION_POLICIES } from '../../schema/migrations/0023-account-life-cycle.ts';

const Password = Type.String({ minLength: 8, maxLength: 256 });
const PersonName = PlainText({ minLength: 1, maxLength: 100, pattern: PATTERNS.notBlank });
const TenantRoleSchema = Type.Union(TENANT_ROLES.map((role) => Type.Literal(role)));
const LocaleSchema = Type.Union(SUPPORTED_LOCALES.map((locale) => Type.Literal(locale)));
const AccountToken = Type.String({ minLength: 1, maxLength: 200, description: 'The token from the e-mailed link' });

export const RegisterBody = Type.Object(
  {
    name: PersonName,
    email: EmailAddress,
    password: Password,
    invitation_token: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    invite_code: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: "A workspace's invite code: the account joins it as a member" })),
  },
  { additionalProperties: false },
);
export type RegisterBody = Static<typeof RegisterBody>;

export const LoginBody = Type.Object(
  { email: EmailAddress, password: Type.String({ minLength: 1, maxLength: 256 }) },
  { additionalProperties: false },
);
export type LoginBody = Static<typeof LoginBody>;

export const RefreshBody = Type.Object(
  { refresh_token: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Absent when the token rides in the cookie (`X-Token-Transport: cookie`)' })) },
  { additionalProperties: false },
);

export const UserSummary = Type.Object(
  {
    id: Type.Integer(),
    name: Type.String(),
    email: Type.String(),
    email_verified: Type.Boolean({ description: "Whether the address's owner proved it (a link mailed to it); an invitation proves nothing" }),
    tenant_role: TenantRoleSchema,
    created_at: Timestamp,
  },
  { title: 'User' },
);

export const TenantUser = Type.Object(
  {
    ...UserSummary.properties,
    disabled: Type.Boolean(),
    mfa_enabled: Type.Boolean({ description: 'Whether a second factor (TOTP) guards their sign-in' }),
    updated_at: Timestamp,
  },
  { title: 'TenantUser' },
);
export type TenantUser = Static<typeof TenantUser>;

export const Me = Type.Object(
  {
    ...UserSummary.properties,
    tenant: Type.Object({ slug: Type.String(), name: Type.String() }),
    locale: Nullable(LocaleSchema),
    mfa_enabled: Type.Boolean(),
    current_workspace_id: Nullable(Type.Integer()),
    default_workspace_id: Nullable(Type.Integer()),
  },
  { title: 'CurrentUser' },
);

export const TokenPair = Type.Object(
  {
    user: UserSummary,
    access_token: Type.String(),
    refresh_token: Type.Optional(
      Type.String({ description: 'Absent when the request asked for it as an HttpOnly cookie (`X-Token-Transport: cookie`)' }),
    ),
    token_type: Type.Literal('Bearer'),
    expires_in: Type.Integer({ description: 'Seconds until the access token expires' }),
  },
  { title: 'TokenPair' },
);

export const UpdateTenantUserBody = Type.Object(
  { tenant_role: Type.Optional(TenantRoleSchema), disabled: Type.Optional(Type.Boolean()) },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateTenantUserBody = Static<typeof UpdateTenantUserBody>;

export const Jwks = Type.Object(
  {
    keys: Type.Array(Type.Object({}, { additionalProperties: true })),
  },
  { title: 'Jwks' },
);

export const PendingVerification = Type.Object(
  { user: UserSummary, email_verification_required: Type.Literal(true) },
  { title: 'PendingVerification', description: 'The account exists; the tenant asks for its address to be proved before it signs in' },
);

export const SecondFactorChallenge = Type.Object(
  {
    mfa_token: Type.String({ description: 'Sent back with the code to /auth/mfa/verify; good for five wrong codes' }),
    enrollment_required: Type.Boolean({ description: 'The tenant requires a second factor and the account has none: set one up with /auth/mfa/enroll first' }),
    expires_in: Type.Integer({ description: 'Seconds the challenge stays open' }),
  },
  { title: 'SecondFactorChallenge' },
);

export const SignedInWithSecondFactor = Type.Object(
  {
    ...TokenPair.properties,
    recovery_codes: Type.Optional(Type.Array(Type.String(), { description: 'When this sign-in enrolled the second factor: shown once' })),
  },
  { title: 'SignedInWithSecondFactor' },
);

const SecondFactorCode = Type.String({ minLength: 6, maxLength: 32, description: 'Six digits from the authenticator app, or a recovery code' });

export const MfaVerifyBody = Type.Object({ mfa_token: Type.String({ minLength: 1, maxLength: 200 }), code: SecondFactorCode }, { additionalProperties: false });
export const MfaTokenBody = Type.Object({ mfa_token: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false });
export const CodeBody = Type.Object({ code: SecondFactorCode }, { additionalProperties: false });

export const Enrollment = Type.Object(
  {
    secret: Type.String({ description: 'Base32, for typing into an app by hand' }),
    otpauth_uri: Type.String({ description: 'otpauth:// URI, for a QR code' }),
  },
  { title: 'TotpEnrollment' },
);

export const RecoveryCodes = Type.Object(
  { recovery_codes: Type.Array(Type.String(), { description: 'Each works once in place of a code; shown only now' }) },
  { title: 'RecoveryCodes' },
);

export const MfaStatus = Type.Object(
  { enabled: Type.Boolean(), enabled_at: Nullable(Timestamp), recovery_codes_left: Type.Integer() },
  { title: 'MfaStatus' },
);

export const EmailBody = Type.Object({ email: EmailAddress }, { additionalProperties: false });
export const TokenBody = Type.Object({ token: AccountToken }, { additionalProperties: false });
export const PasswordResetBody = Type.Object({ token: AccountToken, password: Password }, { additionalProperties: false });
export const ChangePasswordBody = Type.Object(
  { current_password: Type.String({ minLength: 1, maxLength: 256 }), new_password: Password },
  { additionalProperties: false },
);
export const ChangeEmailBody = Type.Object(
  { email: EmailAddress, current_password: Type.String({ minLength: 1, maxLength: 256 }) },
  { additionalProperties: false },
);
export const UpdateProfileBody = Type.Object(
  {
    name: Type.Optional(PersonName),
    locale: Type.Optional(Nullable(LocaleSchema)),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateProfileBody = Static<typeof UpdateProfileBody>;

export const SessionsEnded = Type.Object({ sessions_ended: Type.Integer() }, { title: 'SessionsEnded' });

export const Session = Type.Object(
  {
    id: Type.Integer(),
    current: Type.Boolean({ description: 'The session this request is made with' }),
    created_at: Timestamp,
    last_used_at: Timestamp,
    expires_at: Timestamp,
    user_agent: Nullable(Type.String()),
    ip: Nullable(Type.String()),
  },
  { title: 'Session' },
);

const EmailVerificationPolicy = Type.Union(EMAIL_VERIFICATION_POLICIES.map((policy) => Type.Literal(policy)));

export const AccountPolicy = Type.Object(
  {
    email_verification: EmailVerificationPolicy,
    mfa_required_for_admins: Type.Boolean({ description: 'Tenant owners and admins sign in with a second factor' }),
  },
  { title: 'AccountPolicy' },
);

export const UpdateAccountPolicyBody = Type.Object(
  { email_verification: Type.Optional(EmailVerificationPolicy), mfa_required_for_admins: Type.Optional(Type.Boolean()) },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateAccountPolicyBody = Static<typeof UpdateAccountPolicyBody>;
