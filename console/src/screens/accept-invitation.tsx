import { useState } from 'preact/hooks';
import { api, call } from '../api.ts';
import { useSignedInMaybe } from '../context.ts';
import { common, defineText, formatDate } from '../i18n.ts';
import { navigate } from '../router.ts';
import { cookieTransport, session } from '../session.ts';
import { ActionStatus, ErrorNotice, Field, Loading, Screen } from '../ui/components.tsx';
import { fieldErrors, formValues, useAction, useLoad } from '../ui/hooks.ts';

const text = defineText(
  {
    title: 'Invitation',
    summary: (inviter: string | null, workspace: string, role: string, expires: string) =>
      `${inviter ?? 'Someone'} invited you to join “${workspace}” as ${role}. The invitation expires on ${expires}.`,
    noToken: 'This link has no invitation in it. Open the link from the e-mail again.',
    accept: 'Accept and join',
    acceptAs: (email: string) => `You are signed in as ${email}. The invitation must be for this address.`,
    decline: 'Decline the invitation',
    declined: 'You declined the invitation.',
    newAccount: 'New here? Create your account',
    emailHint: 'The invited address',
    registerAndJoin: 'Create account and join',
    haveAccount: 'Already have an account?',
    signInToAccept: 'Sign in to accept',
    proveFirst: 'Account created. This tenant wants your address proved first: open the link we e-mailed you, then open this invitation again to join.',
  },
  {
    title: 'Invitación',
    summary: (inviter: string | null, workspace: string, role: string, expires: string) =>
      `${inviter ?? 'Alguien'} te invitó a unirte a «${workspace}» como ${role}. La invitación vence el ${expires}.`,
    noToken: 'Este enlace no trae ninguna invitación. Vuelve a abrir el enlace del correo.',
    accept: 'Aceptar y unirme',
    acceptAs: (email: string) => `Iniciaste sesión como ${email}. La invitación debe ser para esta dirección.`,
    decline: 'Rechazar la invitación',
    declined: 'Rechazaste la invitación.',
    newAccount: '¿Eres nuevo? Crea tu cuenta',
    emailHint: 'La dirección invitada',
    registerAndJoin: 'Crear cuenta y unirme',
    haveAccount: '¿Ya tienes cuenta?',
    signInToAccept: 'Inicia sesión para aceptar',
    proveFirst: 'Cuenta creada. Este inquilino pide comprobar tu dirección primero: abre el enlace que te enviamos por correo y luego vuelve a abrir esta invitación para unirte.',
  },
);

/**
 * The token rides in the link's fragment, which no request carries; it is read once, kept in
 * this tab's memory (so a sign-in on the way keeps it) and dropped from the address bar.
 */
let invitationToken: string | undefined;
function tokenOfLink(): string | undefined {
  const fromFragment = new URLSearchParams(location.hash.slice(1)).get('token');
  if (fromFragment) {
    invitationToken = fromFragment;
    history.replaceState(null, '', location.pathname + location.search);
  }
  return invitationToken;
}

/** Where an invitation e-mail leads: join as the signed-in user, or register with the invited address, or decline. */
export function AcceptInvitationScreen(props: { signedIn: boolean; onSignedIn: (returnTo: string) => Promise<void> }) {
  const t = text();
  const shared = common();
  const [token] = useState(tokenOfLink);
  const signedIn = useSignedInMaybe();
  const action = useAction();
  const [declined, setDeclined] = useState(false);
  const [mustProve, setMustProve] = useState(false);
  const preview = useLoad(async () => (token ? (await call(api.POST('/api/v1/invitations/lookup', { body: { token } }))).data : undefined), [token]);
  const errors = fieldErrors(action.error);

  if (!token) {
    return (
      <Screen title={t.title}>
        <p class="notice error" role="alert">
          {t.noToken}
        </p>
      </Screen>
    );
  }
  const join = async () => {
    const accepted = await call(api.POST('/api/v1/invitations/accept', { body: { token } }));
    invitationToken = undefined;
    await props.onSignedIn(`/w/${accepted.data.workspace_id}/members`);
  };
  return (
    <Screen title={t.title}>
      <ErrorNotice error={preview.error} />
      <Loading when={preview.loading} />
      {preview.data && <p>{t.summary(preview.data.inviter_name, preview.data.workspace_name, preview.data.role, formatDate(preview.data.expires_at))}</p>}
      <ActionStatus action={action} />
      {declined || mustProve ? (
        <p class="notice success" role="status">
          {declined ? t.declined : t.proveFirst}
        </p>
      ) : (
        preview.data && (
          <>
            {props.signedIn ? (
              <>
                {signedIn && <p>{t.acceptAs(signedIn.me.email)}</p>}
                <button type="button" class="primary" disabled={action.busy} onClick={() => void action.run(join)}>
                  {t.accept}
                </button>
              </>
            ) : (
              <>
                <h2>{t.newAccount}</h2>
                <form
                  onSubmit={(event) => {
                    const { name, email, password } = formValues(event);
                    void action.run(async () => {
                      const registered = await call(
                        api.POST('/api/v1/auth/register', {
                          body: { name: name ?? '', email: email ?? '', password: password ?? '', invitation_token: token },
                          headers: cookieTransport,
                        }),
                      );
                      // The tenant wants the address proved before anyone joins: the invitation stays usable.
                      if (!('access_token' in registered.data)) return setMustProve(true);
                      session.accept(registered.data);
                      invitationToken = undefined;
                      await props.onSignedIn('/');
                    });
                  }}
                >
                  <Field label={shared.name} name="name" autoComplete="name" required error={errors.name} />
                  <Field label={shared.email} name="email" type="email" autoComplete="email" required hint={t.emailHint} error={errors.email} />
                  <Field label={shared.password} name="password" type="password" autoComplete="new-password" required minLength={8} error={errors.password} />
                  <button type="submit" class="primary" disabled={action.busy}>
                    {t.registerAndJoin}
                  </button>
                </form>
                <p>
                  {t.haveAccount}{' '}
                  <button type="button" class="link" onClick={() => navigate('/sign-in?return=/invitations/accept')}>
                    {t.signInToAccept}
                  </button>
                </p>
              </>
            )}
            <p>
              <button
                type="button"
                disabled={action.busy}
                onClick={() =>
                  void action.run(async () => {
                    await call(api.POST('/api/v1/invitations/decline', { body: { token } }));
                    invitationToken = undefined;
                    setDeclined(true);
                  })
                }
              >
                {t.decline}
              </button>
            </p>
          </>
        )
      )}
    </Screen>
  );
}
