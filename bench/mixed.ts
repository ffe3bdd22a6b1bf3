import type autocannon from 'autocannon';
import { call, expectPage, json, type Request, type Workload } from './http.ts';
import type { Server } from './processes.ts';
import type { MixSeen } from './report.ts';
import { seedMemberships, seedTenantUsers, type MembershipSeed } from './seed.ts';

/**
 * The mixed workload: one tenant of its own, with USERS users over WORKSPACES workspaces,
 * and one signed-in user per connection reading, now and then refreshing its tokens,
 * signing in again or changing a member's role, as a busy tenant's clients would.
 */
export const MIXED_TENANT = 'bench-mixed';
const USERS = 2_000;
const WORKSPACES = 50;
/** Signed in through the API, one per connection; the first WORKSPACES of them each own a workspace. */
export const SIGNED_IN = 64;
const PASSWORD = 'bench-mixed-password-1';
/** Each user is a member of 1 to this many workspaces (an owner's own included). */
const MAX_WORKSPACES_PER_USER = 3;
/** The roles a seeded membership is given, and how often. */
const SEEDED_ROLES: ReadonlyArray<readonly [role: string, weight: number]> = [
  ['admin', 1],
  ['member', 6],
  ['viewer', 3],
];
// Shares of a connection's requests; the rest are reads, a third each of /me, /workspaces and /members.
const REFRESH_SHARE = 1 / 50;
const SIGN_IN_SHARE = 1 / 200;
/** Of an owner's requests only: a member of its own workspace moved between `member` and `viewer`. */
const ROLE_CHANGE_SHARE = 1 / 500;
// Fixed, so every run seeds the same tenant; the request mix itself is drawn with Math.random.
const SEED = 12;

const MIX_KINDS = ['me', 'workspaces', 'members', 'refresh', 'signIn', 'roleChange'] as const;
type MixKind = (typeof MIX_KINDS)[number];
type Counts = Record<MixKind, { ok: number; failed: number }>;
type Latencies = Record<MixKind, number[]>;
const READ_KINDS = ['me', 'workspaces', 'members'] as const satisfies readonly MixKind[];
/** Requests that spend the connection's refresh token or replace its tokens. */
const TOKEN_KINDS: ReadonlySet<MixKind> = new Set(['refresh', 'signIn']);

/** One signed-in user, the state its connection carries from request to request and from run to run. */
interface Session {
  email: string;
  accessToken: string;
  refreshToken: string;
  /** Every workspace the user is a member of. */
  workspaceIds: number[];
  /** The workspace it owns, and the members whose role it moves, in turn. */
  owned?: { workspaceId: number; targets: Array<{ userId: number; role: 'member' | 'viewer' }>; next: number };
  /** The kind of the request sent and not yet answered. */
  awaiting?: MixKind;
  /** When it was built, which autocannon does right before writing it (performance.now()). */
  sentAt?: number;
  /** A refresh or sign-in failed: the tokens may be dead, so the next request signs in. */
  signInNext: boolean;
}

interface TokenPair {
  data: { access_token: string; refresh_token: string; user: { id: number } };
}

export interface MixedWorkload extends Workload {
  /** Starts counting afresh; called right before the measured seconds. */
  resetCounts(): void;
  /** What the connections saw since resetCounts, over `seconds`, with the server's cache hit rates over the same time. */
  seen(seconds: number, floorRequestsPerSec: number | undefined, cacheHitRates: MixSeen['cacheHitRates']): MixSeen;
}

/**
 * Seeds the tenant (users and their memberships straight into the database, the
 * workspaces through the API so their owners are real) and signs SIGNED_IN users in.
 */
