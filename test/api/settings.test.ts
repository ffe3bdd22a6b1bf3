/**
 * PATCH /api/v1/workspaces/:id/settings: every range and enum boundary just inside (200, and
 * the value reads back exactly) and just outside (422 VALIDATION.FAILED naming the field,
 * nothing changed), several bad fields at once (one detail entry per field), exact decimals,
 * default locations that must name a live location of this workspace, and the audit entry.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { invariantViolations } from '../support/invariants.ts';
import { addMembership, createWorkspace, register, startTestApp, succeed, type Session, type TestApp } from '../support/test-app.ts';

let t: TestApp;
let owner: Session;
let workspaceId: number;
let inventoryId: number;

beforeAll(async () => {
  t = await startTestApp();
  owner = await register(t, { name: 'Settings Owner' });
  workspaceId = (await createWorkspace(t, owner, 'Settings HQ')).id;
  const details = await readDetails();
  inventoryId = details.default_location_id as number;
});
afterEach(async () => {
  expect(await invariantViolations(t.db)).toEqual({});
});
afterAll(async () => t.close());

const inWs = (session: Session = owner, id = workspaceId) => ({ ...session.auth, 'x-workspace-id': String(id) });

const patchSettings = (payload: unknown, session: Session = owner, id = workspaceId) =>
  t.request({ method: 'PATCH', url: `/api/v1/workspaces/${id}/settings`, headers: session.auth, payload: payload as object });

async function readDetails(session: Session = owner, id = workspaceId): Promise<Record<string, unknown>> {
  const response = await succeed(t, { method: 'GET', url: `/api/v1/workspaces/${id}`, headers: session.auth });
  return response.json().data;
}

async function auditEvents(id = workspaceId): Promise<Array<{ id: number; action: string; details: Record<string, unknown> }>> {
  const response = await succeed(t, { method: 'GET', url: '/api/v1/audit-events?limit=100', headers: inWs(owner, id) });
  return response.json().data;
}

async function createLocation(name: string, id = workspaceId, session: Session = owner): Promise<number> {
  const response = await succeed(t, { method: 'POST', url: '/api/v1/locations', headers: inWs(session, id), payload: { name } }, 201);
  return response.json().data.id;
}

/** A 422 naming exactly `fields`, with the settings (and the audit log) as they were before. */
async function expectRefused(payload: Record<string, unknown>, fields: string[]): Promise<void> {
  const before = await readDetails();
  const auditBefore = (await auditEvents()).length;
  const response = await patchSettings(payload);
  const described = `PATCH ${JSON.stringify(payload)} → ${response.statusCode} ${response.body}`;
  expect(response.statusCode, described).toBe(422);
  const error = response.json().error;
  expect(error.code, described).toBe('VALIDATION.FAILED');
  expect(Object.keys(error.details).sort(), described).toEqual([...fields].sort());
  expect(await readDetails(), described).toEqual(before);
  expect((await auditEvents()).length, described).toBe(auditBefore);
}

/** A 200 whose answer and a fresh GET both carry exactly the values sent. */
async function expectAccepted(payload: Record<string, unknown>): Promise<void> {
  const response = await patchSettings(payload);
  const described = `PATCH ${JSON.stringify(payload)} → ${response.statusCode} ${response.body}`;
  expect(response.statusCode, described).toBe(200);
  expect(response.json().data, described).toMatchObject(payload);
  expect(await readDetails(), described).toMatchObject(payload);
}

const x = (n: number) => 'x'.repeat(n);

