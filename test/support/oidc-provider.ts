import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A real OpenID provider for tests: oidc-provider on http://127.0.0.1:<ephemeral port>, with
 * discovery, the authorization code flow with PKCE (S256, required), state and nonce, and the
 * scopes openid, email and profile whose claims all go into the ID token.
 *
 * Clients and accounts live in memory and can change at any time. `signIn` plays the browser:
 * it follows the authorization URL, signs the account in and consents at the interaction
 * pages served here, and hands back the redirect to the relying party without requesting it.
 *
 * The ID token comes from the token endpoint, so a relying party's checks are proved against
 * what it really receives; `tamperNextNonce` makes the next one carry a nonce nobody asked for.
 */

export interface TestClient {
  client_id: string;
  client_secret: string;
  redirect_uris: string[];
  /** client_secret_post by default: what openid-client uses when given a client secret. */
  token_endpoint_auth_method?: 'client_secret_post' | 'client_secret_basic';
}

export interface TestAccountClaims {
  email: string;
  email_verified: boolean;
  name?: string;
}

export interface TestIdentityProviderOptions {
  clients?: TestClient[];
}

export interface TestIdentityProvider {
  /** http://127.0.0.1:<port>, no trailing slash: the `iss` of every token and the discovery base. */
  readonly issuer: string;
  /** Registers the client, or replaces the one with the same client_id. */
  addClient(client: TestClient): void;
  /** Creates or replaces the account `sub`; its claims are read at each sign-in. */
  setAccount(sub: string, claims: TestAccountClaims): void;
  /**
   * Follows `authorizationUrl` as the browser would, signs in as `sub` and consents to what is
   * asked; resolves with the URL the provider redirects to (the relying party's redirect_uri
   * with `code` and `state`, or with `error`), which is not requested.
   */
  signIn(authorizationUrl: string, sub: string): Promise<string>;
  /** The next authorization code issued yields an ID token whose nonce differs from the one requested. */
  tamperNextNonce(): void;
  close(): Promise<void>;
}

// oidc-provider ships no type declarations (DefinitelyTyped's are not installed): the part used here.
interface OidcProvider {
  callback(): (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
  interactionFinished(req: IncomingMessage, res: ServerResponse, result: object, options: { mergeWithLastSubmission: boolean }): Promise<void>;
  Grant: {
    new (init: { accountId: string; clientId: string }): OidcGrant;
    find(id: string): Promise<OidcGrant | undefined>;
  };
}

interface InteractionDetails {
  prompt: {
    name: string;
    details: { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
  };
  params: Record<string, unknown>;
  session?: { accountId: string };
  grantId?: string;
}

interface OidcGrant {
  addOIDCScope(scope: string): void;
  addOIDCClaims(claims: string[]): void;
  addResourceScope(resource: string, scope: string): void;
  save(): Promise<string>;
}

type ProviderConstructor = new (issuer: string, configuration: object) => OidcProvider;

type StoredPayload = Record<string, unknown> & { grantId?: string; uid?: string; consumed?: number };

const TTL_SECONDS = 600;

/**
 * A new RSA signing key as a private JWK. Generated as PEM and read back, not exported from
 * the generated key object: on Node 20, a garbage collection during that JWK export can
 * collect the finished key-generation job, whose destructor waits for the lock the export
 * holds, and the process hangs (seen once in the suite, in crypto::KeyGenJob's destructor).
 */
function signingJwk() {
  const pem = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } }).privateKey;
  return createPrivateKey(pem).export({ format: 'jwk' });
}

