import { createTesseraClient, type Schemas } from '../../client/index.ts';
import { baseHeaders, session } from './session.ts';

export type { Schemas };

/** A refusal from the API: its `DOMAIN.REASON` code, its message in the console's language, and per-field details. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** The workspace this tab works in (its address names it), sent as `X-Workspace-ID`. */
let tabWorkspaceId: number | undefined;
export function setTabWorkspace(id: number | undefined): void {
  tabWorkspaceId = id;
}

/**
 * Every API call of the console goes through here: it adds the access token (refreshed when
 * about to expire), the tenant, the language and this tab's workspace, and on a 401 tries one
 * refresh before the session is given up.
 */
async function sessionFetch(request: Request): Promise<Response> {
  const send = async () => {
    const headers = new Headers(request.headers);
    for (const [name, value] of Object.entries(baseHeaders())) headers.set(name, value);
    const token = await session.token();
    if (token !== undefined) headers.set('Authorization', `Bearer ${token}`);
    if (tabWorkspaceId !== undefined && !headers.has('X-Workspace-ID')) headers.set('X-Workspace-ID', String(tabWorkspaceId));
    return fetch(new Request(request.clone(), { headers }));
  };
  const response = await send();
  if (response.status !== 401 || !session.signedIn) return response;
  return (await session.refresh()) ? send() : response;
}

export const api = createTesseraClient(location.origin, { fetch: sessionFetch });

interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The answer's body, or an ApiError carrying the API's code and localized message. */
export async function call<T>(pending: Promise<Answer<T>>): Promise<T> {
  const { data, error, response } = await pending;
  if (response.ok) return data as T;
  const body = (error ?? {}) as { error?: { code?: string; message?: string; details?: Record<string, unknown> } };
  throw new ApiError(response.status, body.error?.code ?? `HTTP.${response.status}`, body.error?.message ?? response.statusText, body.error?.details ?? {});
}
