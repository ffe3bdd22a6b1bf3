import { useEffect, useState } from 'preact/hooks';

/**
 * Where the console lives: `/console`, or `/console/t/<slug>` for a tenant named in the
 * address (sent as `X-Tenant`); a tenant from the host name (subdomains) needs neither.
 */
const TENANT_PREFIX = /^\/console\/t\/([a-z0-9][a-z0-9-]*)(?=\/|$)/;
const tenantMatch = TENANT_PREFIX.exec(location.pathname);

export const tenantSlug: string | undefined = tenantMatch?.[1];
export const basePath = tenantMatch ? tenantMatch[0] : '/console';

/** The console's own path of the address: `/w/3/members` for `/console/w/3/members`. */
function currentPath(): string {
  const rest = location.pathname.slice(basePath.length);
  return rest === '' ? '/' : rest;
}

const listeners = new Set<() => void>();
window.addEventListener('popstate', () => listeners.forEach((listener) => listener()));

/** Goes to a console path (`/w/3/members`), keeping the tenant prefix. */
export function navigate(path: string, options: { replace?: boolean } = {}): void {
  const url = basePath + path;
  if (options.replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  listeners.forEach((listener) => listener());
}

export const hrefOf = (path: string): string => basePath + path;

/** The current console path and query, re-rendering on every navigation. */
export function useLocation(): { path: string; query: URLSearchParams } {
  const [, setVersion] = useState(0);
  useEffect(() => {
    const listener = () => setVersion((version) => version + 1);
    listeners.add(listener);
    return () => void listeners.delete(listener);
  }, []);
  return { path: currentPath(), query: new URLSearchParams(location.search) };
}

/** `/w/:workspace/members` against `/w/3/members` → `{ workspace: '3' }`, else undefined. */
export function matchPath(pattern: string, path: string): Record<string, string> | undefined {
  const wanted = pattern.split('/');
  const actual = path.split('/');
  if (wanted.length !== actual.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, part] of wanted.entries()) {
    const value = actual[index] ?? '';
    if (part.startsWith(':')) {
      if (value === '') return undefined;
      params[part.slice(1)] = decodeURIComponent(value);
    } else if (part !== value) return undefined;
  }
  return params;
}
