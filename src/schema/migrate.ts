import type { Kysely } from 'kysely';
import { SEALED_COLUMNS } from '../areas.ts';
import type { SecretBox } from '../core/auth/secret-box.ts';
import type { Clock } from '../core/clock.ts';
import { engineOf, lockMigrations } from '../core/db/dialect.ts';
import { applyMigrations, type Migration } from '../core/db/migrations.ts';
import { resealValues, type SealedColumnCount } from '../core/db/sealed-columns.ts';
import { inTransaction } from '../core/db/transaction.ts';
import type { Db } from './database.ts';
import * as tenantsIdentity from './migrations/0001-tenants-identity.ts';
import * as workspaces from './migrations/0002-workspaces.ts';
import * as invitationsOutbox from './migrations/0003-invitations-outbox.ts';
import * as tenantDataVersions from './migrations/0004-tenant-data-versions.ts';
import * as foldDefaultIgnorables from './migrations/0005-fold-default-ignorables.ts';
import * as outboxExpiry from './migrations/0006-outbox-expiry.ts';
import * as sessionLiveness from './migrations/0007-session-liveness.ts';
import * as workspaceDataVersions from './migrations/0008-workspace-data-versions.ts';
import * as workspaceGroups from './migrations/0009-workspace-groups.ts';
import * as portalCodeDigest from './migrations/0010-portal-code-digest.ts';
import * as plansSettingsLocations from './migrations/0011-plans-settings-locations.ts';
import * as inviteCodes from './migrations/0012-invite-codes.ts';
import * as memberAccess from './migrations/0013-member-access.ts';
import * as catalog from './migrations/0014-catalog.ts';
import * as stock from './migrations/0015-stock.ts';
import * as locationAccess from './migrations/0016-location-access.ts';
import * as negativeStock from './migrations/0017-negative-stock.ts';
import * as recordVersions from './migrations/0018-record-versions.ts';
import * as contacts from './migrations/0019-contacts.ts';
import * as auditEventLocations from './migrations/0020-audit-event-locations.ts';
import * as invoicesNcf from './migrations/0021-invoices-ncf.ts';
import * as quotations from './migrations/0022-quotations.ts';
import * as accountLifeCycle from './migrations/0023-account-life-cycle.ts';
import * as singleSignOn from './migrations/0024-single-sign-on.ts';
import * as ssoBrowserReturn from './migrations/0025-sso-browser-return.ts';
import * as outboxBacklogIndexes from './migrations/0026-outbox-backlog-indexes.ts';
import * as ncfRangeLock from './migrations/0027-ncf-range-lock.ts';

/** In order; a name, once released, never changes. A new area appends its own. */
export const MIGRATIONS: readonly Migration[] = [
  { name: '0001-tenants-identity', up: tenantsIdentity.up },
  { name: '0002-workspaces', up: workspaces.up },
  { name: '0003-invitations-outbox', up: invitationsOutbox.up },
  { name: '0004-tenant-data-versions', up: tenantDataVersions.up },
  { name: '0005-fold-default-ignorables', up: foldDefaultIgnorables.up },
  { name: '0006-outbox-expiry', up: outboxExpiry.up },
  { name: '0007-session-liveness', up: sessionLiveness.up },
  { name: '0008-workspace-data-versions', up: workspaceDataVersions.up },
  { name: '0009-workspace-groups', up: workspaceGroups.up },
  { name: '0010-portal-code-digest', up: portalCodeDigest.up },
  { name: '0011-plans-settings-locations', up: plansSettingsLocations.up },
  { name: '0012-invite-codes', up: inviteCodes.up },
  { name: '0013-member-access', up: memberAccess.up },
  { name: '0014-catalog', up: catalog.up },
  { name: '0015-stock', up: stock.up },
  { name: '0016-location-access', up: locationAccess.up },
  { name: '0017-negative-stock', up: negativeStock.up },
  { name: '0018-record-versions', up: recordVersions.up },
  { name: '0019-contacts', up: contacts.up },
  { name: '0020-audit-event-locations', up: auditEventLocations.up },
  { name: '0021-invoices-ncf', up: invoicesNcf.up },
  { name: '0022-quotations', up: quotations.up },
  { name: '0023-account-life-cycle', up: accountLifeCycle.up },
  { name: '0024-single-sign-on', up: singleSignOn.up },
  { name: '0025-sso-browser-return', up: ssoBrowserReturn.up },
  { name: '0026-outbox-backlog-indexes', up: outboxBacklogIndexes.up },
  { name: '0027-ncf-range-lock', up: ncfRangeLock.up },
];

/** Brings the database to this version's schema, its secrets sealed with `secrets` (see `applyMigrations`). */
export function migrate(db: Db, clock: Clock, secrets: SecretBox): Promise<string[]> {
  return applyMigrations(db, MIGRATIONS, clock, { secrets, sealedColumns: SEALED_COLUMNS });
}

/**
 * Seals every value of every area's sealed columns again with the first key of `secrets`, in
 * one transaction, under the migrations' lock so a server starting meanwhile does not seal
 * alongside. A value no key of `secrets` opens fails it whole, changing nothing.
 */
export function resealSecrets(db: Kysely<any>, secrets: SecretBox): Promise<SealedColumnCount[]> {
  return inTransaction(db, async (tx) => {
    await lockMigrations(tx, engineOf(tx));
    return resealValues(tx, secrets, SEALED_COLUMNS);
  });
}
