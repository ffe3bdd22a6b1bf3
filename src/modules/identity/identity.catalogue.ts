import { defineCatalogue } from '../../core/catalogue.ts';

/**
 * What the identity area adds to the shared catalogues: its permissions, error codes and messages.
 */
export const identityCatalogue = defineCatalogue({
  area: 'identity',
  errors: {
    'AUTH.INVALID_CREDENTIALS': 401,
    'AUTH.SIGNUP_DISABLED': 403,
    'USER.NOT_FOUND': 404,
    'IDENTITY.EMAIL_TAKEN': 409,
    'TENANT.LAST_OWNER': 409,
  },
  messages: {
    en: {
      'AUTH.INVALID_CREDENTIALS': 'The email or password is incorrect.',
      'AUTH.SIGNUP_DISABLED': 'Self sign-up is disabled for this tenant.',
      'USER.NOT_FOUND': 'No such user.',
      'IDENTITY.EMAIL_TAKEN': 'An account with this email already exists.',
      'TENANT.LAST_OWNER': 'A tenant must keep at least one owner.',
      'auth.registered': 'Account created successfully.',
      'auth.logged_in': 'Signed in successfully.',
      'auth.refreshed': 'Session refreshed.',
      'auth.logged_out': 'Signed out.',
      'tenant.user_updated': 'User updated.',
    },
    es: {
      'AUTH.INVALID_CREDENTIALS': 'El correo o la contraseña son incorrectos.',
      'AUTH.SIGNUP_DISABLED': 'El registro libre está desactivado en este inquilino.',
      'USER.NOT_FOUND': 'El usuario no existe.',
      'IDENTITY.EMAIL_TAKEN': 'Ya existe una cuenta con este correo.',
      'TENANT.LAST_OWNER': 'Un inquilino debe conservar al menos un propietario.',
      'auth.registered': '¡Cuenta creada correctamente!',
      'auth.logged_in': 'Sesión iniciada correctamente.',
      'auth.refreshed': 'Sesión renovada.',
      'auth.logged_out': 'Sesión cerrada.',
      'tenant.user_updated': 'Usuario actualizado.',
    },
  },
});

declare module '../../core/catalogue.ts' {
  interface Areas {
    identity: typeof identityCatalogue;
  }
}
