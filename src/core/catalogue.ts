import type { SealedColumns } from './db/sealed-columns.ts';
import { SUPPORTED_LOCALES, type Locale } from './i18n/index.ts';

/**
 * The shared catalogues (workspace permissions, error codes, messages) are contributed by
 * the areas and composed by the app: the core names none of them but its own.
 *
 * An area declares its part once, as data, next to its code, and registers its type:
 *
 * @example
 * export const membersCatalogue = defineCatalogue({
 *   area: 'members',
 *   permissions: { 'members:view': { description: 'List members', grantedTo: ['admin', 'member', 'viewer'] } },
 *   errors: { 'MEMBER.NOT_FOUND': 404 },
 *   messages: {
 *     en: { 'MEMBER.NOT_FOUND': 'No such member.', 'member.removed': 'Member removed.' },
 *     es: { 'MEMBER.NOT_FOUND': 'No existe ese miembro.', 'member.removed': 'Miembro eliminado.' },
 *   },
 * });
 * declare module '../../core/catalogue.ts' {
 *   interface Areas { members: typeof membersCatalogue }
 * }
 *
 * The registration keeps the types closed: a policy naming a permission, or a throw naming
 * an error code, that no registered area declares is a compile error. At start-up
 * `composeCatalogues` merges the areas the app is built with and refuses any key declared twice.
 */

/** The built-in workspace roles every area grants its permissions to. The owner holds every permission. */
export const BUILTIN_ROLE_NAMES = ['owner', 'admin', 'member', 'viewer'] as const;
export type BuiltinRoleName = (typeof BUILTIN_ROLE_NAMES)[number];
export type GrantableRole = Exclude<BuiltinRoleName, 'owner'>;

export function isBuiltinRoleName(name: string): name is BuiltinRoleName {
  return (BUILTIN_ROLE_NAMES as readonly string[]).includes(name);
}

export interface PermissionSpec {
  description: string;
  /** The built-in roles besides the owner that hold it. */
  grantedTo: readonly GrantableRole[];
  /**
   * Never held while acting as a sub workspace (`x-as-workspace`), whatever the caller holds
   * in the admin workspace: so it can neither be used there nor granted there (through a
   * role, a role assignment or an invitation) to the sub workspace's own members.
   */
  withheldWhenActingAs?: true;
}

/** An HTTP status an error code may carry. */
export type ErrorStatus = 400 | 401 | 402 | 403 | 404 | 409 | 410 | 413 | 415 | 422 | 429 | 500 | 503;

/** A request header an area reads: browsers may send it (CORS), and a secret one never reaches a log line. */
export interface RequestHeaderSpec {
  secret: boolean;
}

export interface AreaCatalogue<P extends string, E extends string, M extends string> {
  readonly area: string;
  readonly permissions: Readonly<Record<P, PermissionSpec>>;
  /** By name, as clients spell it (`X-Portal-Access-Code`). */
  readonly requestHeaders?: Readonly<Record<string, RequestHeaderSpec>>;
  readonly errors: Readonly<Record<E, ErrorStatus>>;
  /**
   * The area's location-bound tables, each with the column naming its location: the
   * workspace-scoped kit keeps every query of them inside the caller's location access.
   */
  readonly locationBound?: Readonly<Record<string, string>>;
  /** The area's columns holding secrets sealed at rest (the OIDC client secrets of single sign-on, say): see core/db/sealed-columns.ts. */
  readonly sealedColumns?: readonly SealedColumns[];
  /** Every error code's message and the area's other messages, in every supported locale. */
  readonly messages: Readonly<Record<Locale, Readonly<Record<E | M, string>>>>;
}

/** Declares an area's part of the catalogues; the types check that every locale has every message. */
export function defineCatalogue<const P extends string = never, const E extends string = never, const M extends string = never>(catalogue: {
  area: string;
  permissions?: Record<P, PermissionSpec>;
  requestHeaders?: Record<string, RequestHeaderSpec>;
  errors?: Record<E, ErrorStatus>;
  locationBound?: Record<string, string>;
  sealedColumns?: readonly SealedColumns[];
  messages: Record<Locale, Record<NoInfer<E> | M, string>>;
}): AreaCatalogue<P, E, M> {
  return Object.freeze({
    area: catalogue.area,
    permissions: Object.freeze(catalogue.permissions ?? ({} as Record<P, PermissionSpec>)),
    ...(catalogue.requestHeaders ? { requestHeaders: Object.freeze(catalogue.requestHeaders) } : {}),
    errors: Object.freeze(catalogue.errors ?? ({} as Record<E, ErrorStatus>)),
    ...(catalogue.locationBound ? { locationBound: Object.freeze(catalogue.locationBound) } : {}),
    ...(catalogue.sealedColumns ? { sealedColumns: Object.freeze(catalogue.sealedColumns) } : {}),
    messages: Object.freeze(catalogue.messages),
  });
}

