import type { Kysely, Transaction } from 'kysely';
import { openKysely, type DatabaseOptions } from '../core/db/open.ts';
import type { TenantsTable } from '../modules/tenants/tenants.table.ts';
import type { AccountTokensTable, RecoveryCodesTable, RefreshTokensTable, SessionsTable, SigningKeysTable, UsersTable } from '../modules/identity/identity.table.ts';
import type { WorkspacesTable } from '../modules/workspaces/workspaces.table.ts';
import type { MemberLocationRestrictionsTable, MemberLocationsTable, MemberPermissionOverridesTable, MembershipsTable } from '../modules/members/members.table.ts';
import type { RolePermissionsTable, RolesTable } from '../modules/roles/roles.table.ts';
import type { ApiKeyScopesTable, ApiKeysTable } from '../modules/api-keys/api-keys.table.ts';
import type { AuditEventLocationsTable, AuditEventsTable } from '../modules/audit-log/audit-log.table.ts';
import type { InvitationsTable } from '../modules/invitations/invitations.table.ts';
import type { OutboxMessagesTable } from '../modules/mail/mail.table.ts';
import type { WorkspaceGroupInvitationsTable, WorkspaceGroupMembersTable } from '../modules/groups/groups.table.ts';
import type { PlansTable, WorkspacePlansTable } from '../modules/plans/plans.table.ts';
import type { LocationsTable } from '../modules/locations/locations.table.ts';
import type { WorkspaceSettingsTable } from '../modules/settings/settings.table.ts';
import type { ItemsTable, ItemTagsTable, SuppliersTable, TagsTable } from '../modules/catalog/catalog.table.ts';
import type { StockLevelsTable, StockMovementsTable } from '../modules/stock/stock.table.ts';
import type { ContactsTable } from '../modules/contacts/contacts.table.ts';
import type { QuotationLinesTable, QuotationsTable } from '../modules/quotations/quotations.table.ts';
import type { InvoiceLinesTable, InvoiceNumberSeriesTable, InvoicePaymentsTable, InvoicesTable, NcfSequencesTable } from '../modules/invoices/invoices.table.ts';
import type { WorkspaceInviteCodesTable } from '../modules/invite-codes/invite-codes.table.ts';
import type { SsoConnectionsTable, SsoIdentitiesTable, SsoSignInsTable } from '../modules/sso/sso.table.ts';
import type { TenantDataVersionsTable } from './data-versions.ts';
import type { UserDataVersionsTable, WorkspaceDataVersionsTable } from './workspace-data-versions.ts';
import type { WorkspaceRecordVersionsTable } from './record-versions.ts';

/**
 * Every table Kysely knows. The schema layer: each area declares its tables' shapes in its
 * own `<area>.table.ts` and writes them only through its own repository; they meet here and
 * in `migrations/`. The core never imports this file.
 */
export interface Database {
  schema_migrations: { name: string; applied_at: string };
  tenants: TenantsTable;
  users: UsersTable;
  sessions: SessionsTable;
  refresh_tokens: RefreshTokensTable;
  signing_keys: SigningKeysTable;
  workspaces: WorkspacesTable;
  roles: RolesTable;
  role_permissions: RolePermissionsTable;
  memberships: MembershipsTable;
  member_permission_overrides: MemberPermissionOverridesTable;
  member_location_restrictions: MemberLocationRestrictionsTable;
  member_locations: MemberLocationsTable;
  api_keys: ApiKeysTable;
  api_key_scopes: ApiKeyScopesTable;
  audit_events: AuditEventsTable;
  audit_event_locations: AuditEventLocationsTable;
  invitations: InvitationsTable;
  outbox_messages: OutboxMessagesTable;
  workspace_group_members: WorkspaceGroupMembersTable;
  workspace_group_invitations: WorkspaceGroupInvitationsTable;
  tenant_data_versions: TenantDataVersionsTable;
  workspace_data_versions: WorkspaceDataVersionsTable;
  user_data_versions: UserDataVersionsTable;
  workspace_record_versions: WorkspaceRecordVersionsTable;
  plans: PlansTable;
  workspace_plans: WorkspacePlansTable;
  locations: LocationsTable;
  workspace_settings: WorkspaceSettingsTable;
  workspace_invite_codes: WorkspaceInviteCodesTable;
  suppliers: SuppliersTable;
  tags: TagsTable;
  items: ItemsTable;
  item_tags: ItemTagsTable;
  stock_movements: StockMovementsTable;
  contacts: ContactsTable;
  stock_levels: StockLevelsTable;
  invoices: InvoicesTable;
  invoice_lines: InvoiceLinesTable;
  invoice_payments: InvoicePaymentsTable;
  invoice_number_series: InvoiceNumberSeriesTable;
  ncf_sequences: NcfSequencesTable;
  quotations: QuotationsTable;
  quotation_lines: QuotationLinesTable;
  account_tokens: AccountTokensTable;
  recovery_codes: RecoveryCodesTable;
  sso_connections: SsoConnectionsTable;
  sso_identities: SsoIdentitiesTable;
  sso_sign_ins: SsoSignInsTable;
}

/** The database outside any transaction: reads, and the entry to `inTransaction`. */
export type Db = Kysely<Database>;

/**
 * Inside a write transaction. On SQLite this is the single connection after
 * `BEGIN IMMEDIATE`, on PostgreSQL a Kysely transaction; both are typed as Tx so a
 * step that needs a transaction says so in its signature.
 */
export type Tx = Transaction<Database>;

/** Anything that can run a query: repositories read through either. */
export type Executor = Db | Tx;

/**
 * Opens PostgreSQL when a URL is given, else the embedded SQLite file under the data directory.
 * @example const db = openDatabase(loadConfig(process.env));
 */
export function openDatabase(options: DatabaseOptions): Db {
  return openKysely<Database>(options);
}
