import { defineCatalogue } from '../../core/catalogue.ts';

/** What the single sign-on area adds: its permissions (managing it is the owner's alone), errors and messages. */
export const ssoCatalogue = defineCatalogue({
  area: 'sso',
  permissions: {
    'sso:view': { description: "See the workspace's single sign-on: its domain, provider and enforcement", grantedTo: ['admin'] },
    'sso:manage': { description: 'Claim and prove an e-mail domain, connect an OpenID provider, require single sign-on', grantedTo: [] },
  },
  // The provider's client secret, and each sign-in's PKCE verifier while it waits for its callback.
  sealedColumns: [
    { table: 'sso_connections', idColumn: 'workspace_id', columns: ['client_secret'] },
    { table: 'sso_sign_ins', idColumn: 'state_hash', columns: ['code_verifier'] },
  ],
  errors: {
    'AUTH.SSO_REQUIRED': 403,
    'SSO.NOT_CONFIGURED': 404,
    'SSO.PUBLIC_MAIL_DOMAIN': 422,
    'SSO.DOMAIN_TAKEN': 409,
    'SSO.DOMAIN_NOT_CLAIMED': 409,
    'SSO.DOMAIN_NOT_VERIFIED': 422,
    'SSO.DNS_UNAVAILABLE': 503,
    'SSO.ISSUER_REFUSED': 422,
    'SSO.DISCOVERY_FAILED': 422,
    'SSO.ROLE_INVALID': 422,
    'SSO.NOT_READY': 409,
    'SSO.STATE_INVALID': 400,
    'SSO.PROVIDER_REFUSED': 401,
    'SSO.EMAIL_NOT_VERIFIED': 403,
    'SSO.EMAIL_DOMAIN_MISMATCH': 403,
    'SSO.ACCOUNT_DISABLED': 403,
  },
  messages: {
    en: {
      'AUTH.SSO_REQUIRED': 'Your organization signs you in through its identity provider: continue with single sign-on.',
      'SSO.NOT_CONFIGURED': 'Single sign-on is not set up for this address.',
      'SSO.PUBLIC_MAIL_DOMAIN': 'A public mail domain cannot be claimed: anyone can have an address there.',
      'SSO.DOMAIN_TAKEN': 'Another workspace has claimed this domain.',
      'SSO.DOMAIN_NOT_CLAIMED': 'Claim an e-mail domain first.',
      'SSO.DOMAIN_NOT_VERIFIED': 'The verification record was not found in DNS yet (changes can take a while to spread).',
      'SSO.DNS_UNAVAILABLE': 'DNS could not be asked right now; try again shortly.',
      'SSO.ISSUER_REFUSED': 'This issuer URL cannot be used.',
      'SSO.DISCOVERY_FAILED': "The identity provider's configuration could not be read from the issuer URL.",
      'SSO.ROLE_INVALID': 'No such role can be given on single sign-on.',
      'SSO.NOT_READY': 'Prove the domain and connect an identity provider before requiring single sign-on.',
      'SSO.STATE_INVALID': 'This sign-in has expired or was already completed. Start again.',
      'SSO.PROVIDER_REFUSED': 'The identity provider did not confirm this sign-in.',
      'SSO.EMAIL_NOT_VERIFIED': 'The identity provider has not verified your e-mail address.',
      'SSO.EMAIL_DOMAIN_MISMATCH': "Your e-mail address is not of this workspace's domain.",
      'SSO.ACCOUNT_DISABLED': 'This account is disabled.',
      'sso.domain_claimed': 'Publish the TXT record shown, then verify the domain. The value is shown only now.',
      'sso.domain_verified': 'Domain verified.',
      'sso.domain_released': 'Domain released; single sign-on is no longer required.',
      'sso.connection_saved': 'Identity provider connected.',
      'sso.connection_removed': 'Identity provider disconnected; single sign-on is no longer required.',
      'sso.enforced': 'Single sign-on is now required for the domain; password sessions were ended.',
      'sso.not_enforced': 'Single sign-on is no longer required.',
      'sso.signed_in': 'Signed in through single sign-on.',
    },
    es: {
      'AUTH.SSO_REQUIRED': 'Tu organización te identifica a través de su proveedor de identidad: continúa con el inicio de sesión único.',
      'SSO.NOT_CONFIGURED': 'El inicio de sesión único no está configurado para esta dirección.',
      'SSO.PUBLIC_MAIL_DOMAIN': 'No se puede reclamar un dominio de correo público: cualquiera puede tener una dirección allí.',
      'SSO.DOMAIN_TAKEN': 'Otra sucursal ya reclamó este dominio.',
      'SSO.DOMAIN_NOT_CLAIMED': 'Primero reclama un dominio de correo.',
      'SSO.DOMAIN_NOT_VERIFIED': 'El registro de verificación aún no aparece en el DNS (los cambios pueden tardar en propagarse).',
      'SSO.DNS_UNAVAILABLE': 'No se pudo consultar el DNS ahora; inténtalo de nuevo en breve.',
      'SSO.ISSUER_REFUSED': 'Esta URL del emisor no se puede usar.',
      'SSO.DISCOVERY_FAILED': 'No se pudo leer la configuración del proveedor de identidad desde la URL del emisor.',
      'SSO.ROLE_INVALID': 'Ese rol no se puede asignar con el inicio de sesión único.',
      'SSO.NOT_READY': 'Verifica el dominio y conecta un proveedor de identidad antes de exigir el inicio de sesión único.',
      'SSO.STATE_INVALID': 'Este inicio de sesión expiró o ya se completó. Empieza de nuevo.',
      'SSO.PROVIDER_REFUSED': 'El proveedor de identidad no confirmó este inicio de sesión.',
      'SSO.EMAIL_NOT_VERIFIED': 'El proveedor de identidad no ha verificado tu dirección de correo.',
      'SSO.EMAIL_DOMAIN_MISMATCH': 'Tu dirección de correo no es del dominio de esta sucursal.',
      'SSO.ACCOUNT_DISABLED': 'Esta cuenta está desactivada.',
      'sso.domain_claimed': 'Publica el registro TXT indicado y luego verifica el dominio. El valor solo se muestra ahora.',
      'sso.domain_verified': 'Dominio verificado.',
      'sso.domain_released': 'Dominio liberado; el inicio de sesión único ya no es obligatorio.',
      'sso.connection_saved': 'Proveedor de identidad conectado.',
      'sso.connection_removed': 'Proveedor de identidad desconectado; el inicio de sesión único ya no es obligatorio.',
      'sso.enforced': 'El inicio de sesión único ahora es obligatorio para el dominio; se cerraron las sesiones con contraseña.',
      'sso.not_enforced': 'El inicio de sesión único ya no es obligatorio.',
      'sso.signed_in': 'Sesión iniciada con el inicio de sesión único.',
    },
  },
});

declare module '../../core/catalogue.ts' {
  interface Areas {
    sso: typeof ssoCatalogue;
  }
}
