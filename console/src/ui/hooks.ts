import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../api.ts';

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/** Loads once per change of `deps`; a late answer for earlier deps is dropped. */
export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [version, setVersion] = useState(0);
  useEffect(() => {
    let current = true;
    setState((previous) => ({ ...previous, loading: true }));
    load().then(
      (data) => current && setState({ data, loading: false }),
      (error: unknown) => current && setState({ error, loading: false }),
    );
    return () => {
      current = false;
    };
  }, [...deps, version]);
  const reload = useCallback(() => setVersion((v) => v + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

export interface Page<T> {
  data: T[];
  meta: { next_cursor: string | null };
}

export interface Paged<T> {
  rows: T[];
  error: unknown;
  loading: boolean;
  hasNext: boolean;
  hasPrevious: boolean;
  next: () => void;
  previous: () => void;
  reload: () => void;
}

/** A keyset-paginated list: the cursors already walked are kept so "previous" goes back. */
export function usePaged<T>(loadPage: (cursor: string | undefined) => Promise<Page<T>>, deps: readonly unknown[]): Paged<T> {
  const [cursors, setCursors] = useState<Array<string | undefined>>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const depsKey = JSON.stringify(deps);
  const seenKey = useRef(depsKey);
  if (seenKey.current !== depsKey) {
    seenKey.current = depsKey;
    if (cursors.length > 1) setCursors([undefined]);
  }
  const page = useLoad(() => loadPage(cursor), [depsKey, cursor]);
  const nextCursor = page.data?.meta.next_cursor ?? null;
  return {
    rows: page.data?.data ?? [],
    error: page.error,
    loading: page.loading,
    hasNext: nextCursor !== null,
    hasPrevious: cursors.length > 1,
    next: () => nextCursor !== null && setCursors((walked) => [...walked, nextCursor]),
    previous: () => setCursors((walked) => (walked.length > 1 ? walked.slice(0, -1) : walked)),
    reload: page.reload,
  };
}

export interface Action {
  busy: boolean;
  error: unknown;
  notice: string | undefined;
  /** Runs the action; its error or the success notice is shown by <ActionStatus>. Resolves true when it succeeded. */
  run: (work: () => Promise<unknown>, success?: string) => Promise<boolean>;
  clear: () => void;
}

export function useAction(): Action {
  const [state, setState] = useState<{ busy: boolean; error?: unknown; notice?: string }>({ busy: false });
  const run = useCallback(async (work: () => Promise<unknown>, success?: string) => {
    setState({ busy: true });
    try {
      await work();
      setState({ busy: false, ...(success !== undefined && { notice: success }) });
      return true;
    } catch (error) {
      setState({ busy: false, error });
      return false;
    }
  }, []);
  return { busy: state.busy, error: state.error, notice: state.notice, run, clear: () => setState({ busy: false }) };
}

/** The per-field problems of a 422, keyed by field name. */
export function fieldErrors(error: unknown): Record<string, string> {
  if (!(error instanceof ApiError) || error.code !== 'VALIDATION.FAILED') return {};
  return Object.fromEntries(Object.entries(error.details).map(([field, problem]) => [field.replace(/^(body|query)\./, ''), String(problem)]));
}

/** Reads a submitted form's named fields as strings. */
export function formValues(event: Event): Record<string, string> {
  event.preventDefault();
  const form = event.currentTarget as HTMLFormElement;
  return Object.fromEntries([...new FormData(form).entries()].map(([key, value]) => [key, typeof value === 'string' ? value : value.name]));
}
