// The account e-mails' links: /account?tenant=<slug>#verify=<token>, #reset=<token> or #email=<token>.
// The token is read from the fragment (never sent to a server) and then dropped from the address bar.
const TEXT = {
  en: {
    title: 'Your account', working: 'One moment…', noToken: 'This link has no token. Open the link from the e-mail again.',
    verified: 'Your e-mail address is confirmed. You can close this page.', emailChanged: 'Your new e-mail address is confirmed: sign in with it from now on.',
    resetHeading: 'Choose a new password', password: 'New password (8 characters or more)', repeat: 'Repeat it', save: 'Save the password',
    mismatch: 'The two passwords differ.', reset: 'Your password is changed and every session was signed out. Sign in with the new password.',
  },
  es: {
    title: 'Tu cuenta', working: 'Un momento…', noToken: 'Este enlace no trae el código. Vuelve a abrir el enlace del correo.',
    verified: 'Tu correo está confirmado. Puedes cerrar esta página.', emailChanged: 'Tu nuevo correo está confirmado: desde ahora inicia sesión con él.',
    resetHeading: 'Elige una contraseña nueva', password: 'Contraseña nueva (8 caracteres o más)', repeat: 'Repítela', save: 'Guardar la contraseña',
    mismatch: 'Las dos contraseñas no coinciden.', reset: 'Tu contraseña cambió y se cerraron todas las sesiones. Inicia sesión con la nueva.',
  },
};
const locale = navigator.language.toLowerCase().startsWith('es') ? 'es' : 'en';
const t = TEXT[locale];
document.documentElement.lang = locale;
for (const element of document.querySelectorAll('[data-text]')) element.textContent = t[element.dataset.text];

const tenant = new URLSearchParams(location.search).get('tenant');
const fragment = new URLSearchParams(location.hash.slice(1));
history.replaceState(null, '', location.pathname + location.search);

const status = document.getElementById('status');
function show(message, kind = '') {
  status.textContent = message;
  status.className = kind;
}

async function call(path, body) {
  const headers = { 'Content-Type': 'application/json', 'Accept-Language': locale };
  if (tenant) headers['X-Tenant'] = tenant;
  const response = await fetch(`/api/v1${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
  const payload = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(payload.error?.message ?? `HTTP ${response.status}`);
  return payload;
}

async function confirm(path, token, done) {
  show(t.working);
  try {
    await call(path, { token });
    show(done, 'done');
  } catch (error) {
    show(error.message, 'error');
  }
}

const verify = fragment.get('verify');
const email = fragment.get('email');
const reset = fragment.get('reset');
if (verify) void confirm('/auth/email-verification/confirm', verify, t.verified);
else if (email) void confirm('/auth/email-change/confirm', email, t.emailChanged);
else if (reset) {
  const form = document.getElementById('reset');
  form.hidden = false;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const { password, repeat } = Object.fromEntries(new FormData(form));
    if (password !== repeat) return show(t.mismatch, 'error');
    const button = form.querySelector('button');
    button.disabled = true;
    try {
      await call('/auth/password-reset/confirm', { token: reset, password });
      form.hidden = true;
      show(t.reset, 'done');
    } catch (error) {
      show(error.message, 'error');
    } finally {
      button.disabled = false;
    }
  });
} else show(t.noToken, 'error');