/** field → values just inside its range (200) and just outside it (422). */
const BOUNDARIES: Record<string, { inside: unknown[]; outside: unknown[] }> = {
  default_currency: { inside: ['DOP', 'USD', 'EUR', 'JPY'], outside: ['XYZ', 'usd', 'US', 'USDD', '', ' USD', 12, null] },
  invoice_number_prefix: {
    inside: ['A', 'ABCDEFGHIJKL', 'INV-', 'F/2025#'],
    outside: ['', 'ABCDEFGHIJKLM', 'IN V', ' INV', 'INV ', 'INV\t', 'IN\nV', 'IN\u200bV', null, 7],
  },
  default_tax_percent: {
    inside: [0, 100, 12.5, 0.0001, 99.9999, 18.0825, 50],
    outside: [-0.0001, 100.0001, 101, -1, 1.00001, 0.00001, 1e-7, '12.5', null, true],
  },
  default_tax_included: { inside: [true, false], outside: ['true', 1, 0, null, 'yes'] },
  default_invoice_due_days: { inside: [0, 365, 30, 1, 364], outside: [-1, 366, 1.5, '30', null, 1e6] },
  default_markup_percent: {
    inside: [0, 1000, 999.9999, 0.0001, 33.3333, null, 25],
    outside: [-0.0001, 1000.0001, 1001, 1.00001, '10', true],
  },
  default_location_type: {
    inside: ['warehouse', 'van', 'truck', 'site', 'other'],
    outside: ['Warehouse', 'WAREHOUSE', 'boat', '', ' van', null, 1],
  },
  invoicing_brand_color: {
    inside: ['#000000', '#FFFFFF', '#a1b2c3', '#A1b2C3', null],
    outside: ['#fff', '000000', '#GGGGGG', '#0000000', '#00000', 'red', '', ' #000000', '#000000 '],
  },
  invoicing_email: {
    inside: ['billing@example.com', 'a@b.co', null],
    outside: ['not-an-email', 'a@b', '@example.com', 'a b@example.com', '', 'billing@example.com\n', `${x(250)}@e.co`],
  },
  invoicing_business_name: { inside: ['A', x(200), 'Acme S.R.L.', null], outside: ['', x(201), 'Acme\u0000', 'Acme\u202e'] },
  invoicing_address: { inside: ['x', x(500), 'Calle 1 #23, Santo Domingo', null], outside: ['', x(501), 'Calle\u0007 1'] },
};

describe('each setting at its boundaries', () => {
  for (const [field, { inside, outside }] of Object.entries(BOUNDARIES)) {
    it(`${field}: accepts every value just inside (200, read back exactly)`, async () => {
      for (const value of inside) await expectAccepted({ [field]: value });
    });

    it(`${field}: refuses every value just outside with 422 naming ${field}, changing nothing`, async () => {
      for (const value of outside) await expectRefused({ [field]: value }, [field]);
    });
  }
});

describe('several settings at once', () => {
  it('gives one detail entry per bad field when several are bad, and changes none of the good ones sent beside them', async () => {
    await expectAccepted({ default_currency: 'USD', invoice_number_prefix: 'INV-', default_tax_percent: 18 });
    await expectRefused(
      {
        default_currency: 'XYZ',
        invoice_number_prefix: 'has space',
        default_tax_percent: 100.5,
        default_tax_included: 'no',
        default_invoice_due_days: 366,
        default_markup_percent: -1,
        default_location_type: 'boat',
        invoicing_brand_color: '#12345',
        invoicing_email: 'nope',
        invoicing_business_name: '',
        invoicing_address: x(501),
      },
      [
        'default_currency',
        'invoice_number_prefix',
        'default_tax_percent',
        'default_tax_included',
        'default_invoice_due_days',
        'default_markup_percent',
        'default_location_type',
        'invoicing_brand_color',
        'invoicing_email',
        'invoicing_business_name',
        'invoicing_address',
      ],
    );
    // Good fields next to a bad one are not applied either: the request is all or nothing.
    await expectRefused({ default_currency: 'EUR', invoice_number_prefix: 'NEW', default_tax_percent: 1.00001 }, ['default_tax_percent']);
    expect(await readDetails()).toMatchObject({ default_currency: 'USD', invoice_number_prefix: 'INV-', default_tax_percent: 18 });
  });

  it('refuses an unknown field and an empty body with 422, changing nothing', async () => {
    await expectRefused({ default_currency: 'EUR', favourite_colour: 'blue' }, ['favourite_colour']);
    const empty = await patchSettings({});
    expect(empty.statusCode, empty.body).toBe(422);
    expect(empty.json().error.code).toBe('VALIDATION.FAILED');
  });

  it('applies several good fields together and reads them back', async () => {
    const all = {
      default_currency: 'DOP',
      invoice_number_prefix: 'B01',
      default_tax_percent: 18,
      default_tax_included: true,
      default_invoice_due_days: 45,
      default_markup_percent: 35.5,
      default_location_type: 'site',
      invoicing_brand_color: '#1E90FF',
      invoicing_email: 'facturas@example.com',
      invoicing_business_name: 'Tessera Dominicana',
      invoicing_address: 'Av. Winston Churchill 1, Santo Domingo',
    };
    await expectAccepted(all);
  });
});

