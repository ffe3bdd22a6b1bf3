import type { FastifyRequest } from 'fastify';
import { MAX_STORED_ID } from '../../db/dialect.ts';
import { AppError } from '../../errors.ts';
import { BIZ_ID_PATTERN, ID_PATTERN, WORKSPACE_SLUG_PATTERN } from '../../http/schemas.ts';
import { BY_PATH_ID, type PathWorkspace, type WorkspacePolicy } from '../policy.ts';
import type { WorkspaceSource } from '../request-context.ts';
import type { Credential } from './credential.ts';

/**
 * Which workspace the one context query joins: none, a given id, `biz_id` or slug, the user's current one, or
 * a sub workspace acted as from its group's admin workspace (whose membership then counts).
 */
export type WorkspaceTarget =
  | { kind: 'none' }
  | { kind: 'current' }
  | { kind: 'id'; id: number }
  | { kind: 'biz_id'; bizId: string }
  | { kind: 'slug'; slug: string }
  | { kind: 'sub'; id: number };

/** Step 3's answer: where the workspace comes from, what the loader joins, and what the request named. */
export interface WorkspaceSelection {
  source: WorkspaceSource;
  target: WorkspaceTarget;
  /** The id the path or X-Workspace-ID named; an API key may name only its own. */
  namedId?: number;
  /** The `biz_id` or slug the path named: the workspace found must carry it (an API key's own, or the one acted as). */
  named?: { by: 'biz_id' | 'slug'; value: string };
  /** The sub workspace x-as-workspace names. */
  actingAs?: number;
}

const ACTING_AS_HEADER = 'x-as-workspace';

const ID = new RegExp(ID_PATTERN);
const BIZ_ID = new RegExp(BIZ_ID_PATTERN);
const SLUG = new RegExp(WORKSPACE_SLUG_PATTERN);

/** An id the stores cannot hold names nothing: the loader joins no workspace, and the visibility check answers 404. */
const idTarget = (id: number): WorkspaceTarget => (id > MAX_STORED_ID ? { kind: 'none' } : { kind: 'id', id });
const subTarget = (id: number): WorkspaceTarget => (id > MAX_STORED_ID ? { kind: 'none' } : { kind: 'sub', id });

/** A workspace id from a header: absent, or strictly decimal (else 400). */
function headerId(request: FastifyRequest, name: string): number | undefined {
  const value = request.headers[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !ID.test(value.trim())) throw new AppError('CONTEXT.INVALID', { header: name });
  return Number(value.trim());
}

/**
 * The path names the workspace, by id, `biz_id` or slug (a malformed one names none: 404);
 * `x-as-workspace`, when sent, must name the same one, and the request then acts as it.
 * A `biz_id` or slug is matched against the acted-as workspace only once it is loaded (admission).
 */
function fromPath(request: FastifyRequest, path: PathWorkspace): WorkspaceSelection {
  const actingAs = headerId(request, ACTING_AS_HEADER);
  const raw = (request.params as Record<string, unknown>)[path.param];
  const byName = (named: { by: 'biz_id'; value: string } | { by: 'slug'; value: string }): WorkspaceSelection => {
    const target: WorkspaceTarget = named.by === 'biz_id' ? { kind: 'biz_id', bizId: named.value } : { kind: 'slug', slug: named.value };
    if (actingAs === undefined) return { source: 'path', target, named };
    return { source: 'path', target: subTarget(actingAs), named, actingAs };
  };
  if (path.by === 'biz_id') {
    if (typeof raw !== 'string' || !BIZ_ID.test(raw)) throw new AppError('WORKSPACE.NOT_FOUND');
    return byName({ by: 'biz_id', value: raw });
  }
  if (path.by === 'id_or_slug' && typeof raw === 'string' && !ID.test(raw)) {
    if (raw.length > 48 || !SLUG.test(raw)) throw new AppError('WORKSPACE.NOT_FOUND');
    return byName({ by: 'slug', value: raw });
  }
  if (typeof raw !== 'string' || !ID.test(raw)) throw new AppError('WORKSPACE.NOT_FOUND');
  const id = Number(raw);
  if (actingAs === undefined) return { source: 'path', target: idTarget(id), namedId: id };
  if (actingAs !== id) throw new AppError('CONTEXT.CONFLICT');
  return { source: 'path', target: subTarget(id), namedId: id, actingAs };
}

/**
 * `x-as-workspace` (acting as a sub workspace) or `X-Workspace-ID`; undefined when neither is
 * sent. Both naming different workspaces is a 400.
 */
function fromHeaders(request: FastifyRequest): WorkspaceSelection | undefined {
  const viaHeader = headerId(request, 'x-workspace-id');
  const actingAs = headerId(request, ACTING_AS_HEADER);
  if (viaHeader !== undefined && actingAs !== undefined && viaHeader !== actingAs) throw new AppError('CONTEXT.CONFLICT');
  if (actingAs !== undefined) return { source: 'header', target: subTarget(actingAs), namedId: actingAs, actingAs };
  return viaHeader === undefined ? undefined : { source: 'header', target: idTarget(viaHeader), namedId: viaHeader };
}

/** Nothing named: the user's current workspace. */
const fromCurrent = (): WorkspaceSelection => ({ source: 'current', target: { kind: 'current' } });

/**
 * An API key acts in its own workspace, which the query takes from the key; what the
 * request named is checked against it. Acting as a sub workspace, the key's workspace must
 * be the sub's admin workspace, which admission checks.
 */
function ofApiKey(named: WorkspaceSelection): WorkspaceSelection {
  return { ...named, source: 'api_key', target: named.actingAs === undefined ? { kind: 'none' } : named.target };
}

/**
 * Step 3, the workspace: the policy says whether the path or the context names it; in the
 * context, headers come before the current workspace; an API key's own workspace overrides
 * the target. Routes outside a workspace select none.
 */
export function selectWorkspace(request: FastifyRequest, policy: WorkspacePolicy, credential: Credential): WorkspaceSelection {
  const named = policy.from === 'path' ? fromPath(request, policy.path ?? BY_PATH_ID) : (fromHeaders(request) ?? fromCurrent());
  return credential.kind === 'api_key' ? ofApiKey(named) : named;
}
