import type * as preact from 'preact';
import { useContext, useEffect, useState } from 'preact/hooks';
import { api, call, setTabWorkspace } from './api.ts';
import { SignedInContext, WorkspaceContext, type Me, type SignedIn } from './context.ts';
import { common, locale, setLocale, type Locale } from './i18n.ts';
import { matchPath, navigate, useLocation } from './router.ts';
import { cookieTransport, session } from './session.ts';
import { AcceptInvitationScreen } from './screens/accept-invitation.tsx';
import { RegisterScreen, SignInScreen } from './screens/sign-in.tsx';
import { TENANT_SCREENS, WORKSPACE_SCREENS } from './screens/index.ts';
import { WorkspacesScreen, workspacesText } from './screens/workspaces.tsx';
import { ErrorNotice, Link, Loading } from './ui/components.tsx';
import { useLoad } from './ui/hooks.ts';

type Boot = { state: 'starting' } | { state: 'signed-out'; ended?: boolean } | { state: 'signed-in'; me: Me };

export function App() {
  const [language, setLanguage] = useState<Locale>(locale());
  const [boot, setBoot] = useState<Boot>({ state: 'starting' });
  const { path, query } = useLocation();

  const loadMe = async () => {
    const { data } = await call(api.GET('/api/v1/me'));
    setBoot({ state: 'signed-in', me: data });
  };

  useEffect(() => {
    // A reload or a new tab: the cookie gives this tab its own access token.
    void session.refresh().then((live) => (live ? loadMe() : setBoot({ state: 'signed-out' })));
    return session.onEnd(() => setBoot({ state: 'signed-out', ended: true }));
  }, []);

  const changeLanguage = (next: Locale) => {
    setLocale(next);
    setLanguage(next);
  };

  if (boot.state === 'starting') return <Loading when />;

  const onSignedIn = async (returnTo: string) => {
    await loadMe();
    navigate(returnTo, { replace: true });
  };

  const signedIn: SignedIn | undefined = boot.state === 'signed-in' ? {
    me: boot.me,
    reloadMe: loadMe,
    signOut: async () => {
      await call(api.POST('/api/v1/auth/logout', { headers: cookieTransport })).catch(() => undefined);
      session.forget();
      setBoot({ state: 'signed-out' });
      navigate('/sign-in', { replace: true });
    },
  } : undefined;

  if (matchPath('/invitations/accept', path)) {
    return (
      <SignedInContext.Provider value={signedIn}>
        <PublicFrame language={language} onLanguage={changeLanguage}>
          <AcceptInvitationScreen signedIn={signedIn !== undefined} onSignedIn={onSignedIn} />
        </PublicFrame>
      </SignedInContext.Provider>
    );
  }

  if (boot.state === 'signed-out') {
    const register = matchPath('/register', path) !== undefined;
    // Back where the user was headed: the screen asked for, or one a sign-in link names (inside the console only).
    const asked = query.get('return');
    const returnTo = asked?.startsWith('/') && !asked.startsWith('//') ? asked : register || matchPath('/sign-in', path) ? '/' : path + location.search;
    return (
      <PublicFrame language={language} onLanguage={changeLanguage}>
        {register ? (
          <RegisterScreen onSignedIn={() => onSignedIn('/')} />
        ) : (
          <SignInScreen ended={boot.ended === true} onSignedIn={() => onSignedIn(returnTo)} />
        )}
      </PublicFrame>
    );
  }

  return (
    <SignedInContext.Provider value={signedIn}>
      <SignedInRoutes key={language} path={path} me={boot.me} language={language} onLanguage={changeLanguage} />
    </SignedInContext.Provider>
  );
}

function SignedInRoutes(props: { path: string; me: Me; language: Locale; onLanguage: (next: Locale) => void }) {
  const { path, me } = props;
  const text = common();
  const inWorkspace = /^\/w\/(\d+)(?:\/(.*))?$/.exec(path);
  if (inWorkspace) {
    return <WorkspaceShell key={inWorkspace[1]} workspaceId={Number(inWorkspace[1])} rest={inWorkspace[2] ?? ''} {...props} />;
  }
  const tenantScreen = TENANT_SCREENS.map((screen) => ({ screen, params: matchPath(`/tenant/${screen.path}`, path) })).find((m) => m.params);
  const body = tenantScreen?.params ? (
    <tenantScreen.screen.component params={tenantScreen.params} />
  ) : matchPath('/workspaces', path) ? (
    <WorkspacesScreen />
  ) : path === '/' || matchPath('/sign-in', path) || matchPath('/register', path) ? (
    <Home me={me} />
  ) : (
    <p role="alert">{text.notFound}</p>
  );
  return (
    <Frame language={props.language} onLanguage={props.onLanguage} workspaceId={undefined} rest="" tenantScreen={tenantScreen?.params && tenantScreen.screen.path}>
      {body}
    </Frame>
  );
}

/** Where a signed-in user lands: their current (or default) workspace, else the list to pick or create one. */
function Home(props: { me: Me }) {
  useEffect(() => {
    const target = props.me.current_workspace_id ?? props.me.default_workspace_id;
    navigate(target !== null ? `/w/${target}/members` : '/workspaces', { replace: true });
  }, [props.me]);
  return <Loading when />;
}