describe('exact decimals', () => {
  for (const value of [12.5, 0.0001, 99.9999, 100, 18.0825, 0, 0.1, 0.3, 33.3333]) {
    it(`keeps default_tax_percent ${value} exactly`, async () => {
      await expectAccepted({ default_tax_percent: value });
      // Also as stored: exact ten-thousandths, no binary rounding.
      const row = await t.db.selectFrom('workspace_settings').select('default_tax_percent_e4').where('workspace_id', '=', workspaceId).executeTakeFirstOrThrow();
      expect(Number(row.default_tax_percent_e4)).toBe(Math.round(value * 10_000));
      expect(JSON.stringify((await readDetails()).default_tax_percent)).toBe(String(value));
    });
  }

  it('keeps default_markup_percent 999.9999, 0.0001 and 12.5 exactly', async () => {
    for (const value of [999.9999, 0.0001, 12.5, 1000]) {
      await expectAccepted({ default_markup_percent: value });
      expect(JSON.stringify((await readDetails()).default_markup_percent)).toBe(String(value));
    }
  });
});

describe('default locations', () => {
  const DEFAULT_FIELDS = ['default_location_id', 'default_invoice_source_location_id', 'default_transfer_from_location_id'] as const;

  it('accepts a live location of this workspace for each default, shown in the location’s default_for', async () => {
    const van = await createLocation('Settings Van');
    for (const field of DEFAULT_FIELDS) await expectAccepted({ [field]: van });
    const shown = await succeed(t, { method: 'GET', url: `/api/v1/locations/${van}`, headers: inWs() });
    expect([...shown.json().data.default_for].sort()).toEqual([...DEFAULT_FIELDS].sort());
    // Back to Inventory for the next tests.
    await expectAccepted(Object.fromEntries(DEFAULT_FIELDS.map((field) => [field, inventoryId])));
    const after = await succeed(t, { method: 'GET', url: `/api/v1/locations/${van}`, headers: inWs() });
    expect(after.json().data.default_for).toEqual([]);
  });

  it('refuses an archived location of this workspace with 422 naming the field', async () => {
    const archived = await createLocation('Settings Archived');
    await succeed(t, { method: 'PATCH', url: `/api/v1/locations/${archived}`, headers: inWs(), payload: { archived: true } });
    for (const field of DEFAULT_FIELDS) await expectRefused({ [field]: archived }, [field]);
  });

  it('refuses a location of another workspace (even one the caller owns) with 422 naming the field', async () => {
    const other = await createWorkspace(t, owner, 'Settings Elsewhere');
    const foreign = await createLocation('Elsewhere Shelf', other.id);
    const stranger = await register(t, { name: 'Stranger' });
    const strangers = await createWorkspace(t, stranger, 'Stranger Store');
    const strangerLocation = await createLocation('Stranger Shelf', strangers.id, stranger);
    for (const field of DEFAULT_FIELDS) {
      await expectRefused({ [field]: foreign }, [field]);
      await expectRefused({ [field]: strangerLocation }, [field]);
    }
    // The other workspace's first location too.
    const otherInventory = (await readDetails(owner, other.id)).default_location_id as number;
    await expectRefused({ default_location_id: otherInventory }, ['default_location_id']);
  });

  it('refuses missing, deleted and out-of-range ids with 422 (never 500)', async () => {
    const deleted = await createLocation('Settings Deleted');
    await succeed(t, { method: 'DELETE', url: `/api/v1/locations/${deleted}`, headers: inWs() });
    for (const id of [deleted, 999_999, 2_147_483_647, 2_147_483_648, 9_007_199_254_740_991]) {
      await expectRefused({ default_location_id: id }, ['default_location_id']);
    }
    for (const id of [0, -1, 1.5, '1']) await expectRefused({ default_invoice_source_location_id: id }, ['default_invoice_source_location_id']);
  });

  it('names every bad default at once, and applies none of the request', async () => {
    const archived = await createLocation('Settings Archived Two');
    await succeed(t, { method: 'PATCH', url: `/api/v1/locations/${archived}`, headers: inWs(), payload: { archived: true } });
    await expectRefused(
      { default_currency: 'EUR', default_location_id: inventoryId, default_invoice_source_location_id: archived, default_transfer_from_location_id: 999_999 },
      ['default_invoice_source_location_id', 'default_transfer_from_location_id'],
    );
  });
});

