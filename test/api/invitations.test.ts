import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CANCELLED_BODY, listOutbox } from '../../src/modules/mail/mail.service.ts';
import { invariantViolations } from '../support/invariants.ts';
import { addMembership, createWorkspace, register, signInAgain, startTestApp, uniqueEmail, type Session, type TestApp } from '../support/test-app.ts';

let t: TestApp;
let owner: Session;
let workspaceId: number;
const DAY_MS = 24 * 3600 * 1000;

beforeAll(async () => {
  t = await startTestApp({ env: { INVITATION_RATE_LIMIT_MAX: '100000', INVITATION_RECIPIENT_RATE_LIMIT_MAX: '100000' } });
  owner = await register(t, { name: 'Owner' });
  workspaceId = (await createWorkspace(t, owner, 'Invitations HQ')).id;
});
afterEach(async () => {
  expect(await invariantViolations(t.db)).toEqual({});
});
afterAll(async () => t.close());

const inWs = (session: Session) => ({ ...session.auth, 'x-workspace-id': String(workspaceId) });

async function invite(email = uniqueEmail('invitee'), role?: string, by: Session = owner) {
  const response = await t.request({ method: 'POST', url: '/api/v1/invitations', headers: inWs(by), payload: { email, ...(role ? { role } : {}) } });
  if (response.statusCode !== 201) throw new Error(`invite failed: ${response.statusCode} ${response.body}`);
  return { ...(response.json().data as { id: number; token: string; email: string; role: string; expires_at: string }), email };
}

const accept = (session: Session, token: string) =>
  t.request({ method: 'POST', url: '/api/v1/invitations/accept', headers: session.auth, payload: { token } });

async function memberRole(userId: number): Promise<string | undefined> {
  const row = await t.db.selectFrom('memberships').select('role').where('workspace_id', '=', workspaceId).where('user_id', '=', userId).executeTakeFirst();
  return row?.role;
}

