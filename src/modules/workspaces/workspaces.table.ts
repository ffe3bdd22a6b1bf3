import type { Generated, Selectable } from 'kysely';

export interface WorkspacesTable {
  id: Generated<number>;
  tenant_id: number;
  /** Opaque public id (`ws_…`): what the `/web/v1` surface will name workspaces by. */
  biz_id: string;
  name: string;
  /** The normalized name the per-tenant unique index is built on. */
  name_key: string;
  slug: string;
  logo: string | null;
  preferred_document_subtype: string | null;
  created_at: string;
  updated_at: string;
}

export type WorkspaceRow = Selectable<WorkspacesTable>;

export interface Workspace {
  id: number;
  tenantId: number;
  bizId: string;
  name: string;
  slug: string;
  logo: string | null;
  preferredDocumentSubtype: string | null;
  createdAt: string;
  updatedAt: string;
}

export function workspaceRowToWorkspace(row: WorkspaceRow): Workspace {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    bizId: row.biz_id,
    name: row.name,
    slug: row.slug,
    logo: row.logo,
    preferredDocumentSubtype: row.preferred_document_subtype,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