/** Filled by declaration merging, one property per area (see the example above). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- areas add its members
export interface Areas {}

export type AnyCatalogue = AreaCatalogue<string, string, string>;
type PermissionOf<C> = C extends AreaCatalogue<infer P, string, string> ? P : never;
type ErrorOf<C> = C extends AreaCatalogue<string, infer E, string> ? E : never;
type MessageOf<C> = C extends AreaCatalogue<string, infer E, infer M> ? E | M : never;

/** Every workspace permission a registered area declares. */
export type WorkspacePermission = { [A in keyof Areas]: PermissionOf<Areas[A]> }[keyof Areas];
/** Every error code a registered area declares. */
export type ErrorCode = { [A in keyof Areas]: ErrorOf<Areas[A]> }[keyof Areas];
/** Every message key (error codes included) a registered area declares. */
export type MessageKey = { [A in keyof Areas]: MessageOf<Areas[A]> }[keyof Areas];

export type MessageParams = Readonly<Record<string, string | number>>;

/** The catalogues of the areas an app is built with, merged. */
export interface Catalogue {
  /** Workspace permissions in declaration order (areas in the order given). */
  readonly permissions: ReadonlyMap<WorkspacePermission, PermissionSpec>;
  isWorkspacePermission(value: string): value is WorkspacePermission;
  /** What a built-in role holds, in catalogue order. */
  builtinRolePermissions(role: BuiltinRoleName): readonly WorkspacePermission[];
  /** Every `…:view` permission: what a tenant owner or admin sees in a workspace they are not a member of. */
  readonly readOnlyPermissions: readonly WorkspacePermission[];
  /** What nobody holds while acting as a sub workspace (`PermissionSpec.withheldWhenActingAs`). */
  readonly withheldWhenActingAs: readonly WorkspacePermission[];
  /** The request headers the areas read, by name as clients spell it. */
  readonly requestHeaders: ReadonlyMap<string, RequestHeaderSpec>;
  /** Location-bound tables and their location column (`AreaCatalogue.locationBound`). */
  readonly locationBound: ReadonlyMap<string, string>;
  /** Whether a composed area declares the code (a registered area left out of the app does not). */
  declaresError(code: string): boolean;
  statusOf(code: ErrorCode): ErrorStatus;
  translate(locale: Locale, key: MessageKey, params?: MessageParams): string;
}

export class CatalogueConflictError extends Error {
  override readonly name = 'CatalogueConflictError';
}

/** Merges areas' catalogues; a permission, error code or message declared by two areas stops start-up. */
export function composeCatalogues(areas: readonly AnyCatalogue[]): Catalogue {
  const owners = new Map<string, string>();
  const claim = (kind: string, key: string, area: string) => {
    const owner = owners.get(`${kind} ${key}`);
    if (owner !== undefined) throw new CatalogueConflictError(`${kind} ${key} is declared by both ${owner} and ${area}`);
    owners.set(`${kind} ${key}`, area);
  };
  const permissions = new Map<string, PermissionSpec>();
  const statuses = new Map<string, ErrorStatus>();
  const requestHeaders = new Map<string, RequestHeaderSpec>();
  const locationBound = new Map<string, string>();
  const messages = new Map<Locale, Map<string, string>>(SUPPORTED_LOCALES.map((locale) => [locale, new Map()]));
  for (const catalogue of areas) {
    claim('area', catalogue.area, catalogue.area);
    for (const [permission, spec] of Object.entries<PermissionSpec>(catalogue.permissions)) {
      claim('permission', permission, catalogue.area);
      permissions.set(permission, spec);
    }
    for (const [header, spec] of Object.entries(catalogue.requestHeaders ?? {})) {
      claim('request header', header.toLowerCase(), catalogue.area);
      requestHeaders.set(header, spec);
    }
    for (const [table, column] of Object.entries(catalogue.locationBound ?? {})) {
      claim('location-bound table', table, catalogue.area);
      locationBound.set(table, column);
    }
    for (const [code, status] of Object.entries<ErrorStatus>(catalogue.errors)) {
      claim('error code', code, catalogue.area);
      statuses.set(code, status);
    }
    for (const locale of SUPPORTED_LOCALES) {
      for (const [key, text] of Object.entries(catalogue.messages[locale])) {
        if (locale === SUPPORTED_LOCALES[0]) claim('message', key, catalogue.area);
        messages.get(locale)?.set(key, text);
      }
    }
  }

  const all = [...permissions.keys()] as WorkspacePermission[];
  const byRole = new Map<BuiltinRoleName, readonly WorkspacePermission[]>(
    BUILTIN_ROLE_NAMES.map((role) => [
      role,
      role === 'owner' ? all : all.filter((permission) => permissions.get(permission)?.grantedTo.includes(role)),
    ]),
  );
  return {
    permissions: permissions as ReadonlyMap<WorkspacePermission, PermissionSpec>,
    isWorkspacePermission: (value: string): value is WorkspacePermission => permissions.has(value),
    builtinRolePermissions: (role) => byRole.get(role) ?? [],
    readOnlyPermissions: all.filter((permission) => permission.endsWith(':view')),
    withheldWhenActingAs: all.filter((permission) => permissions.get(permission)?.withheldWhenActingAs === true),
    requestHeaders,
    locationBound,
    declaresError: (code) => statuses.has(code),
    statusOf: (code) => statuses.get(code) ?? 500,
    translate(locale, key, params = {}) {
      const template = messages.get(locale)?.get(key) ?? key;
      return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
    },
  };
}
