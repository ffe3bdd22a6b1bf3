/**
 * The error catalogue: each `DOMAIN.REASON` code fixes its HTTP status in one place,
 * and its message comes from the i18n catalogues under the same key.
 */
export const ERROR_STATUS = {
  'REQUEST.MALFORMED': 400,
  'CONTEXT.CONFLICT': 400,
  'CONTEXT.INVALID': 400,
  'AUTH.UNAUTHENTICATED': 401,
  'AUTH.INVALID_TOKEN': 401,
  'AUTH.TOKEN_EXPIRED': 401,
  'AUTH.INVALID_CREDENTIALS': 401,
  'AUTH.FORBIDDEN': 403,
  'AUTH.SIGNUP_DISABLED': 403,
  'TENANT.DISABLED': 403,
  'ROUTE.NOT_FOUND': 404,
  'TENANT.NOT_FOUND': 404,
  'USER.NOT_FOUND': 404,
  'WORKSPACE.NOT_FOUND': 404,
  'MEMBER.NOT_FOUND': 404,
  'ROLE.NOT_FOUND': 404,
  'API_KEY.NOT_FOUND': 404,
  'CONTEXT.REQUIRED': 409,
  'WORKSPACE.NAME_TAKEN': 409,
  'WORKSPACE.SLUG_TAKEN': 409,
  'WORKSPACE.OWNER_CANNOT_LEAVE': 409,
  'WORKSPACE.NOT_A_MEMBER': 409,
  'MEMBER.IS_OWNER': 409,
  'MEMBER.ALREADY_OWNER': 409,
  'WORKSPACE.ROLE_NAME_EXISTS': 409,
  'ROLE.BUILTIN': 409,
  'ROLE.IN_USE': 409,
  'ROLE.OWNER_BY_TRANSFER': 409,
  'WORKSPACE.ALREADY_OWNS_WORKSPACE': 409,
  'IDENTITY.EMAIL_TAKEN': 409,
  'TENANT.SLUG_TAKEN': 409,
  'TENANT.LAST_OWNER': 409,
  'INVITATION.WRONG_ACCOUNT': 403,
  'INVITATION.NOT_FOUND': 404,
  'WORKSPACE.INVITATION_EXISTS': 409,
  'MEMBER.ALREADY_MEMBER': 409,
  'INVITATION.EXPIRED': 410,
  'INVITATION.NO_LONGER_VALID': 410,
  'REQUEST.BODY_TOO_LARGE': 413,
  'REQUEST.UNSUPPORTED_MEDIA_TYPE': 415,
  'VALIDATION.FAILED': 422,
  'AUTH.RATE_LIMITED': 429,
  'INTERNAL.ERROR': 500,
  'STORAGE.BUSY': 503,
  'STORAGE.UNAVAILABLE': 503,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** Seed 003's clients read a numeric code for bad or expired JWTs. */
const LEGACY_CODES: Partial<Record<ErrorCode, number>> = {
  'AUTH.INVALID_TOKEN': 4010,
  'AUTH.TOKEN_EXPIRED': 4010,
};

export type ErrorDetails = Record<string, unknown>;

export class AppError extends Error {
  override readonly name = 'AppError';
  readonly status: number;
  readonly legacyCode: number | undefined;

  constructor(
    readonly code: ErrorCode,
    readonly details: ErrorDetails = {},
    /** Values interpolated into the localized message; never shown as-is to another tenant. */
    readonly messageParams: Record<string, string | number> = {},
  ) {
    super(code);
    this.status = ERROR_STATUS[code];
    this.legacyCode = LEGACY_CODES[code];
  }
}