export async function setUpMixedWorkload(server: Server, env: NodeJS.ProcessEnv): Promise<MixedWorkload> {
  const started = performance.now();
  const users = await seedTenantUsers(env, { slug: MIXED_TENANT, name: 'Bench mixed', count: USERS, password: PASSWORD });
  const signedIn = await Promise.all(users.slice(0, SIGNED_IN).map((user) => signIn(server, user.email)));
  const workspaceIds = await Promise.all(
    signedIn.slice(0, WORKSPACES).map(async (session, i) => {
      const created = await call(server, {
        method: 'POST',
        path: '/api/v1/workspaces',
        ...json({ name: `Bench mixed ${i + 1}` }, headersOf(session)),
      });
      return (created as { data: { id: number } }).data.id;
    }),
  );

  // Each user in 1–3 workspaces; a workspace's chance of being drawn grows from 1 to 2 with
  // its index, so the workspaces range from ~50 to ~110 members.
  const random = mulberry32(SEED);
  const byWeight = workspaceIds.map((_, w) => [w, 1 + w / (WORKSPACES - 1)] as const);
  const memberships: MembershipSeed[] = [];
  const workspacesOf = users.map((user, u) => {
    const own = u < WORKSPACES ? u : undefined;
    const chosen = own === undefined ? [] : [own];
    const wanted = 1 + Math.floor(random() * MAX_WORKSPACES_PER_USER);
    while (chosen.length < wanted) {
      const w = pick(random, byWeight);
      if (chosen.includes(w)) continue;
      chosen.push(w);
      memberships.push({ workspaceId: workspaceIds[w] as number, userId: user.id, role: pick(random, SEEDED_ROLES) });
    }
    return chosen.map((w) => workspaceIds[w] as number);
  });
  await seedMemberships(env, memberships);

  const sessions = signedIn.map((session, u): Session => {
    const ownedId = workspaceIds[u];
    const targets = memberships
      .filter((m) => m.workspaceId === ownedId && (m.role === 'member' || m.role === 'viewer'))
      .map((m) => ({ userId: m.userId, role: m.role as 'member' | 'viewer' }));
    return {
      ...session,
      workspaceIds: workspacesOf[u] ?? [],
      ...(ownedId === undefined ? {} : { owned: { workspaceId: ownedId, targets, next: 0 } }),
    };
  });
  const sizes = workspaceIds.map((id) => 1 + memberships.filter((m) => m.workspaceId === id).length);
  if (sessions.some((s) => s.owned && s.owned.targets.length === 0)) throw new Error('mixed: an owned workspace has no member to change');

  // Each once outside the measurement, and the lists checked.
  const first = sessions[0] as Session;
  await expectPage(server, { method: 'GET', path: '/api/v1/workspaces', headers: headersOf(first) }, first.workspaceIds.length, false);
  const firstSize = sizes[0] as number;
  await expectPage(
    server,
    { method: 'GET', path: '/api/v1/members', headers: headersOf(first, workspaceIds[0]) },
    Math.min(firstSize, 50),
    firstSize > 50,
  );
  console.log(
    `  mixed: seeded ${USERS.toLocaleString('en-US')} users and ${memberships.length.toLocaleString('en-US')} memberships ` +
      `over ${WORKSPACES} workspaces (${Math.min(...sizes)}–${Math.max(...sizes)} members each), ` +
      `signed in ${SIGNED_IN} in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  return mixedWorkload(server, sessions);
}

function mixedWorkload(server: Server, sessions: readonly Session[]): MixedWorkload {
  let counts = emptyCounts();
  let latencies = emptyLatencies();

  /** The next request of a connection, drawn per the mix. */
  function nextKind(session: Session): MixKind {
    // An unanswered refresh or sign-in (cut off by the end of a run, or timed out) may have
    // spent the refresh token: signing in again is what a client would do.
    if (session.signInNext || (session.awaiting !== undefined && TOKEN_KINDS.has(session.awaiting))) return 'signIn';
    let draw = Math.random();
    if (session.owned && (draw -= ROLE_CHANGE_SHARE) < 0) return 'roleChange';
    if ((draw -= SIGN_IN_SHARE) < 0) return 'signIn';
    if ((draw -= REFRESH_SHARE) < 0) return 'refresh';
    return READ_KINDS[Math.floor(Math.random() * READ_KINDS.length)] ?? 'me';
  }

  function requestOf(session: Session, kind: MixKind): Request {
    switch (kind) {
      case 'me':
        return { method: 'GET', path: '/api/v1/me', headers: headersOf(session) };
      case 'workspaces':
        return { method: 'GET', path: '/api/v1/workspaces', headers: headersOf(session) };
      case 'members': {
        const workspaceId = session.workspaceIds[Math.floor(Math.random() * session.workspaceIds.length)];
        return { method: 'GET', path: '/api/v1/members', headers: headersOf(session, workspaceId) };
      }
      case 'refresh':
        return {
          method: 'POST',
          path: '/api/v1/auth/refresh',
          ...json({ refresh_token: session.refreshToken }, { 'x-tenant': MIXED_TENANT }),
        };
      case 'signIn':
        return signInRequest(session.email);
      case 'roleChange': {
        const owned = session.owned;
        const target = owned?.targets[owned.next++ % owned.targets.length];
        if (!owned || !target) throw new Error('mixed: a role change from a connection that owns no workspace');
        target.role = target.role === 'member' ? 'viewer' : 'member';
        return {
          method: 'PUT',
          path: `/api/v1/members/${target.userId}`,
          ...json({ role: target.role }, headersOf(session, owned.workspaceId)),
        };
      }
    }
  }

  function onResponse(session: Session, status: number, body: string): void {
    const kind = session.awaiting;
    session.awaiting = undefined;
    if (kind === undefined) return;
    const ok = status >= 200 && status < 300;
    counts[kind][ok ? 'ok' : 'failed'] += 1;
    if (session.sentAt !== undefined) latencies[kind].push(performance.now() - session.sentAt);
    if (!TOKEN_KINDS.has(kind)) return;
    session.signInNext = !ok;
    if (ok) {
      const { data } = JSON.parse(body) as TokenPair;
      session.accessToken = data.access_token;
      session.refreshToken = data.refresh_token;
    }
  }

  return {
    setupClient(connections) {
      // Two connections on one session would refresh its token concurrently: a reuse, which revokes it.
      if (connections > sessions.length) throw new Error(`mixed: ${connections} connections for ${sessions.length} users`);
      let next = 0;
      return (client: autocannon.Client) => {
        const session = sessions[next++];
        if (!session) throw new Error('mixed: more connections than users');
        client.setRequests([
          {
            setupRequest: (request) => {
              const kind = nextKind(session);
              session.awaiting = kind;
              session.sentAt = performance.now();
              const { method, path, headers, body } = requestOf(session, kind);
              return { ...request, method, path, headers, body };
            },
            onResponse: (status, body) => onResponse(session, status, body),
          },
        ]);
      };
    },
    resetCounts() {
      counts = emptyCounts();
      latencies = emptyLatencies();
    },
    seen(seconds, floorRequestsPerSec, cacheHitRates) {
      const reads = READ_KINDS.reduce((sum, kind) => sum + counts[kind].ok, 0);
      const readsPerSec = reads / seconds;
      return {
        readsPerSec,
        readsRatioToFloor: readsPerSec / (floorRequestsPerSec ?? readsPerSec),
        requests: structuredClone(counts),
        latencyMs: Object.fromEntries(MIX_KINDS.map((kind) => [kind, percentiles(latencies[kind])])),
        cacheHitRates,
      };
    },
  };

  function emptyCounts(): Counts {
    return Object.fromEntries(MIX_KINDS.map((kind) => [kind, { ok: 0, failed: 0 }])) as Counts;
  }

  function emptyLatencies(): Latencies {
    return Object.fromEntries(MIX_KINDS.map((kind) => [kind, []])) as unknown as Latencies;
  }
}

/** The median and 99th percentile of `samples` (ms), or null when there are none. */
function percentiles(samples: readonly number[]): { p50: number; p99: number } | null {
  if (samples.length === 0) return null;
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (share: number) => sorted[Math.min(sorted.length - 1, Math.floor(share * sorted.length))] as number;
  return { p50: at(0.5), p99: at(0.99) };
}

async function signIn(server: Server, email: string): Promise<Pick<Session, 'email' | 'accessToken' | 'refreshToken' | 'signInNext'>> {
  const { data } = (await call(server, signInRequest(email))) as TokenPair;
  return { email, accessToken: data.access_token, refreshToken: data.refresh_token, signInNext: false };
}

function signInRequest(email: string): Request {
  return { method: 'POST', path: '/api/v1/auth/login', ...json({ email, password: PASSWORD }, { 'x-tenant': MIXED_TENANT }) };
}

function headersOf(session: Pick<Session, 'accessToken'>, workspaceId?: number): Record<string, string> {
  return {
    authorization: `Bearer ${session.accessToken}`,
    'x-tenant': MIXED_TENANT,
    ...(workspaceId === undefined ? {} : { 'x-workspace-id': String(workspaceId) }),
  };
}

/** One of `choices`, drawn in proportion to its weight. */
function pick<T>(random: () => number, choices: ReadonlyArray<readonly [T, number]>): T {
  let draw = random() * choices.reduce((sum, [, weight]) => sum + weight, 0);
  for (const [choice, weight] of choices) {
    if ((draw -= weight) < 0) return choice;
  }
  const last = choices.at(-1);
  if (!last) throw new Error('pick: no choices');
  return last[0];
}

/** A small seeded PRNG (mulberry32): the same tenant on every run. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
