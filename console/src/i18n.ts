/** The console's languages: English and Spanish, chosen by the user, else by the browser. */
export type Locale = 'en' | 'es';

const STORAGE_KEY = 'tessera.console.locale';

function initialLocale(): Locale {
  const stored = localStorage.getItem(STORAGE_KEY);
  if (stored === 'en' || stored === 'es') return stored;
  return navigator.language.toLowerCase().startsWith('es') ? 'es' : 'en';
}

let current: Locale = initialLocale();
document.documentElement.lang = current;

export const locale = (): Locale => current;

/** Changes the language; the caller re-renders (the app keys its tree on the locale). */
export function setLocale(next: Locale): void {
  current = next;
  localStorage.setItem(STORAGE_KEY, next);
  document.documentElement.lang = next;
}

type Texts = Record<string, string | ((...args: never[]) => string)>;

/**
 * A screen's own texts in both languages, the Spanish checked against the English by the
 * type: `const text = defineText({ title: 'Members' }, { title: 'Miembros' })`, then `text().title`.
 */
export function defineText<T extends Texts>(en: T, es: NoInfer<T>): () => T {
  return () => (current === 'es' ? es : en);
}

/** Dates and numbers as the chosen language writes them. */
export const formatDate = (iso: string | null | undefined): string =>
  iso ? new Date(iso).toLocaleString(current === 'es' ? 'es' : 'en', { dateStyle: 'medium', timeStyle: 'short' }) : '—';

/** The words every screen shares. */
export const common = defineText(
  {
    appName: 'Tessera console',
    loading: 'Loading…',
    save: 'Save',
    saved: 'Saved.',
    cancel: 'Cancel',
    create: 'Create',
    remove: 'Remove',
    confirm: 'Confirm',
    areYouSure: 'Are you sure?',
    next: 'Next page',
    previous: 'Previous page',
    pagination: 'Pagination',
    none: 'Nothing here yet.',
    actions: 'Actions',
    name: 'Name',
    email: 'E-mail',
    password: 'Password',
    role: 'Role',
    status: 'Status',
    created: 'Created',
    signOut: 'Sign out',
    language: 'Language',
    workspace: 'Workspace',
    switchWorkspace: 'Current workspace (this tab)',
    mainNavigation: 'Main navigation',
    skipToContent: 'Skip to content',
    errorCode: (code: string) => `Error code: ${code}`,
    listOf: (title: string) => `${title}: list`,
    notFound: 'This page does not exist.',
    sessionEnded: 'Your session ended. Sign in again.',
  },
  {
    appName: 'Consola de Tessera',
    loading: 'Cargando…',
    save: 'Guardar',
    saved: 'Guardado.',
    cancel: 'Cancelar',
    create: 'Crear',
    remove: 'Quitar',
    confirm: 'Confirmar',
    areYouSure: '¿Seguro?',
    next: 'Página siguiente',
    previous: 'Página anterior',
    pagination: 'Paginación',
    none: 'Aún no hay nada aquí.',
    actions: 'Acciones',
    name: 'Nombre',
    email: 'Correo',
    password: 'Contraseña',
    role: 'Rol',
    status: 'Estado',
    created: 'Creado',
    signOut: 'Cerrar sesión',
    language: 'Idioma',
    workspace: 'Sucursal',
    switchWorkspace: 'Sucursal actual (esta pestaña)',
    mainNavigation: 'Navegación principal',
    skipToContent: 'Saltar al contenido',
    errorCode: (code: string) => `Código de error: ${code}`,
    listOf: (title: string) => `${title}: lista`,
    notFound: 'Esta página no existe.',
    sessionEnded: 'Tu sesión terminó. Vuelve a iniciar sesión.',
  },
);