describe('life cycle', () => {
  it('invites with the documented shape, defaults the role to member and expires in 7 days', async () => {
    const before = t.clock.now().getTime();
    const response = await t.request({ method: 'POST', url: '/api/v1/invitations', headers: inWs(owner), payload: { email: 'shape@example.com' } });
    expect(response.statusCode).toBe(201);
    const { data, message } = response.json();
    expect(message).toBe('Invitation sent successfully.');
    // No SMTP_URL in this app: the answer says the message waits for the operator.
    expect(data).toMatchObject({ email: 'shape@example.com', role: 'member', status: 'pending', delivery: 'outbox' });
    expect(data.token).toMatch(/^inv_[A-Za-z0-9_-]{43}$/);
    expect(Date.parse(data.expires_at) - before).toBe(7 * DAY_MS);
    const stored = await t.db.selectFrom('invitations').select('token_hash').where('id', '=', data.id).executeTakeFirstOrThrow();
    expect(stored.token_hash).not.toContain(data.token);
    const outbox = await t.db.selectFrom('outbox_messages').select(['recipient', 'status']).where('recipient', '=', 'shape@example.com').execute();
    expect(outbox).toEqual([{ recipient: 'shape@example.com', status: 'pending' }]);
  });

  it('accepts for the invited address (200) and the token is then dead (404, nothing changes)', async () => {
    const invitation = await invite(undefined, 'viewer');
    const invitee = await register(t, { email: invitation.email });
    const accepted = await accept(invitee, invitation.token);
    expect(accepted.statusCode).toBe(200);
    expect(accepted.json().data).toEqual({ workspace_id: workspaceId, role: 'viewer' });
    expect(await memberRole(invitee.userId)).toBe('viewer');
    const again = await accept(invitee, invitation.token);
    expect(again.statusCode).toBe(404);
    const mail = await t.db.selectFrom('outbox_messages').select('status').where('recipient', '=', invitation.email).where('kind', '=', 'invitation').execute();
    expect(mail).toEqual([{ status: 'cancelled' }]);
    const listed = await t.request({ method: 'GET', url: '/api/v1/invitations?limit=100', headers: inWs(owner) });
    expect(listed.json().data.find((i: { id: number }) => i.id === invitation.id).status).toBe('accepted');
  });

  it('refuses another account with 403 and leaves the invitation pending', async () => {
    const invitation = await invite();
    const someoneElse = await register(t);
    const response = await accept(someoneElse, invitation.token);
    expect(response.statusCode).toBe(403);
    expect(response.json().error.code).toBe('INVITATION.WRONG_ACCOUNT');
    const lookup = await t.request({ method: 'POST', url: '/api/v1/invitations/lookup', payload: { token: invitation.token } });
    expect(lookup.statusCode).toBe(200);
    expect(lookup.json().data).toEqual({ workspace_name: 'Invitations HQ', inviter_name: 'Owner', role: 'member', expires_at: invitation.expires_at });
  });

  it('registers a new account through the invitation, even with self sign-up closed', async () => {
    await t.request({ method: 'PATCH', url: '/api/v1/tenant', headers: owner.auth, payload: { self_signup: false } });
    try {
      const invitation = await invite();
      const wrongEmail = await t.request({
        method: 'POST',
        url: '/api/v1/auth/register',
        payload: { name: 'Sneaky', email: uniqueEmail('sneaky'), password: 'correct horse battery', invitation_token: invitation.token },
      });
      expect(wrongEmail.statusCode).toBe(403);
      const response = await t.request({
        method: 'POST',
        url: '/api/v1/auth/register',
        payload: { name: 'Invited', email: invitation.email.toUpperCase(), password: 'correct horse battery', invitation_token: invitation.token },
      });
      expect(response.statusCode).toBe(201);
      const userId = response.json().data.user.id as number;
      expect(await memberRole(userId)).toBe('member');
      const me = await t.request({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${response.json().data.access_token}` } });
      expect(me.json().data.current_workspace_id).toBe(workspaceId);
      // The acceptance is in the workspace's audit log, made by the new account.
      const log = await t.request({ method: 'GET', url: '/api/v1/audit-events?limit=100', headers: { ...owner.auth, 'x-workspace-id': String(workspaceId) } });
      const accepted = log.json().data.filter((event: { action: string; target_id: string }) => event.action === 'invitation.accepted' && event.target_id === String(invitation.id));
      expect(accepted).toHaveLength(1);
      expect(accepted[0]).toMatchObject({ actor_user_id: userId });
      const noToken = await t.request({ method: 'POST', url: '/api/v1/auth/register', payload: { name: 'X', email: uniqueEmail(), password: 'correct horse battery' } });
      expect(noToken.statusCode).toBe(403);
    } finally {
      await t.request({ method: 'PATCH', url: '/api/v1/tenant', headers: owner.auth, payload: { self_signup: true } });
    }
  });

  it('declines by token without an account; the token is then dead', async () => {
    const invitation = await invite();
    const declined = await t.request({ method: 'POST', url: '/api/v1/invitations/decline', payload: { token: invitation.token } });
    expect(declined.statusCode).toBe(200);
    const invitee = await register(t, { email: invitation.email });
    expect((await accept(invitee, invitation.token)).statusCode).toBe(404);
    const mail = await t.db.selectFrom('outbox_messages').select('status').where('recipient', '=', invitation.email).where('kind', '=', 'invitation').execute();
    expect(mail).toEqual([{ status: 'cancelled' }]);
  });
});

describe('the outbox entry of an invitation no longer pending', () => {
  it('is cancelled, body and all, once the invitation has expired unsent', async () => {
    const invitation = await invite(uniqueEmail('expires'));
    t.clock.advance(7 * DAY_MS + 1000);
    try {
      const listed = await listOutbox(t.db, { limit: 1000 }, t.clock.now().toISOString());
      const mail = listed.filter((message) => message.recipient === invitation.email);
      expect(mail).toHaveLength(1);
      expect(mail[0]).toMatchObject({ status: 'cancelled', text_body: CANCELLED_BODY, html_body: CANCELLED_BODY });
    } finally {
      t.clock.advance(-(7 * DAY_MS + 1000));
    }
  });
});

describe('conflicts and grants', () => {
  it('answers a second pending invitation for the same normalized email with 409 WORKSPACE.INVITATION_EXISTS', async () => {
    const email = uniqueEmail('twice');
    await invite(email);
    const response = await t.request({ method: 'POST', url: '/api/v1/invitations', headers: inWs(owner), payload: { email: ` ${email.toUpperCase()}` .trim() } });
    expect(response.statusCode).toBe(409);
    expect(response.json().error.code).toBe('WORKSPACE.INVITATION_EXISTS');
  });

  it('answers concurrent invitations of one address with one 201 and 409s', async () => {
    const email = uniqueEmail('burst');
    const responses = await Promise.all(
      [1, 2, 3, 4, 5].map(() => t.request({ method: 'POST', url: '/api/v1/invitations', headers: inWs(owner), payload: { email } })),
    );
    expect(responses.map((r) => r.statusCode).sort()).toEqual([201, 409, 409, 409, 409]);
  });

  it('refuses to invite a current member (409) or to offer a role the inviter does not hold (403)', async () => {
    const member = await register(t);
    await addMembership(t, workspaceId, member.userId, 'member');
    const existing = await t.request({ method: 'POST', url: '/api/v1/invitations', headers: inWs(owner), payload: { email: member.email } });
    expect(existing.statusCode).toBe(409);
    expect(existing.json().error.code).toBe('MEMBER.ALREADY_MEMBER');

    const admin = await register(t);
    await addMembership(t, workspaceId, admin.userId, 'admin');
    const role = await t.request({ method: 'POST', url: '/api/v1/roles', headers: inWs(owner), payload: { name: `deleter_${Date.now()}`, display_name: 'Deleter', permissions: ['workspaces:delete'] } });
    const offer = await t.request({ method: 'POST', url: '/api/v1/invitations', headers: inWs(admin), payload: { email: uniqueEmail(), role: role.json().data.name } });
    expect(offer.statusCode).toBe(403);
    expect(offer.json().error.details.permission).toBe('workspaces:delete');
    const asOwner = await t.request({ method: 'POST', url: '/api/v1/invitations', headers: inWs(admin), payload: { email: uniqueEmail(), role: 'owner' } });
    expect(asOwner.statusCode).toBe(409);
    const memberInvites = await t.request({ method: 'POST', url: '/api/v1/invitations', headers: inWs(member), payload: { email: uniqueEmail() } });
    expect(memberInvites.statusCode).toBe(403);
  });

  it("checks the inviter's authority again at accept time", async () => {
    const admin = await register(t);
    await addMembership(t, workspaceId, admin.userId, 'admin');
    const invitation = await invite(undefined, 'member', admin);
    await t.request({ method: 'PUT', url: `/api/v1/members/${admin.userId}`, headers: inWs(owner), payload: { role: 'viewer' } });
    const invitee = await register(t, { email: invitation.email });
    const response = await accept(invitee, invitation.token);
    expect(response.statusCode).toBe(410);
    expect(response.json().error.code).toBe('INVITATION.NO_LONGER_VALID');
    expect(await memberRole(invitee.userId)).toBeUndefined();
  });
});

describe('expiry, revocation and resending', () => {
  it('accepts one millisecond before 7 days and refuses at 7 days (410), with a controllable clock', async () => {
    const early = await invite();
    const late = await invite();
    const earlyUser = await register(t, { email: early.email });
    const lateUser = await register(t, { email: late.email });
    t.clock.advance(7 * DAY_MS - 1);
    try {
      // Access tokens live 15 minutes: after a week everyone signs in again.
      const earlyAgain = await signInAgain(t, earlyUser);
      const lateAgain = await signInAgain(t, lateUser);
      const ownerAgain = await signInAgain(t, owner);
      expect((await accept(earlyAgain, early.token)).statusCode).toBe(200);
      t.clock.advance(1);
      const expired = await accept(lateAgain, late.token);
      expect(expired.statusCode).toBe(410);
      expect(expired.json().error.code).toBe('INVITATION.EXPIRED');
      const listed = await t.request({ method: 'GET', url: '/api/v1/invitations?limit=100', headers: inWs(ownerAgain) });
      expect(listed.json().data.find((i: { id: number }) => i.id === late.id).status).toBe('expired');
      const expiredOnly = await t.request({ method: 'GET', url: '/api/v1/invitations?status=expired&limit=100', headers: inWs(ownerAgain) });
      expect(expiredOnly.json().data.map((i: { id: number }) => i.id)).toContain(late.id);
      const pendingOnly = await t.request({ method: 'GET', url: '/api/v1/invitations?status=pending&limit=100', headers: inWs(ownerAgain) });
      expect(pendingOnly.json().data.map((i: { id: number }) => i.id)).not.toContain(late.id);
      for (const row of pendingOnly.json().data) expect(row.status).toBe('pending');
      // An expired invitation frees its slot: the same address can be invited again.
      expect((await invite(late.email, undefined, ownerAgain)).id).toBeGreaterThan(late.id);
    } finally {
      t.clock.advance(-(7 * DAY_MS));
    }
  });

  it('kills a revoked token and a resent-away token; the fresh token works', async () => {
    const revoked = await invite();
    expect((await t.request({ method: 'DELETE', url: `/api/v1/invitations/${revoked.id}`, headers: inWs(owner) })).statusCode).toBe(200);
    const revokedUser = await register(t, { email: revoked.email });
    expect((await accept(revokedUser, revoked.token)).statusCode).toBe(404);
    // Its unsent e-mail is cancelled, and the body with the dead link is gone.
    const revokedMail = await t.db.selectFrom('outbox_messages').select(['status', 'text_body']).where('recipient', '=', revoked.email).where('kind', '=', 'invitation').execute();
    expect(revokedMail).toHaveLength(1);
    expect(revokedMail[0]?.status).toBe('cancelled');
    expect(revokedMail[0]?.text_body).not.toContain(encodeURIComponent(revoked.token));

    const original = await invite();
    t.clock.advance(3 * DAY_MS);
    try {
      const ownerAgain = await signInAgain(t, owner);
      const resent = await t.request({ method: 'POST', url: `/api/v1/invitations/${original.id}/resend`, headers: inWs(ownerAgain) });
      expect(resent.statusCode).toBe(200);
      const fresh = resent.json().data as { token: string; expires_at: string };
      expect(fresh.token).not.toBe(original.token);
      expect(Date.parse(fresh.expires_at) - t.clock.now().getTime()).toBe(7 * DAY_MS);
      const user = await register(t, { email: original.email });
      expect((await accept(user, original.token)).statusCode).toBe(404);
      expect((await accept(user, fresh.token)).statusCode).toBe(200);
      const messages = await t.db.selectFrom('outbox_messages').select('status').where('recipient', '=', original.email).where('kind', '=', 'invitation').orderBy('id').execute();
      // The first was cancelled by the resend, the second by the acceptance: its link is dead now.
      expect(messages.map((m) => m.status)).toEqual(['cancelled', 'cancelled']);
    } finally {
      t.clock.advance(-3 * DAY_MS);
    }
  });
});

describe('races', () => {
  it('gives exactly one membership when 20 accepts of one token race', async () => {
    const invitation = await invite();
    const invitee = await register(t, { email: invitation.email });
    const responses = await Promise.all(Array.from({ length: 20 }, () => accept(invitee, invitation.token)));
    const statuses = responses.map((r) => r.statusCode);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    for (const status of statuses) expect([200, 404, 409]).toContain(status);
    const rows = await t.db.selectFrom('memberships').select('user_id').where('workspace_id', '=', workspaceId).where('user_id', '=', invitee.userId).execute();
    expect(rows).toHaveLength(1);
  });

  it('ends consistently when accept races revoke: accepted with a membership, or revoked without one', async () => {
    for (let round = 0; round < 10; round += 1) {
      const invitation = await invite();
      const invitee = await register(t, { email: invitation.email });
      const [accepted, revoked] = await Promise.all([
        accept(invitee, invitation.token),
        t.request({ method: 'DELETE', url: `/api/v1/invitations/${invitation.id}`, headers: inWs(owner) }),
      ]);
      const row = await t.db.selectFrom('invitations').select('status').where('id', '=', invitation.id).executeTakeFirstOrThrow();
      const member = await memberRole(invitee.userId);
      if (row.status === 'accepted') {
        expect(accepted.statusCode).toBe(200);
        expect(member).toBe('member');
        expect(revoked.statusCode).toBe(410);
      } else {
        expect(row.status).toBe('revoked');
        expect(revoked.statusCode).toBe(200);
        expect(accepted.statusCode).toBe(404);
        expect(member).toBeUndefined();
      }
    }
  });
});

describe('rate limits', () => {
  it('limits invitations per recipient with 429 and Retry-After', async () => {
    const limited = await startTestApp({ env: { INVITATION_RECIPIENT_RATE_LIMIT_MAX: '2', INVITATION_RATE_LIMIT_MAX: '100' } });
    try {
      const boss = await register(limited);
      const ws = await createWorkspace(limited, boss, 'Limited');
      const email = uniqueEmail('popular');
      const headers = { ...boss.auth, 'x-workspace-id': String(ws.id) };
      const first = await limited.request({ method: 'POST', url: '/api/v1/invitations', headers, payload: { email } });
      expect(first.statusCode).toBe(201);
      await limited.request({ method: 'DELETE', url: `/api/v1/invitations/${first.json().data.id}`, headers });
      expect((await limited.request({ method: 'POST', url: '/api/v1/invitations', headers, payload: { email } })).statusCode).toBe(201);
      const third = await limited.request({ method: 'POST', url: '/api/v1/invitations', headers, payload: { email } });
      expect(third.statusCode).toBe(429);
      expect(Number(third.headers['retry-after'])).toBeGreaterThan(0);
    } finally {
      await limited.close();
    }
  });
});