function WorkspaceShell(props: { workspaceId: number; rest: string; language: Locale; onLanguage: (next: Locale) => void }) {
  const { workspaceId, rest } = props;
  setTabWorkspace(workspaceId);
  const loaded = useLoad(async () => {
    const [workspace, permissions] = await Promise.all([
      call(api.GET('/api/v1/workspaces/{id}', { params: { path: { id: String(workspaceId) } } })),
      call(api.GET('/api/v1/permissions/me')),
    ]);
    return { workspace: workspace.data, permissions: permissions.data };
  }, [workspaceId]);
  const text = common();
  const match = WORKSPACE_SCREENS.flatMap((screen) => [screen.path, ...(screen.subPaths ?? [])].map((pattern) => ({ screen, params: matchPath(`/${pattern}`, `/${rest}`) }))).find(
    (candidate) => candidate.params,
  );
  let body;
  if (loaded.error) body = <ErrorNotice error={loaded.error} />;
  else if (!loaded.data) body = <Loading when />;
  else if (!match?.params) body = <p role="alert">{text.notFound}</p>;
  else {
    const value = {
      workspace: loaded.data.workspace,
      permissions: new Set(loaded.data.permissions.permissions),
      role: loaded.data.permissions.role,
      reload: loaded.reload,
    };
    body = (
      <WorkspaceContext.Provider value={value}>
        <match.screen.component params={match.params} />
      </WorkspaceContext.Provider>
    );
  }
  return (
    <Frame
      language={props.language}
      onLanguage={props.onLanguage}
      workspaceId={workspaceId}
      rest={rest}
      permissions={loaded.data ? new Set(loaded.data.permissions.permissions) : undefined}
    >
      {body}
    </Frame>
  );
}

const frameText = () => common();

/** The page around every signed-in screen: the header (this tab's workspace, language, sign-out) and the navigation. */
function Frame(props: {
  children: preact.ComponentChildren;
  language: Locale;
  onLanguage: (next: Locale) => void;
  workspaceId: number | undefined;
  rest: string;
  permissions?: ReadonlySet<string>;
  /** The tenant screen shown, if one is. */
  tenantScreen?: string | undefined;
}) {
  const { me, signOut } = useSignedInFrame();
  const text = frameText();
  const current = props.rest.split('/')[0] ?? '';
  const workspaces = useLoad(async () => (await call(api.GET('/api/v1/workspaces', { params: { query: { limit: 100 } } }))).data, []);
  const isTenantAdmin = me.tenant_role !== 'member';
  return (
    <div class="layout">
      <a class="skip-link" href="#main">
        {text.skipToContent}
      </a>
      <header class="top">
        <span class="brand">{text.appName}</span>
        <div class="field inline">
          <label for="workspace-switcher">{text.switchWorkspace}</label>
          <select
            id="workspace-switcher"
            value={props.workspaceId === undefined ? '' : String(props.workspaceId)}
            onChange={(event) => {
              const id = event.currentTarget.value;
              if (id === '') navigate('/workspaces');
              else navigate(`/w/${id}/${current === '' ? 'members' : current}`);
            }}
          >
            <option value="">{workspacesText().all}</option>
            {(workspaces.data ?? []).map((workspace) => (
              <option key={workspace.id} value={String(workspace.id)}>
                {workspace.name}
              </option>
            ))}
          </select>
        </div>
        <LanguageChoice language={props.language} onLanguage={props.onLanguage} />
        <span class="user" title={me.email}>
          {me.name}
        </span>
        <button type="button" onClick={() => void signOut()}>
          {text.signOut}
        </button>
      </header>
      <nav class="side" aria-label={text.mainNavigation}>
        <ul>
          <li>
            <Link href="/workspaces" current={props.workspaceId === undefined && current === '' && props.tenantScreen === undefined}>
              {workspacesText().title}
            </Link>
          </li>
          {props.workspaceId !== undefined &&
            WORKSPACE_SCREENS.filter((screen) => !screen.permission || props.permissions?.has(screen.permission)).map((screen) => (
              <li key={screen.path}>
                <Link href={`/w/${props.workspaceId}/${screen.path}`} current={current === screen.path.split('/')[0]}>
                  {screen.label()}
                </Link>
              </li>
            ))}
          {isTenantAdmin &&
            TENANT_SCREENS.map((screen) => (
              <li key={`tenant-${screen.path}`}>
                <Link href={`/tenant/${screen.path}`} current={props.tenantScreen === screen.path}>
                  {screen.label()}
                </Link>
              </li>
            ))}
        </ul>
      </nav>
      <main id="main" class="content">
        {props.children}
      </main>
    </div>
  );
}

function useSignedInFrame(): SignedIn {
  const value = useContext(SignedInContext);
  if (!value) throw new Error('Frame outside a signed-in session');
  return value;
}

/** Outside a session: the sign-in, registration and invitation screens, with the language choice. */
function PublicFrame(props: { children: preact.ComponentChildren; language: Locale; onLanguage: (next: Locale) => void }) {
  const text = common();
  return (
    <div class="public" key={props.language}>
      <header class="top">
        <span class="brand">{text.appName}</span>
        <LanguageChoice language={props.language} onLanguage={props.onLanguage} />
      </header>
      <main id="main" class="content narrow">
        {props.children}
      </main>
    </div>
  );
}

function LanguageChoice(props: { language: Locale; onLanguage: (next: Locale) => void }) {
  return (
    <div class="field inline">
      <label for="language">{common().language}</label>
      <select id="language" value={props.language} onChange={(event) => props.onLanguage(event.currentTarget.value as Locale)}>
        <option value="en">English</option>
        <option value="es">Español</option>
      </select>
    </div>
  );
}
