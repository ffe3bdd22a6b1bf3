import { defineCatalogue } from '../../core/catalogue.ts';

/** Locations' permissions (`locations:*`) are the records area's; this adds their errors and messages. */
export const locationsCatalogue = defineCatalogue({
  area: 'locations',
  permissions: {},
  // A member restricted to some locations sees, changes and names only those.
  locationBound: { locations: 'id' },
  errors: {
    'LOCATION.NOT_FOUND': 404,
    'LOCATION.NAME_TAKEN': 409,
    'LOCATION.IS_DEFAULT': 409,
    'LOCATION.IN_USE': 409,
  },
  messages: {
    en: {
      'LOCATION.NOT_FOUND': 'No such location.',
      'LOCATION.NAME_TAKEN': 'A location with this name already exists in this workspace.',
      'LOCATION.IS_DEFAULT': 'This location is one of the workspace defaults; choose another default first.',
      'LOCATION.IN_USE': 'Other records refer to this location (its stock history, invoices); archive it instead.',
      'location.created': 'Location created.',
      'location.updated': 'Location updated.',
      'location.deleted': 'Location deleted.',
    },
    es: {
      'LOCATION.NOT_FOUND': 'No existe esa ubicación.',
      'LOCATION.NAME_TAKEN': 'Ya existe una ubicación con este nombre en esta sucursal.',
      'LOCATION.IS_DEFAULT': 'Esta ubicación es una de las predeterminadas de la sucursal; elija otra primero.',
      'LOCATION.IN_USE': 'Otros registros hacen referencia a esta ubicación (su historial de existencias, facturas); archívela en su lugar.',
      'location.created': 'Ubicación creada.',
      'location.updated': 'Ubicación actualizada.',
      'location.deleted': 'Ubicación eliminada.',
    },
  },
});

declare module '../../core/catalogue.ts' {
  interface Areas {
    locations: typeof locationsCatalogue;
  }
}