export async function startTestIdentityProvider(options: TestIdentityProviderOptions = {}): Promise<TestIdentityProvider> {
  const Provider = await loadProvider();
  const clients = new Map<string, TestClient>();
  const accounts = new Map<string, TestAccountClaims>();
  const stored = new Map<string, { payload: StoredPayload; expiresAt: number }>();
  let tamperNonce = false;

  const addClient = (client: TestClient) => {
    clients.set(client.client_id, { token_endpoint_auth_method: 'client_secret_post', ...client });
  };
  for (const client of options.clients ?? []) addClient(client);

  // An adapter rather than the `clients` setting: clients can then be added and changed after start.
  const adapterFor = (model: string) => {
    const key = (id: string) => `${model}:${id}`;
    const live = (entry: { payload: StoredPayload; expiresAt: number } | undefined) =>
      entry && entry.expiresAt > Date.now() ? entry.payload : undefined;
    return {
      async upsert(id: string, payload: StoredPayload, expiresIn?: number) {
        // The code carries the nonce into the ID token, and nothing in its opaque format protects it.
        if (model === 'AuthorizationCode' && tamperNonce) {
          tamperNonce = false;
          payload.nonce = `tampered-${String(payload.nonce)}`;
        }
        stored.set(key(id), { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : Infinity });
      },
      async find(id: string) {
        if (model === 'Client') return structuredClone(clients.get(id));
        return live(stored.get(key(id)));
      },
      async findByUid(uid: string) {
        for (const [name, entry] of stored) if (name.startsWith(key('')) && entry.payload.uid === uid) return live(entry);
        return undefined;
      },
      async consume(id: string) {
        const entry = stored.get(key(id));
        if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
      },
      async destroy(id: string) {
        stored.delete(key(id));
      },
      async revokeByGrantId(grantId: string) {
        for (const [name, entry] of stored) if (entry.payload.grantId === grantId) stored.delete(name);
      },
    };
  };

  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const provider = new Provider(issuer, {
    adapter: adapterFor,
    findAccount: async (_ctx: unknown, sub: string) => {
      const claims = accounts.get(sub);
      return claims && { accountId: sub, claims: async () => ({ sub, ...claims }) };
    },
    jwks: { keys: [{ ...signingJwk(), kid: 'test-key', use: 'sig', alg: 'RS256' }] },
    cookies: { keys: ['tessera test identity provider cookie key'] },
    scopes: ['openid', 'email', 'profile'],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    // Scope claims in the ID token too: a relying party reads them there, without a userinfo request.
    conformIdTokenClaims: false,
    responseTypes: ['code'],
    pkce: { required: () => true },
    clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
    features: { devInteractions: { enabled: false } },
    // Set because the provider announces on the console each default TTL it uses.
    ttl: { AccessToken: TTL_SECONDS, AuthorizationCode: 60, IdToken: TTL_SECONDS, Interaction: TTL_SECONDS, Session: TTL_SECONDS, Grant: TTL_SECONDS },
    // Plain text, so that signIn can quote a refusal in the error it throws (and no console notice about the default page).
    renderError: async (ctx: { type: string; body: string }, out: Record<string, string>) => {
      ctx.type = 'text/plain';
      ctx.body = Object.entries(out).map(([name, value]) => `${name}: ${value}`).join('\n');
    },
  });

  const handleProvider = provider.callback();
  server.on('request', (req, res) => {
    const handled = req.url?.startsWith('/interaction/') ? interact(provider, accounts, req, res) : handleProvider(req, res);
    handled.catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(error instanceof Error ? error.message : String(error));
    });
  });

  return {
    issuer,
    addClient,
    setAccount(sub, claims) {
      accounts.set(sub, claims);
    },
    tamperNextNonce() {
      tamperNonce = true;
    },
    async signIn(authorizationUrl, sub) {
      if (!accounts.has(sub)) throw new Error(`signIn: no account ${sub}; setAccount first`);
      const redirectUri = new URL(authorizationUrl).searchParams.get('redirect_uri');
      if (!redirectUri) throw new Error('signIn: the authorization URL has no redirect_uri');
      const target = withoutQuery(new URL(redirectUri));
      const jar = new CookieJar();
      let next = new URL(authorizationUrl);
      // Authorization, login, resume, consent, resume: a few more hops than that means a loop.
      for (let hop = 0; hop < 10; hop += 1) {
        if (withoutQuery(next) === target) return next.href;
        if (next.origin !== issuer) throw new Error(`signIn: led to ${next.href}, neither the provider nor the redirect_uri`);
        const submit = next.pathname.startsWith('/interaction/');
        const response = await fetch(next, {
          method: submit ? 'POST' : 'GET',
          redirect: 'manual',
          headers: { cookie: jar.header(next), ...(submit ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
          ...(submit ? { body: new URLSearchParams({ sub }).toString() } : {}),
        });
        jar.store(response, next);
        const location = response.headers.get('location');
        const body = await response.text();
        if (response.status < 300 || response.status >= 400 || !location) {
          throw new Error(`signIn: ${submit ? 'POST' : 'GET'} ${next.pathname} answered ${response.status}: ${body.slice(0, 500)}`);
        }
        next = new URL(location, next);
      }
      throw new Error('signIn: too many redirects');
    },
    async close() {
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // fetch keeps its connections alive; close() would wait for them to time out.
        server.closeAllConnections();
      });
    },
  };
}

