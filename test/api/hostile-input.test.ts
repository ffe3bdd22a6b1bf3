/**
 * Hostile text and the rules that keep names honest: control and invisible characters,
 * NUL and lone surrogates are refused with 422 naming the field (PostgreSQL answered NUL
 * with a 500); invalid UTF-8 is a 400; names that only look alike are refused; logos are
 * https: or inline images; a member's API keys die with the membership. @see issue 10
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { invariantViolations } from '../support/invariants.ts';
import { addMembership, createWorkspace, register, startTestApp, uniqueEmail, type Session, type TestApp } from '../support/test-app.ts';

let t: TestApp;
let owner: Session;
let workspaceId: number;

beforeAll(async () => {
  t = await startTestApp();
  owner = await register(t, { name: 'Owner' });
  workspaceId = (await createWorkspace(t, owner, 'Main X')).id;
});
afterAll(async () => t.close());
afterEach(async () => {
  expect(await invariantViolations(t.db)).toEqual({});
});

const inWorkspace = (session: Session) => ({ ...session.auth, 'x-workspace-id': String(workspaceId) });

/** Characters that must never be part of a name or an address. */
const HOSTILE = {
  NUL: '\u0000',
  BEL: '\u0007',
  'line feed': '\n',
  'carriage return': '\r',
  'zero-width space': '\u200b',
  'right-to-left override': '\u202e',
  'soft hyphen': '\u00ad',
  'word joiner': '\u2060',
  'lone surrogate': '\ud800',
} as const;

/** Every text field a client writes, with a request that carries `value` in it. */
const FIELDS: Record<string, (value: string) => { method: 'POST' | 'PUT' | 'PATCH'; url: string; field: string; headers?: () => Record<string, string>; payload: object }> = {
  'login email': (v) => ({ method: 'POST', url: '/api/v1/auth/login', field: 'email', payload: { email: `a${v}b@x.com`, password: 'whatever-long' } }),
  'registration name': (v) => ({ method: 'POST', url: '/api/v1/auth/register', field: 'name', payload: { name: `Ann${v}`, email: uniqueEmail(), password: 'correct horse battery' } }),
  'registration email': (v) => ({ method: 'POST', url: '/api/v1/auth/register', field: 'email', payload: { name: 'Ann', email: `a${v}${uniqueEmail()}`, password: 'correct horse battery' } }),
  'workspace name': (v) => ({ method: 'POST', url: '/api/v1/workspaces', field: 'name', headers: () => owner.auth, payload: { name: `Main${v}X` } }),
  'role display name': (v) => ({ method: 'POST', url: '/api/v1/roles', field: 'display_name', headers: () => inWorkspace(owner), payload: { name: 'clerk', display_name: `Clerk${v}`, permissions: [] } }),
  'API key name': (v) => ({ method: 'POST', url: '/api/v1/api-keys', field: 'name', headers: () => inWorkspace(owner), payload: { name: `ci${v}`, scopes: ['members:view'] } }),
  'tenant name': (v) => ({ method: 'PATCH', url: '/api/v1/tenant', field: 'name', headers: () => owner.auth, payload: { name: `Acme${v}` } }),
  'invitation email': (v) => ({ method: 'POST', url: '/api/v1/invitations', field: 'email', headers: () => inWorkspace(owner), payload: { email: `new${v}@example.com`, role: 'member' } }),
  'invitation role': (v) => ({ method: 'POST', url: '/api/v1/invitations', field: 'role', headers: () => inWorkspace(owner), payload: { email: uniqueEmail(), role: `member${v}` } }),
  'member role': (v) => ({ method: 'PUT', url: `/api/v1/members/${owner.userId + 1000}`, field: 'role', headers: () => inWorkspace(owner), payload: { role: `viewer${v}` } }),
};

