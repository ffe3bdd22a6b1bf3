import type { Locale } from '../i18n/index.ts';
import type { TenantRoleName } from './permissions.ts';

/** The tenant a request was resolved to, as far as the HTTP layer needs it. */
export interface TenantContext {
  id: number;
  slug: string;
  name: string;
  defaultLocale: Locale;
  disabled: boolean;
}

export interface UserActor {
  kind: 'user';
  userId: number;
  sessionId: number;
  tenantRole: TenantRoleName;
}

/** Resolved once per request by the resolve-context hook; services receive it first. */
export interface RequestContext {
  tenant: TenantContext;
  actor: UserActor | null;
  locale: Locale;
}

/** A context whose actor is known to be a signed-in user. */
export interface UserContext extends RequestContext {
  actor: UserActor;
}