describe('who may change settings', () => {
  it('refuses a member and a viewer with 403, and a stranger with 404, changing nothing', async () => {
    const member = await register(t, { name: 'Plain Member' });
    const viewer = await register(t, { name: 'Plain Viewer' });
    const stranger = await register(t, { name: 'Outsider' });
    await addMembership(t, workspaceId, member.userId, 'member');
    await addMembership(t, workspaceId, viewer.userId, 'viewer');
    const before = await readDetails();
    expect((await patchSettings({ default_currency: 'EUR' }, member)).statusCode).toBe(403);
    expect((await patchSettings({ default_currency: 'EUR' }, viewer)).statusCode).toBe(403);
    expect((await patchSettings({ default_currency: 'EUR' }, stranger)).statusCode).toBe(404);
    const after = await readDetails();
    // Only the member count moved (the two new members).
    expect({ ...after, users_usage: 0 }).toEqual({ ...before, users_usage: 0 });
  });
});

describe('the audit log', () => {
  it("records 'workspace.settings_updated' with the changed fields and their new values, not the unchanged ones", async () => {
    await expectAccepted({ default_currency: 'USD', default_tax_percent: 10, invoice_number_prefix: 'A-' });
    const newestBefore = Math.max(0, ...(await auditEvents()).map((event) => event.id));
    await expectAccepted({ default_currency: 'DOP', default_tax_percent: 18.0825, invoice_number_prefix: 'A-', invoicing_brand_color: '#00AA11' });
    const fresh = (await auditEvents()).filter((event) => event.id > newestBefore);
    const settingsEvents = fresh.filter((event) => event.action === 'workspace.settings_updated');
    expect(settingsEvents, JSON.stringify(fresh)).toHaveLength(1);
    const [event] = settingsEvents;
    expect(event).toMatchObject({
      action: 'workspace.settings_updated',
      target_type: 'workspace',
      target_id: String(workspaceId),
      workspace_id: workspaceId,
      actor_user_id: owner.userId,
    });
    expect(event?.details).toMatchObject({ default_currency: 'DOP', default_tax_percent: 18.0825, invoicing_brand_color: '#00AA11' });
    expect(event?.details).not.toHaveProperty('invoice_number_prefix');
  });

  it('records nothing for a refused change', async () => {
    const before = await auditEvents();
    expect((await patchSettings({ default_currency: 'usd' })).statusCode).toBe(422);
    expect((await patchSettings({ default_location_id: 999_999 })).statusCode).toBe(422);
    expect(await auditEvents()).toEqual(before);
  });
});
