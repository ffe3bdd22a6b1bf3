import { useState } from 'preact/hooks';
import { api, call } from '../api.ts';
import { common, defineText } from '../i18n.ts';
import { basePath, tenantSlug } from '../router.ts';
import { cookieTransport, session } from '../session.ts';
import { ActionStatus, Field, Link, Screen } from '../ui/components.tsx';
import { fieldErrors, formValues, useAction } from '../ui/hooks.ts';

export const signInText = defineText(
  {
    signIn: 'Sign in',
    register: 'Create an account',
    noAccount: 'No account yet?',
    haveAccount: 'Already have an account?',
    secondFactor: 'Second factor',
    code: 'Code from your authenticator app, or a recovery code',
    verify: 'Verify',
    enrollmentRequired: 'This tenant requires a second factor for your role. Set one up with your app through the API, then sign in again.',
    checkEmail: 'Account created. Open the link we e-mailed you to prove your address, then sign in.',
    passwordHint: '8 characters or more',
    singleSignOn: 'Single sign-on',
    continueWithSingleSignOn: 'Continue with single sign-on',
    singleSignOnHint: 'Your organization signs you in: give your work e-mail above, then continue.',
    emailFirst: 'Give your work e-mail first.',
  },
  {
    signIn: 'Iniciar sesión',
    register: 'Crear una cuenta',
    noAccount: '¿Aún no tienes cuenta?',
    haveAccount: '¿Ya tienes cuenta?',
    secondFactor: 'Segundo factor',
    code: 'Código de tu aplicación de autenticación, o un código de recuperación',
    verify: 'Verificar',
    enrollmentRequired: 'Este inquilino exige un segundo factor para tu rol. Configúralo con tu aplicación a través de la API y vuelve a iniciar sesión.',
    checkEmail: 'Cuenta creada. Abre el enlace que te enviamos por correo para comprobar tu dirección y luego inicia sesión.',
    passwordHint: '8 caracteres o más',
    singleSignOn: 'Inicio de sesión único',
    continueWithSingleSignOn: 'Continuar con inicio de sesión único',
    singleSignOnHint: 'Tu organización te identifica: escribe arriba tu correo del trabajo y continúa.',
    emailFirst: 'Escribe primero tu correo del trabajo.',
  },
);

/** Email and password, then the second factor when the account (or the tenant's policy) has one. */
export function SignInScreen(props: { ended: boolean; onSignedIn: () => Promise<void> }) {
  const text = signInText();
  const shared = common();
  const action = useAction();
  const [challenge, setChallenge] = useState<{ mfa_token: string; enrollment_required: boolean } | undefined>();
  const errors = fieldErrors(action.error);

  if (challenge) {
    return (
      <Screen title={text.secondFactor}>
        {challenge.enrollment_required ? (
          <p class="notice error" role="alert">
            {text.enrollmentRequired}
          </p>
        ) : (
          <form
            onSubmit={(event) => {
              const { code } = formValues(event);
              void action.run(async () => {
                const { data } = await call(
                  api.POST('/api/v1/auth/mfa/verify', { body: { mfa_token: challenge.mfa_token, code: code ?? '' }, headers: cookieTransport }),
                );
                session.accept(data);
                await props.onSignedIn();
              });
            }}
          >
            <Field label={text.code} name="code" autoComplete="one-time-code" inputMode="text" required error={errors.code} />
            <ActionStatus action={action} />
            <button type="submit" class="primary" disabled={action.busy}>
              {text.verify}
            </button>
          </form>
        )}
      </Screen>
    );
  }

  return (
    <Screen title={text.signIn}>
      {props.ended && (
        <p class="notice" role="status">
          {shared.sessionEnded}
        </p>
      )}
      <form
        onSubmit={(event) => {
          const { email, password } = formValues(event);
          void action.run(async () => {
            const { data, error, response } = await api.POST('/api/v1/auth/login', { body: { email: email ?? '', password: password ?? '' }, headers: cookieTransport });
            if (response.status === 202 && data && 'mfa_token' in data.data) {
              setChallenge(data.data);
              return;
            }
            const signedIn = await call(Promise.resolve({ data, error, response }));
            if ('access_token' in signedIn.data) session.accept(signedIn.data);
            await props.onSignedIn();
          });
        }}
      >
        <Field label={shared.email} name="email" type="email" autoComplete="username" required error={errors.email} />
        <Field label={shared.password} name="password" type="password" autoComplete="current-password" required error={errors.password} />
        <ActionStatus action={action} />
        <button type="submit" class="primary" disabled={action.busy}>
          {text.signIn}
        </button>
      </form>
      <SingleSignOn action={action} />
      <p>
        {text.noAccount} <Link href="/register">{text.register}</Link>
      </p>
    </Screen>
  );
}

/**
 * Single sign-on with the address typed above: the API answers where the provider is (and
 * sets the cookie binding the sign-in to this browser); the provider sends the browser back to
 * the console, signed in by the refresh-token cookie. Also the way on where a password is refused
 * (`AUTH.SSO_REQUIRED`).
 */
function SingleSignOn(props: { action: ReturnType<typeof useAction> }) {
  const text = signInText();
  return (
    <section aria-labelledby="sso-title">
      <h2 id="sso-title">{text.singleSignOn}</h2>
      <p class="hint">{text.singleSignOnHint}</p>
      <button
        type="button"
        disabled={props.action.busy}
        onClick={() => {
          const email = document.querySelector<HTMLInputElement>('#field-email')?.value.trim() ?? '';
          void props.action.run(async () => {
            if (email === '') throw new Error(text.emailFirst);
            const { data } = await call(
              api.GET('/api/v1/auth/sso/start', {
                params: { query: { email, return_to: `${basePath}/`, ...(tenantSlug !== undefined && { tenant: tenantSlug }) } },
                headers: { Accept: 'application/json' },
              }),
            );
            if (data && 'authorization_url' in data) location.assign(data.authorization_url);
          });
        }}
      >
        {text.continueWithSingleSignOn}
      </button>
    </section>
  );
}

/** Self sign-up (where the tenant allows it); signed in at once unless the tenant wants the address proved first. */
export function RegisterScreen(props: { onSignedIn: () => Promise<void> }) {
  const text = signInText();
  const shared = common();
  const action = useAction();
  const [pending, setPending] = useState(false);
  const errors = fieldErrors(action.error);
  return (
    <Screen title={text.register}>
      {pending ? (
        <p class="notice success" role="status">
          {text.checkEmail}
        </p>
      ) : (
        <form
          onSubmit={(event) => {
            const { name, email, password } = formValues(event);
            void action.run(async () => {
              const { data } = await call(
                api.POST('/api/v1/auth/register', { body: { name: name ?? '', email: email ?? '', password: password ?? '' }, headers: cookieTransport }),
              );
              if ('access_token' in data) {
                session.accept(data);
                await props.onSignedIn();
              } else setPending(true);
            });
          }}
        >
          <Field label={shared.name} name="name" autoComplete="name" required error={errors.name} />
          <Field label={shared.email} name="email" type="email" autoComplete="email" required error={errors.email} />
          <Field label={shared.password} name="password" type="password" autoComplete="new-password" required minLength={8} hint={text.passwordHint} error={errors.password} />
          <ActionStatus action={action} />
          <button type="submit" class="primary" disabled={action.busy}>
            {text.register}
          </button>
        </form>
      )}
      <p>
        {text.haveAccount} <Link href="/sign-in">{text.signIn}</Link>
      </p>
    </Screen>
  );
}
