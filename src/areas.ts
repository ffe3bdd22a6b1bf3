import type { AnyCatalogue } from './core/catalogue.ts';
import type { SealedColumns } from './core/db/sealed-columns.ts';
import { coreCatalogue } from './core/errors.ts';
import { apiKeysCatalogue } from './modules/api-keys/api-keys.catalogue.ts';
import { auditLogCatalogue } from './modules/audit-log/audit-log.catalogue.ts';
import { groupsCatalogue } from './modules/groups/groups.catalogue.ts';
import { identityCatalogue } from './modules/identity/identity.catalogue.ts';
import { invitationsCatalogue } from './modules/invitations/invitations.catalogue.ts';
import { membersCatalogue } from './modules/members/members.catalogue.ts';
import { recordsCatalogue } from './modules/records/records.catalogue.ts';
import { rolesCatalogue } from './modules/roles/roles.catalogue.ts';
import { tenantsCatalogue } from './modules/tenants/tenants.catalogue.ts';
import { workspacesCatalogue } from './modules/workspaces/workspaces.catalogue.ts';
import { locationsCatalogue } from './modules/locations/locations.catalogue.ts';
import { plansCatalogue } from './modules/plans/plans.catalogue.ts';
import { inviteCodesCatalogue } from './modules/invite-codes/invite-codes.catalogue.ts';
import { catalogCatalogue } from './modules/catalog/catalog.catalogue.ts';
import { stockCatalogue } from './modules/stock/stock.catalogue.ts';
import { contactsCatalogue } from './modules/contacts/contacts.catalogue.ts';
import { invoicesCatalogue } from './modules/invoices/invoices.catalogue.ts';
import { quotationsCatalogue } from './modules/quotations/quotations.catalogue.ts';
import { ssoCatalogue } from './modules/sso/sso.catalogue.ts';

/**
 * The catalogues of every area Tessera is built from, in the order their permissions are
 * listed (`GET /api/v1/permissions`, built-in roles). A new area appends its own here.
 */
export const AREA_CATALOGUES: readonly AnyCatalogue[] = [
  coreCatalogue,
  tenantsCatalogue,
  identityCatalogue,
  workspacesCatalogue,
  membersCatalogue,
  invitationsCatalogue,
  rolesCatalogue,
  apiKeysCatalogue,
  auditLogCatalogue,
  groupsCatalogue,
  recordsCatalogue,
  plansCatalogue,
  locationsCatalogue,
  inviteCodesCatalogue,
  catalogCatalogue,
  stockCatalogue,
  contactsCatalogue,
  invoicesCatalogue,
  quotationsCatalogue,
  ssoCatalogue,
];

/** Every area's columns sealed at rest: sealed on start where found in clear, sealed again by `tessera secrets rotate`. */
export const SEALED_COLUMNS: readonly SealedColumns[] = AREA_CATALOGUES.flatMap((catalogue) => catalogue.sealedColumns ?? []);