/**
 * The interaction pages the provider sends the browser to. A POST with `sub` completes the
 * prompt pending, login or consent (granting whatever is asked); a GET shows the form that does
 * so, for a test driving a real browser.
 */
async function interact(provider: OidcProvider, accounts: Map<string, TestAccountClaims>, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><form method="post"><input name="sub" autofocus><button>Continue</button></form>');
    return;
  }
  const sub = new URLSearchParams(await readBody(req)).get('sub') ?? '';
  if (!accounts.has(sub)) {
    res.writeHead(400, { 'content-type': 'text/plain' });
    res.end(`no account ${sub}`);
    return;
  }
  const details = await provider.interactionDetails(req, res);
  if (details.prompt.name === 'login') {
    await provider.interactionFinished(req, res, { login: { accountId: sub } }, { mergeWithLastSubmission: false });
    return;
  }
  if (details.prompt.name !== 'consent' || !details.session) throw new Error(`interaction: prompt ${details.prompt.name} not handled`);
  const grant =
    (details.grantId ? await provider.Grant.find(details.grantId) : undefined) ??
    new provider.Grant({ accountId: details.session.accountId, clientId: String(details.params.client_id) });
  const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = details.prompt.details;
  if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(' '));
  if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
  for (const [resource, scopes] of Object.entries(missingResourceScopes ?? {})) grant.addResourceScope(resource, scopes.join(' '));
  await provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
}

/**
 * Loaded when first needed rather than imported: oidc-provider warns on load that Node 20 is not
 * a runtime it supports (it works on Node 20.19+ all the same), and that one warning is dropped.
 */
async function loadProvider(): Promise<ProviderConstructor> {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (!String(args[0]).includes('Unsupported runtime')) warn(...args);
  };
  try {
    // A specifier held in a variable: TypeScript does not look for declarations the package lacks.
    const specifier: string = 'oidc-provider';
    const loaded = (await import(specifier)) as { Provider: ProviderConstructor };
    return loaded.Provider;
  } finally {
    console.warn = warn;
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function withoutQuery(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

/** Just enough of a browser's cookie store for one host: the provider scopes its cookies by path. */
class CookieJar {
  private readonly cookies = new Map<string, { name: string; value: string; path: string }>();

  store(response: Response, url: URL): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      let path = url.pathname.slice(0, url.pathname.lastIndexOf('/')) || '/';
      let expired = value === '';
      for (const attribute of attributes) {
        const [key = '', setting = ''] = attribute.split('=');
        if (key.toLowerCase() === 'path') path = setting;
        if (key.toLowerCase() === 'expires' && Date.parse(setting) <= Date.now()) expired = true;
        if (key.toLowerCase() === 'max-age' && Number(setting) <= 0) expired = true;
      }
      const id = `${path} ${name}`;
      if (expired) this.cookies.delete(id);
      else this.cookies.set(id, { name, value, path });
    }
  }

  header(url: URL): string {
    return [...this.cookies.values()]
      .filter(({ path }) => url.pathname === path || url.pathname.startsWith(path.endsWith('/') ? path : `${path}/`))
      .map(({ name, value }) => `${name}=${value}`)
      .join('; ');
  }
}
