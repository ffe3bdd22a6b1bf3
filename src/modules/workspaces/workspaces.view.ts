import type { WorkspaceListing } from './workspaces.repository.ts';
import type { Workspace } from './workspaces.schemas.ts';

/** A workspace as the list shows it to `callerId`. */
export function toWorkspace(listing: WorkspaceListing, callerId: number): Workspace {
  return {
    id: listing.id,
    biz_id: listing.bizId,
    name: listing.name,
    slug: listing.slug,
    logo: listing.logo,
    owner_id: listing.owner?.id ?? null,
    owner: listing.owner,
    is_owner: listing.owner?.id === callerId,
    role: listing.callerRole,
    preferred_document_subtype: listing.preferredDocumentSubtype,
    ...(listing.memberCount === undefined ? {} : { member_count: listing.memberCount }),
    created_at: listing.createdAt,
    updated_at: listing.updatedAt,
  };
}
