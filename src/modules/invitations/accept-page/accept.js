// The invitation e-mail's link: /invitations/accept?tenant=<slug>#token=<token>. The token is
// read from the fragment (never sent to a server) and then dropped from the address bar.
const TEXT = {
  en: {
    title: 'Invitation', loading: 'Looking up the invitation…', name: 'Name', email: 'E-mail (the invited address)',
    password: 'Password (8 characters or more)', passwordPlain: 'Password', newAccount: 'Create your account',
    registerAndJoin: 'Create account and join', haveAccount: 'Already have an account?', signInAndJoin: 'Sign in and join',
    decline: 'Decline the invitation', noToken: 'This link has no invitation token. Open the link from the e-mail again.',
    summary: (p) => `${p.inviter_name ?? 'Someone'} invited you to join “${p.workspace_name}” as ${p.role}. The invitation expires on ${new Date(p.expires_at).toLocaleString('en')}.`,
    joined: 'You joined the workspace. You can close this page and sign in to your app.', declined: 'You declined the invitation.',
  },
  es: {
    title: 'Invitación', loading: 'Buscando la invitación…', name: 'Nombre', email: 'Correo (la dirección invitada)',
    password: 'Contraseña (8 caracteres o más)', passwordPlain: 'Contraseña', newAccount: 'Crea tu cuenta',
    registerAndJoin: 'Crear cuenta y unirme', haveAccount: '¿Ya tienes cuenta?', signInAndJoin: 'Iniciar sesión y unirme',
    decline: 'Rechazar la invitación', noToken: 'Este enlace no trae el código de invitación. Vuelve a abrir el enlace del correo.',
    summary: (p) => `${p.inviter_name ?? 'Alguien'} te invitó a unirte a «${p.workspace_name}» como ${p.role}. La invitación vence el ${new Date(p.expires_at).toLocaleString('es')}.`,
    joined: 'Te uniste a la sucursal. Puedes cerrar esta página e iniciar sesión en tu aplicación.', declined: 'Rechazaste la invitación.',
  },
};
const locale = navigator.language.toLowerCase().startsWith('es') ? 'es' : 'en';
const t = TEXT[locale];

const tenant = new URLSearchParams(location.search).get('tenant');
const token = new URLSearchParams(location.hash.slice(1)).get('token');
history.replaceState(null, '', location.pathname + location.search);

const status = document.getElementById('status');
function show(message, kind = '') {
  status.textContent = message;
  status.className = kind;
}

async function call(path, body, accessToken) {
  const headers = { 'Content-Type': 'application/json', 'Accept-Language': locale };
  if (tenant) headers['X-Tenant'] = tenant;
  if (accessToken) headers.Authorization = `Bearer ${accessToken}`;
  const response = await fetch(`/api/v1${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
  const payload = await response.json().catch(() => ({}));
  if (!response.ok) {
    const fields = Object.entries(payload.error?.details ?? {}).map(([field, problem]) => `${field}: ${problem}`);
    throw new Error([payload.error?.message ?? `HTTP ${response.status}`, ...fields].join(' · '));
  }
  return payload;
}

function finish(message) {
  document.getElementById('invitation').hidden = true;
  show(message, 'done');
}

function onSubmit(formId, action) {
  const form = document.getElementById(formId);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const buttons = [...document.querySelectorAll('button')];
    buttons.forEach((button) => (button.disabled = true));
    try {
      await action(Object.fromEntries(new FormData(form)));
    } catch (error) {
      show(error.message, 'error');
    } finally {
      buttons.forEach((button) => (button.disabled = false));
    }
  });
}

document.documentElement.lang = locale;
for (const element of document.querySelectorAll('[data-text]')) element.textContent = t[element.dataset.text];
document.title = `${t.title} · Tessera`;

if (!token) {
  show(t.noToken, 'error');
} else {
  show(t.loading);
  try {
    const { data } = await call('/invitations/lookup', { token });
    document.getElementById('summary').textContent = t.summary(data);
    document.getElementById('invitation').hidden = false;
    show('');
  } catch (error) {
    show(error.message, 'error');
  }
  onSubmit('register', async ({ name, email, password }) => {
    await call('/auth/register', { name, email, password, invitation_token: token });
    finish(t.joined);
  });
  onSubmit('signin', async ({ email, password }) => {
    const { data } = await call('/auth/login', { email, password });
    try {
      await call('/invitations/accept', { token }, data.access_token);
    } finally {
      // The page signed in only to accept: it leaves no session behind.
      await call('/auth/logout', {}, data.access_token).catch(() => {});
    }
    finish(t.joined);
  });
  onSubmit('decline', async () => {
    await call('/invitations/decline', { token });
    finish(t.declined);
  });
}
