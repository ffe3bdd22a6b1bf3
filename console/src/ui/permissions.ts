import { api, ApiError, call, type Schemas } from '../api.ts';
import { defineText } from '../i18n.ts';
import { useLoad, type Loaded } from './hooks.ts';
import './permissions.css';

export type PermissionEntry = Schemas['Permission'];

/** The workspace permissions of one resource (`invoices` for `invoices:void`), in the catalogue's order. */
export interface PermissionGroup {
  resource: string;
  permissions: PermissionEntry[];
}

export interface PermissionCatalogue {
  /** Every permission a role, an override or a key can name (the workspace's, not the tenant's). */
  entries: PermissionEntry[];
  groups: PermissionGroup[];
  describe: (permission: string) => string | undefined;
}

export const resourceOf = (permission: string): string => permission.split(':')[0] ?? permission;

/** A set of chosen permissions with one ticked or unticked: a new set, for a state update. */
export function toggled(chosen: ReadonlySet<string>, permission: string, on: boolean): Set<string> {
  const next = new Set(chosen);
  if (on) next.add(permission);
  else next.delete(permission);
  return next;
}

/** `GET /api/v1/permissions`, the workspace permissions grouped by resource. */
export function usePermissionCatalogue(): Loaded<PermissionCatalogue> {
  return useLoad(async () => {
    const entries = (await call(api.GET('/api/v1/permissions'))).data.filter((entry) => entry.scope === 'workspace');
    const groups = new Map<string, PermissionEntry[]>();
    for (const entry of entries) groups.set(resourceOf(entry.id), [...(groups.get(resourceOf(entry.id)) ?? []), entry]);
    const descriptions = new Map(entries.map((entry) => [entry.id, entry.description]));
    return {
      entries,
      groups: [...groups].map(([resource, permissions]) => ({ resource, permissions })),
      describe: (permission: string) => descriptions.get(permission),
    };
  }, []);
}

/** An id for an element about a permission (`perm-invoices-void`): no colon, so CSS selectors need no escaping. */
export const permissionDomId = (prefix: string, permission: string): string => `${prefix}-${permission.replace(/[^a-z0-9_-]/gi, '-')}`;

const refusalText = defineText(
  {
    missing: (permission: string, description: string | undefined) =>
      `You lack the permission ${permission}${description ? ` (${description})` : ''}.`,
    reason: (reason: string): string =>
      ({
        cannot_change_own_role: 'Nobody changes their own role.',
        cannot_change_own_permissions: 'Nobody changes their own permissions.',
        cannot_change_own_locations: 'Nobody changes their own location access.',
        location_outside_your_access: 'You work at some locations only: you can only narrow a member already restricted, within your own locations.',
      } as Record<string, string | undefined>)[reason] ?? '',
  },
  {
    missing: (permission: string, description: string | undefined) =>
      `Te falta el permiso ${permission}${description ? ` (${description})` : ''}.`,
    reason: (reason: string): string =>
      ({
        cannot_change_own_role: 'Nadie cambia su propio rol.',
        cannot_change_own_permissions: 'Nadie cambia sus propios permisos.',
        cannot_change_own_locations: 'Nadie cambia su propio acceso a ubicaciones.',
        location_outside_your_access: 'Trabajas solo en algunas ubicaciones: solo puedes reducir las de un miembro ya restringido, dentro de las tuyas.',
      } as Record<string, string | undefined>)[reason] ?? '',
  },
);

/**
 * The API's refusal, its message completed with what the details name: a 403's missing
 * `permission` (with its description) or its `reason`, and any hint the screen adds for the code.
 */
export async function explainedRefusal<T>(pending: Promise<T>, describe?: (permission: string) => string | undefined, hints: Record<string, string> = {}): Promise<T> {
  try {
    return await pending;
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    const text = refusalText();
    const { permission, reason } = error.details;
    const more = [
      typeof permission === 'string' ? text.missing(permission, describe?.(permission)) : undefined,
      typeof reason === 'string' ? text.reason(reason) : undefined,
      hints[error.code],
    ].filter((part): part is string => Boolean(part));
    if (more.length === 0) throw error;
    throw new ApiError(error.status, error.code, [error.message, ...more].join(' '), error.details);
  }
}