describe('hostile characters in text fields', () => {
  for (const [fieldLabel, build] of Object.entries(FIELDS)) {
    it(`refuses each of them in the ${fieldLabel} with 422 naming the field, and writes nothing`, async () => {
      const before = await t.db.selectFrom('audit_events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      for (const [charLabel, char] of Object.entries(HOSTILE)) {
        const request = build(char);
        const response = await t.request({ method: request.method, url: request.url, headers: request.headers?.() ?? {}, payload: request.payload });
        expect(response.statusCode, `${charLabel}: ${response.body}`).toBe(422);
        expect(response.json().error.code).toBe('VALIDATION.FAILED');
        expect(Object.keys(response.json().error.details), charLabel).toContain(request.field);
      }
      const after = await t.db.selectFrom('audit_events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      expect(Number(after.n)).toBe(Number(before.n));
    });
  }
});

describe('bodies that are not valid UTF-8', () => {
  it('answers 400 REQUEST.MALFORMED instead of storing replacement characters', async () => {
    const body = Buffer.concat([Buffer.from('{"name":"Main '), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    const response = await t.request({ method: 'POST', url: '/api/v1/workspaces', headers: { ...owner.auth, 'content-type': 'application/json' }, payload: body });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({ code: 'REQUEST.MALFORMED', details: { body: 'is not valid UTF-8' } });
  });
});

describe('names that read the same', () => {
  it('still tells names apart by case, width and spacing only through the comparison key', async () => {
    const duplicate = await t.request({ method: 'POST', url: '/api/v1/workspaces', headers: owner.auth, payload: { name: '  main   x ' } });
    expect(duplicate.statusCode).toBe(409);
    expect(duplicate.json().error.code).toBe('WORKSPACE.NAME_TAKEN');
  });

  it('treats names that differ only by a variation selector as one name, and refuses a blank filler outright', async () => {
    expect((await t.request({ method: 'POST', url: '/api/v1/workspaces', headers: owner.auth, payload: { name: 'Coffee ☕' } })).statusCode).toBe(201);
    const varied = await t.request({ method: 'POST', url: '/api/v1/workspaces', headers: owner.auth, payload: { name: 'Coffee ☕\ufe0f' } });
    expect(varied.statusCode).toBe(409);
    expect(varied.json().error.code).toBe('WORKSPACE.NAME_TAKEN');
    // A Hangul filler prints as nothing: a name could hide one, or be nothing else (it is plain text no more).
    const filled = await t.request({ method: 'POST', url: '/api/v1/workspaces', headers: owner.auth, payload: { name: 'Coffee\u3164 ☕' } });
    expect(filled.statusCode).toBe(422);
    expect(filled.json().error.details.name).toBe('must not contain control or invisible characters');
  });

  it('gives every one of many names created at once that derive the same slug a workspace and a slug of its own', async () => {
    // Different creators: one user's creations run one at a time (the owned-workspace limit), so only others race.
    const names = Array.from({ length: 24 }, (_, i) => `Slug Race${'!'.repeat(i)}`);
    const creators = await Promise.all(names.map(() => register(t)));
    const created = await Promise.all(
      names.map((name, i) => t.request({ method: 'POST', url: '/api/v1/workspaces', headers: creators[i]?.auth ?? {}, payload: { name } })),
    );
    expect(created.map((response) => response.statusCode)).toEqual(names.map(() => 201));
    const slugs = created.map((response) => response.json().data.slug as string);
    expect(new Set(slugs).size).toBe(names.length);
    expect(slugs.every((slug) => slug.startsWith('slug-race'))).toBe(true);
  });

  it('accepts a name in another script that only resembles an existing one (Cyrillic М): scripts are not folded', async () => {
    // Decision: mixed-script look-alikes are distinct names. Folding confusables would refuse
    // real names in Cyrillic or Greek workspaces; invisible characters, which have no such use,
    // are refused instead (above).
    const cyrillic = await t.request({ method: 'POST', url: '/api/v1/workspaces', headers: owner.auth, payload: { name: '\u041cain X' } });
    expect(cyrillic.statusCode).toBe(201);
  });
});

describe('workspace logos', () => {
  const logoOf = (logo: string) => t.request({ method: 'PUT', url: `/api/v1/workspaces/${workspaceId}`, headers: owner.auth, payload: { logo } });

  it('accept an https: URL or a small inline PNG, JPEG, GIF or WebP', async () => {
    expect((await logoOf('https://cdn.example.com/logo.png')).statusCode).toBe(200);
    expect((await logoOf('data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=')).statusCode).toBe(200);
  });

  it('refuse javascript:, http:, other data: types and oversized images with 422 naming logo', async () => {
    for (const logo of ['javascript:alert(1)', 'http://cdn.example.com/logo.png', 'data:text/html;base64,PHNjcmlwdD4=', `data:image/png;base64,${'A'.repeat(70_000)}`]) {
      const response = await logoOf(logo);
      expect(response.statusCode, logo.slice(0, 40)).toBe(422);
      expect(Object.keys(response.json().error.details)).toContain('logo');
    }
  });
});

describe("a member's API keys", () => {
  async function memberWithKey() {
    const member = await register(t);
    await addMembership(t, workspaceId, member.userId, 'admin');
    const key = await t.request({ method: 'POST', url: '/api/v1/api-keys', headers: inWorkspace(member), payload: { name: 'mine', scopes: ['members:view'] } });
    expect(key.statusCode, key.body).toBe(201);
    const secret = key.json().data.secret as string;
    expect((await t.request({ method: 'GET', url: '/api/v1/members', headers: { authorization: `Bearer ${secret}` } })).statusCode).toBe(200);
    return { member, secret, keyId: key.json().data.id as number };
  }

  it('die when the member is removed, stay dead when the person is added again, and the revocation is audited', async () => {
    const { member, secret, keyId } = await memberWithKey();
    const removed = await t.request({ method: 'DELETE', url: `/api/v1/members/${member.userId}`, headers: inWorkspace(owner) });
    expect(removed.statusCode).toBe(200);
    expect((await t.request({ method: 'GET', url: '/api/v1/members', headers: { authorization: `Bearer ${secret}` } })).statusCode).toBe(401);
    await addMembership(t, workspaceId, member.userId, 'admin');
    expect((await t.request({ method: 'GET', url: '/api/v1/members', headers: { authorization: `Bearer ${secret}` } })).statusCode).toBe(401);
    const audit = await t.db.selectFrom('audit_events').select(['details']).where('action', '=', 'api_key.revoked').where('target_id', '=', String(keyId)).execute();
    expect(audit.map((row) => JSON.parse(row.details).reason)).toEqual(['member_removed']);
  });

  it('die when the member leaves', async () => {
    const { member, secret } = await memberWithKey();
    const left = await t.request({ method: 'POST', url: `/api/v1/workspaces/${workspaceId}/leave`, headers: member.auth });
    expect(left.statusCode).toBe(200);
    expect((await t.request({ method: 'GET', url: '/api/v1/members', headers: { authorization: `Bearer ${secret}` } })).statusCode).toBe(401);
  });

  it("leave other members' keys alive", async () => {
    const kept = await memberWithKey();
    const { member } = await memberWithKey();
    await t.request({ method: 'DELETE', url: `/api/v1/members/${member.userId}`, headers: inWorkspace(owner) });
    expect((await t.request({ method: 'GET', url: '/api/v1/members', headers: { authorization: `Bearer ${kept.secret}` } })).statusCode).toBe(200);
  });
});
