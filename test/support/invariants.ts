import { sql } from 'kysely';
import type { Db } from '../../src/schema/database.ts';
import { SEALED_PREFIX } from '../../src/core/auth/secret-box.ts';
import { engineOf } from '../../src/core/db/dialect.ts';

/**
 * The invariants the database must hold after any sequence of requests, as queries
 * that return the offending rows. Run after tests, after crash loops, after fuzzing.
 */
export async function invariantViolations(db: Db): Promise<Record<string, unknown[]>> {
  const checks: Record<string, Promise<unknown[]>> = {
    'workspace without exactly one owner': db
      .selectFrom('workspaces as w')
      .leftJoin('memberships as m', (join) => join.onRef('m.workspace_id', '=', 'w.id').on('m.role', '=', 'owner'))
      .select(['w.id', (eb) => eb.fn.count('m.user_id').as('owners')])
      .groupBy('w.id')
      .having((eb) => eb.fn.count('m.user_id'), '<>', 1)
      .execute(),
    'tenant with users but no enabled owner': db
      .selectFrom('tenants as t')
      .select('t.id')
      .where((eb) => eb.exists(eb.selectFrom('users as u').select('u.id').whereRef('u.tenant_id', '=', 't.id')))
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('users as o')
              .select('o.id')
              .whereRef('o.tenant_id', '=', 't.id')
              .where('o.tenant_role', '=', 'owner')
              .where('o.disabled_at', 'is', null),
          ),
        ),
      )
      .execute(),
    // The account life cycle (migration 0023): a second factor is a secret and its time, both or
    // neither; recovery codes belong only to an account with one; a token never crosses tenants.
    'user whose second factor is half there': db
      .selectFrom('users')
      .select(['id', 'totp_enabled_at'])
      .where((eb) => eb.or([eb.and([eb('totp_enabled_at', 'is', null), eb('totp_secret', 'is not', null)]), eb.and([eb('totp_enabled_at', 'is not', null), eb('totp_secret', 'is', null)])]))
      .execute(),
    // Secrets at rest (issue 20): a second factor's secrets are stored sealed, never in clear.
    'second-factor secret stored in clear': db
      .selectFrom('users')
      .select('id')
      .where((eb) => eb.or([eb('totp_secret', 'not like', `${SEALED_PREFIX}%`), eb('totp_pending_secret', 'not like', `${SEALED_PREFIX}%`)]))
      .execute(),
    'unused recovery code of an account without a second factor': db
      .selectFrom('recovery_codes as c')
      .innerJoin('users as u', 'u.id', 'c.user_id')
      .select(['c.id', 'c.user_id'])
      .where('c.used_at', 'is', null)
      .where('u.totp_enabled_at', 'is', null)
      .execute(),
    "account token of another tenant's user": db
      .selectFrom('account_tokens as a')
      .innerJoin('users as u', 'u.id', 'a.user_id')
      .select(['a.id', 'a.tenant_id', 'u.tenant_id as user_tenant_id'])
      .whereRef('a.tenant_id', '<>', 'u.tenant_id')
      .execute(),
    // Single sign-on (migration 0024): a connection, a link and a sign-in stay inside their tenant,
    // a stored client secret is sealed, and a linked account is a member of the linking workspace's tenant.
    "single sign-on row of another tenant's workspace": db
      .selectFrom('sso_connections as c')
      .innerJoin('workspaces as w', 'w.id', 'c.workspace_id')
      .select(['c.workspace_id', 'c.tenant_id', 'w.tenant_id as workspace_tenant_id'])
      .whereRef('c.tenant_id', '<>', 'w.tenant_id')
      .execute(),
    "provider link of another tenant's user or workspace": db
      .selectFrom('sso_identities as i')
      .innerJoin('users as u', 'u.id', 'i.user_id')
      .innerJoin('workspaces as w', 'w.id', 'i.workspace_id')
      .select(['i.id', 'i.tenant_id'])
      .where((eb) => eb.or([eb('u.tenant_id', '<>', eb.ref('i.tenant_id')), eb('w.tenant_id', '<>', eb.ref('i.tenant_id'))]))
      .execute(),
    'client secret stored in clear': db.selectFrom('sso_connections').select('workspace_id').where('client_secret', 'is not', null).where('client_secret', 'not like', 'sealed:v1:%').execute(),
    'membership whose role is not a role of its workspace': db
      .selectFrom('memberships as m')
      .leftJoin('roles as r', (join) => join.onRef('r.workspace_id', '=', 'm.workspace_id').onRef('r.name', '=', 'm.role'))
      .select(['m.workspace_id', 'm.user_id', 'm.role'])
      .where('r.id', 'is', null)
      .execute(),
    'owner with permission overrides (the owner holds everything)': db
      .selectFrom('member_permission_overrides as o')
      .innerJoin('memberships as m', (join) => join.onRef('m.workspace_id', '=', 'o.workspace_id').onRef('m.user_id', '=', 'o.user_id'))
      .select(['o.workspace_id', 'o.user_id', 'o.permission'])
      .where('m.role', '=', 'owner')
      .execute(),
    'membership crossing tenants': db
      .selectFrom('memberships as m')
      .innerJoin('workspaces as w', 'w.id', 'm.workspace_id')
      .innerJoin('users as u', 'u.id', 'm.user_id')
      .select(['m.workspace_id', 'm.user_id'])
      .whereRef('w.tenant_id', '<>', 'u.tenant_id')
      .execute(),
    'api key crossing tenants': db
      .selectFrom('api_keys as k')
      .innerJoin('workspaces as w', 'w.id', 'k.workspace_id')
      .select('k.id')
      .whereRef('w.tenant_id', '<>', 'k.tenant_id')
      .execute(),
    'user pointing at a workspace of another tenant': db
      .selectFrom('users as u')
      .innerJoin('workspaces as w', (join) =>
        join.on((eb) => eb.or([eb('w.id', '=', eb.ref('u.current_workspace_id')), eb('w.id', '=', eb.ref('u.default_workspace_id'))])),
      )
      .select('u.id')
      .whereRef('w.tenant_id', '<>', 'u.tenant_id')
      .execute(),
    'invitation without an e-mail in the outbox': db
      .selectFrom('invitations as i')
      .select('i.id')
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('outbox_messages as o')
              .select('o.id')
              .whereRef('o.tenant_id', '=', 'i.tenant_id')
              .whereRef('o.recipient', '=', 'i.email')
              .where('o.kind', '=', 'invitation'),
          ),
        ),
      )
      .execute(),
    'workspace whose usage counters differ from its rows': db
      .selectFrom('workspaces as w')
      .leftJoin('workspace_plans as p', 'p.workspace_id', 'w.id')
      .select(['w.id', 'p.users_usage', 'p.locations_usage', 'p.items_usage', 'p.suppliers_usage', 'p.tags_usage'])
      .where((eb) =>
        eb.or([
          eb('p.workspace_id', 'is', null),
          eb('p.users_usage', '<>', eb.selectFrom('memberships as m').select((inner) => inner.fn.countAll<number>().as('n')).whereRef('m.workspace_id', '=', 'w.id')),
          eb('p.locations_usage', '<>', eb.selectFrom('locations as l').select((inner) => inner.fn.countAll<number>().as('n')).whereRef('l.workspace_id', '=', 'w.id')),
          eb('p.items_usage', '<>', eb.selectFrom('items as i').select((inner) => inner.fn.countAll<number>().as('n')).whereRef('i.workspace_id', '=', 'w.id')),
          eb('p.suppliers_usage', '<>', eb.selectFrom('suppliers as s').select((inner) => inner.fn.countAll<number>().as('n')).whereRef('s.workspace_id', '=', 'w.id')),
          eb('p.tags_usage', '<>', eb.selectFrom('tags as g').select((inner) => inner.fn.countAll<number>().as('n')).whereRef('g.workspace_id', '=', 'w.id')),
        ]),
      )
      .execute(),
    // Levels are what the ledger adds up to (the database keeps their bounds).
    'stock level other than the sum of its ledger': db
      .selectFrom('stock_levels as l')
      .select(['l.id', 'l.item_id', 'l.location_id', 'l.quantity_e4'])
      .where((eb) =>
        eb(
          'l.quantity_e4',
          '<>',
          eb.fn.coalesce(
            eb
              .selectFrom('stock_movements as m')
              .select((inner) => inner.fn.sum<number>('m.quantity_e4').as('total'))
              .whereRef('m.workspace_id', '=', 'l.workspace_id')
              .whereRef('m.item_id', '=', 'l.item_id')
              .whereRef('m.location_id', '=', 'l.location_id'),
            eb.lit(0),
          ),
        ),
      )
      .execute(),
    'stock movements without a level': db
      .selectFrom('stock_movements as m')
      .select(['m.id', 'm.item_id', 'm.location_id'])
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('stock_levels as l')
              .select('l.id')
              .whereRef('l.workspace_id', '=', 'm.workspace_id')
              .whereRef('l.item_id', '=', 'm.item_id')
              .whereRef('l.location_id', '=', 'm.location_id'),
          ),
        ),
      )
      .execute(),
    'workspace without settings or a default location': db
      .selectFrom('workspaces as w')
      .leftJoin('workspace_settings as s', 's.workspace_id', 'w.id')
      .select('w.id')
      .where((eb) => eb.or([eb('s.workspace_id', 'is', null), eb('s.default_location_id', 'is', null)]))
      .execute(),
    // Issue 18: what an invoice shows is what its lines and payments add up to.
    'invoice whose lines do not add up to its totals': sql<{ id: number }>`
      select i.id from invoices i
      left join (select workspace_id, invoice_id, sum(subtotal_e4) as subtotal, sum(tax_e4) as tax from invoice_lines group by workspace_id, invoice_id) l
        on l.workspace_id = i.workspace_id and l.invoice_id = i.id
      where coalesce(l.subtotal, 0) <> i.subtotal_e4 or coalesce(l.tax, 0) <> i.tax_e4`
      .execute(db)
      .then((result) => result.rows),
    'invoice whose payments do not add up to what it shows paid': sql<{ id: number }>`
      select i.id from invoices i
      left join (select workspace_id, invoice_id, sum(amount_e4) as paid from invoice_payments group by workspace_id, invoice_id) p
        on p.workspace_id = i.workspace_id and p.invoice_id = i.id
      where coalesce(p.paid, 0) <> i.paid_e4`
      .execute(db)
      .then((result) => result.rows),
    'issued invoice whose sales are not its item lines (or a voided one whose stock did not come back)': sql<{ id: number }>`
      select i.id from invoices i
      where i.status <> 'draft' and i.document_subtype is distinct from 'B04' and i.document_subtype is distinct from 'E34'
        and coalesce((select sum(quantity_e4) from invoice_lines l where l.workspace_id = i.workspace_id and l.invoice_id = i.id and l.item_id is not null), 0)
          <> coalesce((select -sum(quantity_e4) from stock_movements m where m.workspace_id = i.workspace_id and m.invoice_id = i.id and m.kind = 'sale'), 0)
        or i.status = 'void' and coalesce((select sum(quantity_e4) from stock_movements m where m.workspace_id = i.workspace_id and m.invoice_id = i.id), 0) <> 0`
      .execute(db)
      .then((result) => result.rows),
    'NCF range of a workspace of another tenant': db
      .selectFrom('ncf_sequences as n')
      .innerJoin('workspaces as w', 'w.id', 'n.workspace_id')
      .select('n.id')
      .whereRef('w.tenant_id', '<>', 'n.tenant_id')
      .execute(),
    'session without a refresh token': db
      .selectFrom('sessions as s')
      .select('s.id')
      .where((eb) => eb.not(eb.exists(eb.selectFrom('refresh_tokens as r').select('r.id').whereRef('r.session_id', '=', 's.id'))))
      .execute(),
  };
  if (engineOf(db) === 'sqlite') {
    checks['sqlite integrity'] = sql<{ integrity_check: string }>`pragma integrity_check`
      .execute(db)
      .then((result) => result.rows.filter((row) => row.integrity_check !== 'ok'));
    checks['sqlite foreign keys'] = sql`pragma foreign_key_check`.execute(db).then((result) => result.rows);
  }
  const entries = await Promise.all(Object.entries(checks).map(async ([name, rows]) => [name, await rows] as const));
  return Object.fromEntries(entries.filter(([, rows]) => rows.length > 0));
}
